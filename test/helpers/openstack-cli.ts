// The real `openstack` command line (Debian's python3-openstackclient) with the OS_* variables of
// a data dir's openrc, as `source <data-dir>/openrc` would set them. Debian's python3 comes first
// on PATH: the clients are installed for it, not for another python a machine may have.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The variables `source <data-dir>/openrc` would set. */
export function openrcEnv(dir: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const m of readFileSync(join(dir, 'openrc'), 'utf8').matchAll(/^export (\w+)='((?:[^']|'\\'')*)'$/gm)) vars[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  return vars;
}

/** The environment the CLI runs in: this process's, the openrc's variables, Debian's python first. */
export function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  return { ...process.env, ...openrcEnv(dataDir), PATH: `/usr/bin:${process.env.PATH ?? ''}`, PYTHONWARNINGS: 'ignore' };
}

/** One CLI run; a non-zero exit throws with the command and everything it printed. */
export async function openstack(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('openstack', args, { env, timeout: 90_000 });
    return stdout;
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; code?: number };
    throw new Error(`openstack ${args.join(' ')} exited ${failed.code}: ${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
}

export type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the CLI's JSON output

/** One CLI run with `-f json`, parsed. */
export async function openstackJson(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Row & Row[]> {
  return JSON.parse(await openstack(env, ...args, '-f', 'json')) as Row & Row[];
}
