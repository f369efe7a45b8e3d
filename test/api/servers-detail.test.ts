// GET /servers/detail takes a settled server's body from the project's servers index, not from
// the server itself: this proves the index keeps up. After each change a settled server can
// undergo (metadata set and deleted, rename, stop, start, reboot) and while a build is under way,
// every server of the detail listing equals its own GET /servers/{id} (but for `updated`, which
// bookkeeping writes move without a new index entry).
/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud } from '../../sdk/index.js';
import { startApiFixture, type ApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;
const V237 = { 'openstack-api-version': 'compute 2.37' };

function comparable(server: Json): Json {
  const { updated: _updated, ...rest } = server;
  return rest;
}

/** Every server of the detail listing against its own show, at the same microversion. */
async function detailMatchesShow(f: ApiFixture, expected: number): Promise<Json[]> {
  const listed = json(await f.call('GET', '/compute/v2.1/servers/detail', { headers: V237 })).servers as Json[];
  assert.equal(listed.length, expected);
  for (const server of listed) {
    const shown = json(await f.call('GET', `/compute/v2.1/servers/${server.id as string}`, { headers: V237 })).server as Json;
    assert.deepEqual(comparable(server), comparable(shown), `server ${server.name as string}`);
  }
  return listed;
}

async function action(f: ApiFixture, id: string, body: Json): Promise<void> {
  const res = await f.call('POST', `/compute/v2.1/servers/${id}/action`, { headers: V237, body });
  assert.equal(res.statusCode, 202, res.body);
}

void test('a detail listing equals each server’s show through its whole life', async (t) => {
  const f = await startApiFixture(t);
  const cirros = await realCirros(f.fabric);
  const cloud = await Cloud.attach(f.fabric);
  t.after(() => cloud.stop());
  const create = async (name: string): Promise<string> => {
    const res = await f.call('POST', '/compute/v2.1/servers', { headers: V237, body: { server: { name, imageRef: cirros.id, flavorRef: '1', networks: 'none' } } });
    assert.equal(res.statusCode, 202, res.body);
    return json(res).server.id as string;
  };
  const a = await create('a');
  // Listed at once, while its build may still be under way: the server itself is asked then.
  await detailMatchesShow(f, 1);
  await cloud.compute.waitForServer(a);
  const b = await create('b');
  await cloud.compute.waitForServer(b);
  assert.deepEqual((await detailMatchesShow(f, 2)).map((s) => [s.name, s.status, s['OS-EXT-STS:task_state']]), [
    ['b', 'ACTIVE', null],
    ['a', 'ACTIVE', null],
  ]);

  assert.equal((await f.call('POST', `/compute/v2.1/servers/${a}/metadata`, { headers: V237, body: { metadata: { role: 'web', tier: '1' } } })).statusCode, 200);
  assert.deepEqual((await detailMatchesShow(f, 2)).find((s) => s.id === a)!.metadata, { role: 'web', tier: '1' });
  assert.equal((await f.call('DELETE', `/compute/v2.1/servers/${a}/metadata/tier`, { headers: V237 })).statusCode, 204);
  assert.deepEqual((await detailMatchesShow(f, 2)).find((s) => s.id === a)!.metadata, { role: 'web' });

  assert.equal((await f.call('PUT', `/compute/v2.1/servers/${b}`, { headers: V237, body: { server: { name: 'b2' } } })).statusCode, 200);
  assert.equal((await detailMatchesShow(f, 2)).find((s) => s.id === b)!.name, 'b2');

  await action(f, a, { 'os-stop': null });
  await cloud.compute.waitForServer(a, { status: 'SHUTOFF' });
  const stopped = (await detailMatchesShow(f, 2)).find((s) => s.id === a)!;
  assert.deepEqual([stopped.status, stopped['OS-EXT-STS:power_state'], stopped['OS-EXT-STS:task_state']], ['SHUTOFF', 4, null]);
  await action(f, a, { 'os-start': null });
  await cloud.compute.waitForServer(a);
  await action(f, b, { reboot: { type: 'HARD' } });
  // Whether or not the reboot has finished, the listing shows what the server shows.
  await detailMatchesShow(f, 2);
  await cloud.compute.waitForServer(b);
  const settled = await detailMatchesShow(f, 2);
  assert.ok(settled.every((s) => s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null));
});
