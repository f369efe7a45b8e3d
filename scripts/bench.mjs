#!/usr/bin/env node
// `npm run bench -- NAME [args]`: runs dist/bench/NAME.js, whose last line is `RESULT {json}`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const [name, ...args] = process.argv.slice(2);
const file = name && join(root, 'dist', 'bench', `${name}.js`);
if (!file || !existsSync(file)) {
  const names = readdirSync(join(root, 'dist', 'bench')).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
  console.error(`usage: npm run bench -- NAME   (one of: ${names.join(', ')})`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--expose-gc', file, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
