// The embeddable SDK: `import { Cloud } from 'cumulo'` resolves (package exports, from inside the
// repository too); Cloud.start() runs a whole fabric in-process whose actors answer through the
// fabric's messaging as its admin; state in a data dir survives a stop and a new start (over MQTT
// first, in process after: the same data either way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud } from '../../sdk/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

test("import { Cloud } from 'cumulo' works from inside the repository", () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import { Cloud } from 'cumulo'; console.log(typeof Cloud.start)"], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(out.trim(), 'function');
});

test('Cloud.start runs hosts that answer; a data dir keeps state across restarts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cumulo-sdk-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await Cloud.start({ dataDir, hosts: 2, apiPort: null, transport: 'mqtt' });
  t.after(() => first.stop());
  assert.match(first.mqttUrl ?? '', /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(first.apiUrl, undefined);
  assert.equal(first.caller.userName, 'admin');
  const hb = await first.ask('host', 'host-2', 'heartbeat');
  assert.ok(hb.ok, JSON.stringify(hb));
  const missing = await first.ask('host', 'host-3', 'heartbeat');
  assert.equal(missing.ok ? 'ok' : missing.error.code, 'CONFLICT'); // only two hosts were made
  await first.stop();

  const second = await Cloud.start({ dataDir, hosts: 2 }); // in-process transport, same data
  t.after(() => second.stop());
  const seen = await second.ask('host', 'host-2', 'describe');
  assert.ok(seen.ok);
  // Ours, and the check-in every registered host makes when the fabric starts again.
  assert.equal((seen.value as { heartbeats: number }).heartbeats, 2);
  const health = await fetch(`${second.apiUrl!}/healthz`);
  assert.equal(health.status, 200);
  const metrics = await (await fetch(`${second.apiUrl!}/metrics`)).text();
  assert.match(metrics, /process_cpu_user_seconds_total/);
});

test('a Cloud without a data dir leaves nothing behind', async () => {
  const cloud = await Cloud.start({ apiPort: null, hosts: 1 });
  const dir = cloud.fabric!.dataDir;
  assert.ok(existsSync(dir));
  await cloud.stop();
  assert.equal(existsSync(dir), false);
});
