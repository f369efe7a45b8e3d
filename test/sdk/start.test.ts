// What makes Cloud.start fast keeps its promises: the admin client acts on a token the fabric
// mints for it (no password check), and no client can ask for such a token over the fabric, over
// MQTT either; openrc's password logs in at once after a start with a data dir, even right after
// an immediate stop; the embedded HTTP API listens at ready and builds its routes on its first
// request (lazily) and makes the cirros image after ready (settled() says when), while a fabric
// started as `cumulo up` does both before ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud } from '../../sdk/index.js';
import { Fabric } from '../../sdk/fabric.js';
import { readAdminCredentials } from '../../sdk/openrc.js';

test('over MQTT the admin client holds a minted token; no client may ask identity to mint one', async (t) => {
  const cloud = await Cloud.start({ hosts: 1, apiPort: null, transport: 'mqtt' });
  t.after(() => cloud.stop());
  assert.deepEqual([cloud.caller.userName, cloud.caller.roles], ['admin', ['admin', 'member', 'reader']]);
  assert.equal((await cloud.compute.flavors()).length, 5);
  const minted = await cloud.ask('identity', 'default', 'mintToken', { userName: 'admin', projectName: 'admin' });
  assert.equal(minted.ok ? 'ok' : minted.error.code, 'FORBIDDEN', 'even the admin’s token is not the fabric');
  // A client of its own, by password over the broker: the admin's password works at once.
  const other = await Cloud.connect({ url: cloud.mqttUrl!, username: 'admin', password: cloud.fabric!.adminPassword, projectName: 'admin' });
  t.after(() => other.stop());
  const again = await other.ask('identity', 'default', 'mintToken', { userName: 'admin', projectName: 'admin', caller: { system: true } });
  assert.equal(again.ok ? 'ok' : again.error.code, 'FORBIDDEN', 'a caller field sent by a client is discarded');
  const settle = await other.ask('identity', 'default', 'settlePasswords');
  assert.equal(settle.ok ? 'ok' : settle.error.code, 'FORBIDDEN');
});

test('openrc’s password logs in after a stop that followed the start at once', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cumulo-start-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = await Cloud.start({ dataDir, hosts: 1, apiPort: null, passwordCost: 1024 });
  await first.stop();
  const { password } = readAdminCredentials(dataDir)!;
  const second = await Cloud.start({ dataDir, hosts: 1, apiPort: null, passwordCost: 1024, login: { username: 'admin', password, projectName: 'admin' } });
  t.after(() => second.stop());
  assert.equal(second.caller.userName, 'admin');
});

test('Cloud.start’s API listens at ready and builds its routes on the first request; Fabric.start builds them first', async (t) => {
  const cloud = await Cloud.start({ hosts: 1 });
  t.after(() => cloud.stop());
  assert.equal(cloud.fabric!.apiBuilt, false);
  const [health, version] = await Promise.all([fetch(`${cloud.apiUrl!}/healthz`), fetch(`${cloud.apiUrl!}/identity/v3`)]);
  assert.deepEqual([health.status, version.status], [200, 200]);
  assert.equal(cloud.fabric!.apiBuilt, true);
  // Cloud.start makes the cirros image after ready; settled() says when it is there.
  await cloud.fabric!.settled();
  const images = await fetch(`${cloud.apiUrl!}/image/v2/images?name=cirros`, { headers: { 'x-auth-token': cloud.session.token } });
  assert.deepEqual(((await images.json()) as { images: Array<{ status: string }> }).images.map((i) => i.status), ['active']);

  const fabric = await Fabric.start({ transport: 'inproc', hosts: 1, passwordCost: 1024 });
  t.after(() => fabric.stop());
  assert.equal(fabric.apiBuilt, true);
  assert.equal((await fetch(`${fabric.apiUrl!}/healthz`)).status, 200);
  // ... and the cirros image before ready, as `cumulo up`.
  const admin = await Cloud.attach(fabric);
  t.after(() => admin.stop());
  const listed = await fetch(`${fabric.apiUrl!}/image/v2/images?name=cirros`, { headers: { 'x-auth-token': admin.session.token } });
  assert.deepEqual(((await listed.json()) as { images: Array<{ status: string }> }).images.map((i) => i.status), ['active']);
});
