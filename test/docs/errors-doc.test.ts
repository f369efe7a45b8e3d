// docs/errors.md must list every error code the fabric declares, with its HTTP status and retry
// hint, and no code that no longer exists. Regenerate with `npm run docs:errors`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registeredErrors } from '../../transports/errors.js';
import { loadAllModules } from '../helpers/load-all.js';

test('docs/errors.md lists every declared error code', async () => {
  assert.ok((await loadAllModules()) > 10);
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \| (yes|no) \|/gm)) rows.set(m[1]!, `${m[2]} ${m[3]}`);
  const declared = registeredErrors();
  assert.ok(declared.length > 20);
  for (const e of declared) assert.equal(rows.get(e.code), `${e.status} ${e.retryable ? 'yes' : 'no'}`, `docs/errors.md row for ${e.code}`);
  assert.deepEqual([...rows.keys()].sort(), declared.map((e) => e.code).sort());
});
