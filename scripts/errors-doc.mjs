#!/usr/bin/env node
// Prints the table of docs/errors.md from the codes the compiled fabric declares (run after a
// build): `npm run docs:errors`. Descriptions are kept from the existing doc.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const { loadAllModules } = await import(join(root, 'dist/test/helpers/load-all.js'));
const { registeredErrors } = await import(join(root, 'dist/transports/errors.js'));
await loadAllModules();
const file = join(root, 'docs/errors.md');
let old = '';
try { old = readFileSync(file, 'utf8'); } catch { /* first run */ }
const said = new Map([...old.matchAll(/^\| `([A-Z0-9_]+)` \| \d{3} \| (?:yes|no) \| (.*) \|$/gm)].map((m) => [m[1], m[2]]));
const rows = registeredErrors()
  .sort((a, b) => a.code.localeCompare(b.code))
  .map((e) => `| \`${e.code}\` | ${e.status} | ${e.retryable ? 'yes' : 'no'} | ${said.get(e.code) ?? ''} |`);
const head = old.split('\n| code |')[0].trimEnd() || `# Error codes

Every failure in cumulo is a value \`{ code, message, status, retryable, details? }\` that crosses
threads, CBOR and MQTT as data (transports/errors.ts). Decide by \`code\`; \`status\` is the HTTP
status the REST API answers with; \`retryable\` says whether the same request may succeed later.
This table is checked against the code by test/docs/errors-doc.test.ts.`;
writeFileSync(file, `${head}\n\n| code | HTTP | retry | meaning |\n|---|---|---|---|\n${rows.join('\n')}\n`);
console.log(`docs/errors.md: ${rows.length} codes`);
