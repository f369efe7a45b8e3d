// Server groups through the spawn workflow: anti-affinity puts each server on its own host and a
// server beyond the hosts ends in ERROR (NoValidHost); a deleted or failed member leaves the
// group, freeing its host; affinity keeps every member on the first member's host; a key pair
// named at create must be the caller's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { InstanceView } from '../../actors/compute/index.js';
import type { Message } from '../../supervision/index.js';
import { ALICE, BOB, startCompute, type Compute } from './workflow-fixture.js';

async function group(c: Compute, policy: string): Promise<string> {
  const id = randomUUID();
  await c.must('server-group', id, { type: 'create', caller: ALICE, name: `g-${policy}`, policy } as Message);
  return id;
}

async function members(c: Compute, groupId: string): Promise<string[]> {
  const view = await c.must<{ placements: Array<{ instanceId: string }> }>('server-group', groupId, { type: 'get', caller: ALICE } as Message);
  return view.placements.map((p) => p.instanceId).sort();
}

async function boot(c: Compute, groupId: string): Promise<InstanceView> {
  const created = await c.create(ALICE, { groupId });
  assert.ok(created.ok, JSON.stringify(created));
  return c.drive(c.events.find((e) => e.id === created.value.id && (e.body.status === 'ACTIVE' || e.body.status === 'ERROR'))).then(() => c.show(ALICE, created.value.id).then((r) => (r.ok ? r.value : assert.fail(JSON.stringify(r)))));
}

void test('anti-affinity: one server per host, the next one fails NoValidHost and leaves the group; a delete frees its host', async (t) => {
  const c = await startCompute({ hosts: 3 });
  t.after(() => c.stop());
  const g = await group(c, 'anti-affinity');
  const placed: InstanceView[] = [];
  for (let i = 0; i < 3; i++) placed.push(await boot(c, g));
  assert.deepEqual(
    placed.map((v) => v.status),
    ['ACTIVE', 'ACTIVE', 'ACTIVE'],
  );
  assert.equal(new Set(placed.map((v) => v.hostId)).size, 3);
  assert.equal(placed[0]!.groupId, g);

  const fourth = await boot(c, g);
  assert.equal(fourth.status, 'ERROR');
  assert.equal(fourth.fault?.message, 'No valid host was found. There are not enough hosts available.');
  assert.deepEqual(await members(c, g), placed.map((v) => v.id).sort());

  const gone = placed[1]!;
  assert.ok((await c.drive(c.ask('instance', gone.id, { type: 'delete', caller: ALICE } as Message))).ok);
  assert.deepEqual(await members(c, g), [placed[0]!.id, placed[2]!.id].sort());
  const fifth = await boot(c, g);
  assert.equal(fifth.status, 'ACTIVE');
  assert.equal(fifth.hostId, gone.hostId);
});

void test('affinity: every member on the first member\'s host', async (t) => {
  const c = await startCompute({ hosts: 3 });
  t.after(() => c.stop());
  const g = await group(c, 'affinity');
  const hosts = new Set<string | null>();
  for (let i = 0; i < 4; i++) hosts.add((await boot(c, g)).hostId);
  assert.equal(hosts.size, 1);
  assert.ok(!hosts.has(null));
});

void test('a group or key pair of someone else cannot be used', async (t) => {
  const c = await startCompute({ hosts: 1 });
  t.after(() => c.stop());
  const g = await group(c, 'affinity');
  const other = await c.create(BOB, { groupId: g });
  assert.ok(!other.ok);
  assert.equal(other.error.status, 400);
  await c.must('keypairs', ALICE.userId, { type: 'create', caller: ALICE, name: 'alice-key' } as Message);
  const own = await c.create(ALICE, { keyName: 'alice-key' });
  assert.ok(own.ok);
  assert.equal(own.value.keyName, 'alice-key');
  const theirs = await c.create(BOB, { keyName: 'alice-key' });
  assert.ok(!theirs.ok);
  assert.equal(theirs.error.message, 'Invalid key_name provided.');
});
