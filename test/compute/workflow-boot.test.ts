// The spawn workflow end to end on the real kinds (quota, flavors, scheduler, hosts with the fake
// driver): a create answers BUILD/scheduling at once, then the server goes through the build's
// task states to ACTIVE on one host that holds exactly its claim, with its quota committed, its
// status events in order, and its summary in the project's servers index. On the LMDB store,
// the records survive a restart of the whole system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { openLmdbStore, type Message } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import type { ServersIndexReply } from '../../actors/compute/index.js';
import { ALICE, claimsByHost, startCompute } from './workflow-fixture.js';

void test('a create answers BUILD/scheduling, then the server boots to ACTIVE on one host', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const tasks: string[] = [];
  c.system.inspect((e) => {
    if (e.type === 'persisted' && e.kind === 'instance') tasks.push('persisted');
  });
  const created = await c.create(ALICE, { name: 'web-1', flavorId: '2', metadata: { role: 'web' } });
  assert.ok(created.ok, JSON.stringify(created));
  const id = created.value.id;
  assert.equal(created.value.status, 'BUILD');
  assert.equal(created.value.taskState, 'scheduling');
  assert.equal(created.value.vmState, 'building');
  assert.equal(created.value.projectId, 'project-a');
  assert.equal(created.value.flavor.ramMb, 2048);
  assert.deepEqual(created.value.metadata, { role: 'web' });

  const active = await c.reach(id, 'ACTIVE');
  assert.equal(active.taskState, null);
  assert.equal(active.vmState, 'active');
  assert.equal(active.powerState, 1);
  assert.ok(active.hostId !== null && c.hostIds.includes(active.hostId));
  assert.ok(active.launchedAt !== null);
  assert.equal(active.fault, null);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE']);

  // Exactly one claim, on the server's host, of the flavor's size.
  const claims = await claimsByHost(c);
  for (const [h, sum] of claims) {
    if (h === active.hostId) assert.deepEqual(sum, { vcpus: 1, ramMb: 2048, diskGb: 20, instances: [id] });
    else assert.deepEqual(sum.instances, []);
  }
  const quota = await c.quota('project-a');
  assert.deepEqual(quota.inUse, { ...quota.inUse, instances: 1, cores: 1, ramMb: 2048 });
  assert.equal(quota.reserved.instances ?? 0, 0);

  const listed = await c.must<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE } as Message);
  assert.ok('servers' in listed);
  assert.deepEqual(
    listed.servers.map((s) => [s.id, s.name, s.status]),
    [[id, 'web-1', 'ACTIVE']],
  );
  // Settled: no reminder left running for it.
  assert.ok(!c.store.reminders().some((r) => r.key === `instance/${id}`));
});

void test('bad creates are refused and leave nothing behind', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const cases: Array<[Record<string, unknown>, string, number]> = [
    [{ flavorId: 'no-such-flavor' }, 'BAD_REQUEST', 400],
    [{ name: ' padded ' }, 'BAD_REQUEST', 400],
    [{ name: '' }, 'BAD_REQUEST', 400],
    [{ metadata: { 'bad/key': 'x' } }, 'BAD_REQUEST', 400],
    [{ keyName: 'missing-key' }, 'BAD_REQUEST', 400],
    [{ groupId: 'missing-group' }, 'BAD_REQUEST', 400],
  ];
  for (const [fields, code, status] of cases) {
    const r = await c.create(ALICE, fields);
    assert.ok(!r.ok, JSON.stringify(fields));
    assert.equal(r.error.code, code, `${JSON.stringify(fields)}: ${r.error.message}`);
    assert.equal(r.error.status, status);
  }
  const noFlavor = await c.create(ALICE, { flavorId: 'no-such-flavor' });
  assert.ok(!noFlavor.ok);
  assert.equal(noFlavor.error.message, 'Flavor no-such-flavor could not be found.');
  const proto = await c.create(ALICE, { metadata: JSON.parse('{"__proto__":"x"}') as Record<string, string> });
  assert.ok(!proto.ok);
  assert.equal(proto.error.code, 'BAD_REQUEST');
  const noToken = await c.create(undefined as never);
  assert.ok(!noToken.ok);
  assert.equal(noToken.error.code, 'UNAUTHORIZED');
  const quota = await c.quota('project-a');
  assert.equal(quota.reserved.instances ?? 0, 0);
  assert.equal(quota.inUse.instances ?? 0, 0);
  assert.deepEqual(c.events.all, []);
});

void test('a second create on the same id is a conflict', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = '00000000-0000-4000-8000-0000000000aa';
  assert.ok((await c.create(ALICE, {}, id)).ok);
  const again = await c.create(ALICE, {}, id);
  assert.ok(!again.ok);
  assert.equal(again.error.code, 'INSTANCE_EXISTS');
  assert.equal(again.error.status, 409);
  await c.reach(id, 'ACTIVE');
});

void test('on the LMDB store: a server boots, a refused create leaves nothing, and a new system sees both', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-compute-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openLmdbStore({ path: dir });
  const clock = new VirtualClock(1_000_000);
  const c = await startCompute({ store, clock });
  await c.must('quota', 'project-a', { type: 'setLimits', caller: SYSTEM_CALLER, limits: { instances: 1 } } as Message);
  const created = await c.create(ALICE, { metadata: { k: 'v' } });
  assert.ok(created.ok);
  const id = created.value.id;
  await c.reach(id, 'ACTIVE');
  const refused = await c.create(ALICE, {}, '00000000-0000-4000-8000-0000000000bb');
  assert.ok(!refused.ok);
  assert.equal(refused.error.code, 'QUOTA_EXCEEDED');
  await c.stop();
  await store.close();

  const reopened = await openLmdbStore({ path: dir });
  t.after(() => reopened.close());
  const again = await startCompute({ store: reopened, clock: new VirtualClock(clock.now()), registerHosts: false });
  t.after(() => again.stop());
  const shown = await again.show(ALICE, id);
  assert.ok(shown.ok);
  assert.deepEqual([shown.value.status, shown.value.metadata], ['ACTIVE', { k: 'v' }]);
  const gone = await again.show(ALICE, '00000000-0000-4000-8000-0000000000bb');
  assert.ok(!gone.ok);
  assert.equal(gone.error.code, 'INSTANCE_NOT_FOUND');
  const claims = await claimsByHost(again);
  assert.deepEqual([...claims.values()].flatMap((s) => s.instances), [id]);
});
