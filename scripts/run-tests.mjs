#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node:test. Node 20's runner takes
// no globs, and its default discovery would also run the helpers under dist/test/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const filter = process.argv.slice(2);
const files = [];
// A compiled test whose source was deleted or renamed is stale output, not a test.
const hasSource = (compiled) => existsSync(join(root, compiled.slice(join(root, 'dist').length + 1).replace(/\.js$/, '.ts')));
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js') && hasSource(p) && (filter.length === 0 || filter.some((f) => p.includes(f)))) files.push(p);
  }
})(join(root, 'dist', 'test'));
if (files.length === 0) {
  console.error('no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
