// The runnable example stays runnable: examples/quick-start.ts, compiled, boots its servers,
// prints their events, meets a refusal as a FabricError and stops cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const DIST = join(import.meta.dirname, '..', '..');

test('node dist/examples/quick-start.js runs to the end', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [join(DIST, 'examples', 'quick-start.js')], { timeout: 30_000 });
  assert.match(stdout, /^cloud ready as admin; flavors: m1\.tiny, m1\.small, m1\.medium, m1\.large, m1\.xlarge$/m);
  assert.match(stdout, /^web-1 is ACTIVE on host-\d$/m);
  assert.match(stdout, /^web-2 is ACTIVE on host-\d$/m);
  assert.match(stdout, /event instance\.status instance\/\w+ "SHUTOFF"/);
  assert.match(stdout, /^refused: BAD_REQUEST \(400\) /m);
  assert.equal((stdout.match(/"DELETED"/g) ?? []).length, 2);
  assert.match(stdout, /stopped\n$/);
});
