#!/usr/bin/env node
// Enforces DESIGN.md's "which way dependencies run": each top-level folder may import only
// the folders listed for it, and nothing outside supervision/ imports nact. Exits 1 on a breach.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const allowed = {
  transports: [],
  workers: [],
  supervision: ['transports'],
  actors: ['supervision', 'transports', 'workers', 'actors'],
  hosts: ['actors', 'supervision', 'transports', 'workers'],
  simulation: ['actors', 'hosts', 'supervision', 'transports'],
  sdk: ['actors', 'hosts', 'supervision', 'transports', 'workers', 'api', 'simulation'],
  api: ['actors', 'hosts', 'supervision', 'transports', 'workers'],
  cli: ['actors', 'hosts', 'supervision', 'transports', 'workers', 'api', 'sdk', 'simulation'],
  bench: null, // benchmarks and tests may reach anything
  test: null,
};
const nactOnlyIn = 'supervision';

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const top of Object.keys(allowed)) {
  let files;
  try { files = [...walk(join(root, top))]; } catch { continue; }
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    const rel = relative(root, file);
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2];
      if (spec === 'nact' && top !== nactOnlyIn) problems.push(`${rel}: imports nact outside ${nactOnlyIn}/`);
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec)).split(sep)[0];
      if (target === top || allowed[top] === null) continue;
      if (target in allowed && !allowed[top].includes(target)) problems.push(`${rel}: ${top}/ may not import ${target}/ (${spec})`);
    }
  }
}
if (problems.length) {
  console.error('boundary check failed:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log('boundary check: ok');
