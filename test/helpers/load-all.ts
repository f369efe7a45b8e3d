// Imports every compiled module of the fabric's folders, so that registries filled at module load
// (error codes) are complete. Skips the CLI entry point, which runs when imported.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DIST = join(import.meta.dirname, '..', '..');
const FOLDERS = ['transports', 'supervision', 'actors', 'hosts', 'workers', 'api', 'sdk', 'simulation'];

export async function loadAllModules(): Promise<number> {
  let n = 0;
  for (const folder of FOLDERS) {
    const walk = async (dir: string): Promise<void> => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names.sort()) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) await walk(p);
        else if (p.endsWith('.js')) {
          await import(pathToFileURL(p).href);
          n++;
        }
      }
    };
    await walk(join(DIST, folder));
  }
  return n;
}
