// server-group/<id> and server-groups/<projectId>: create (idempotent retry, taken ids, rules only
// for anti-affinity), the project index and its group limit, admit enforcing hard affinity and
// anti-affinity (also under concurrent admits: the actor is the serialization point), soft
// policies always admitting with hints for the weighers, members limit, leave and delete,
// permissions per role and project, and persistence over a new ActorSystem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import type { ResourceEvent } from '../../actors/events.js';
import { SYSTEM_CALLER, type Caller, type Role } from '../../actors/identity/caller.js';
import {
  createServerGroupIndexKind,
  createServerGroupKind,
  registerComputeCatalogs,
  SERVER_GROUP_INDEX_KIND,
  SERVER_GROUP_KIND,
  type GroupHint,
  type ServerGroupList,
  type ServerGroupView,
} from '../../actors/compute/catalog.js';

function caller(projectId: string, role: Role): Caller {
  const userId = `${role}-of-${projectId}`;
  return { userId, userName: userId, domainId: 'default', projectId, roles: [role], expiresAt: Number.MAX_SAFE_INTEGER };
}
const member = caller('p1', 'member');
const reader = caller('p1', 'reader');
const stranger = caller('p2', 'member');
const admin = caller('admin', 'admin');

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore = createMemoryStore(), limits: { maxMembers?: number; maxPerProject?: number } = {}) {
  const system = createActorSystem({ store, clock: new VirtualClock(500), seed: 1 });
  const events: ResourceEvent[] = [];
  const group = createServerGroupKind({ events: { publish: (e) => events.push(e) }, ...(limits.maxMembers === undefined ? {} : { maxMembers: limits.maxMembers }) });
  const index = createServerGroupIndexKind(limits.maxPerProject === undefined ? {} : { maxPerProject: limits.maxPerProject });
  assert.ok(system.register(group).ok);
  assert.ok(system.register(index).ok);
  t.after(() => system.stop());
  return { system, events, group: (id: string) => system.ref(group, id), index: (project: string) => system.ref(index, project) };
}

async function listed(index: ReturnType<typeof setup>['index'], who: Caller = member): Promise<string[]> {
  const r = await index('p1').ask({ type: 'list', caller: who });
  assert.ok(r.ok);
  return (r.value as ServerGroupList).serverGroups.map((g) => g.id);
}

void test('create answers the group, lists it in the project index and publishes an event; a retry answers the same', async (t) => {
  const { group, index, events } = setup(t);
  const made = await group('g1').ask({ type: 'create', caller: member, name: 'web', policy: 'anti-affinity', rules: { maxServerPerHost: 2 } });
  const expected: ServerGroupView = { id: 'g1', name: 'web', policy: 'anti-affinity', rules: { maxServerPerHost: 2 }, projectId: 'p1', userId: 'member-of-p1', members: [], placements: [], createdAt: 500 };
  assert.deepEqual(made, { ok: true, value: expected });
  assert.deepEqual(await group('g1').ask({ type: 'create', caller: member, name: 'web', policy: 'anti-affinity', rules: { maxServerPerHost: 2 } }), made);
  const other = await group('g1').ask({ type: 'create', caller: member, name: 'db', policy: 'affinity' });
  assert.equal(!other.ok && other.error.code, 'SERVER_GROUP_EXISTS');
  assert.deepEqual(await group('g1').ask({ type: 'get', caller: reader }), { ok: true, value: expected });
  assert.deepEqual(await listed(index), ['g1']);
  assert.deepEqual(events.map((e) => [e.type, e.projectId, e.kind, e.id]), [['server_group.created', 'p1', 'server-group', 'g1']]);
  // An admin may create one in another project.
  const forP2 = await group('g2').ask({ type: 'create', caller: admin, name: 'x', policy: 'affinity', projectId: 'p2' });
  assert.ok(forP2.ok && 'projectId' in forP2.value && forP2.value.projectId === 'p2');
  assert.deepEqual((await index('p2').ask({ type: 'list', caller: stranger })).ok, true);
});

void test('validation: policies, names, rules and ids are checked (BAD_REQUEST)', async (t) => {
  const { group, index } = setup(t);
  const bodies: Array<[Record<string, unknown>, string]> = [
    [{ type: 'create', caller: member, name: 'x', policy: 'spread' }, '/policy'],
    [{ type: 'create', caller: member, name: '', policy: 'affinity' }, '/name'],
    [{ type: 'create', caller: member, name: 'x', policy: 'anti-affinity', rules: { maxServerPerHost: 0 } }, '/rules/maxServerPerHost'],
    [{ type: 'create', caller: member, name: 'x', policy: 'affinity', rules: { other: 1 } }, '/rules/other'],
    [{ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'a/b', hostId: 'h1' }, '/instanceId'],
    [{ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1' }, '/hostId'],
  ];
  for (const [body, field] of bodies) {
    const r = await group('g1').ask(body as never);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BAD_REQUEST');
    assert.equal(r.error.details?.field, field, JSON.stringify(body));
  }
  const rules = await group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'affinity', rules: { maxServerPerHost: 2 } });
  assert.ok(!rules.ok);
  assert.equal(rules.error.message, 'Only anti-affinity policy supports rules.');
  const unscoped = await group('g1').ask({ type: 'create', caller: { ...member, projectId: null }, name: 'x', policy: 'affinity' });
  assert.equal(!unscoped.ok && unscoped.error.code, 'BAD_REQUEST');
  assert.deepEqual(await listed(index), []);
});

void test('permissions: readers and other projects change nothing; other projects see nothing; only the fabric keeps the index', async (t) => {
  const { group, index } = setup(t);
  const byReader = await group('g1').ask({ type: 'create', caller: reader, name: 'x', policy: 'affinity' });
  assert.equal(!byReader.ok && byReader.error.code, 'FORBIDDEN');
  const intoOther = await group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'affinity', projectId: 'p2' });
  assert.equal(!intoOther.ok && intoOther.error.code, 'FORBIDDEN');
  const anonymous = await group('g1').ask({ type: 'create', name: 'x', policy: 'affinity' });
  assert.equal(!anonymous.ok && anonymous.error.code, 'UNAUTHORIZED');
  assert.ok((await group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'affinity' })).ok);
  for (const msg of [{ type: 'get' }, { type: 'hint' }, { type: 'delete' }, { type: 'admit', instanceId: 'i', hostId: 'h' }, { type: 'leave', instanceId: 'i' }]) {
    const r = await group('g1').ask({ ...msg, caller: stranger } as never);
    assert.equal(!r.ok && r.error.code, 'FORBIDDEN', msg.type);
  }
  for (const msg of [{ type: 'delete' }, { type: 'admit', instanceId: 'i', hostId: 'h' }]) {
    const r = await group('g1').ask({ ...msg, caller: reader } as never);
    assert.equal(!r.ok && r.error.code, 'FORBIDDEN', msg.type);
  }
  assert.ok((await group('g1').ask({ type: 'hint', caller: reader })).ok);
  const foreignList = await index('p1').ask({ type: 'list', caller: stranger });
  assert.equal(!foreignList.ok && foreignList.error.code, 'FORBIDDEN');
  const forged = await index('p1').ask({ type: 'add', caller: admin, id: 'ghost', name: 'ghost', policy: 'affinity', userId: 'x' });
  assert.equal(!forged.ok && forged.error.code, 'FORBIDDEN');
  const removed = await index('p1').ask({ type: 'remove', caller: member, id: 'g1' });
  assert.equal(!removed.ok && removed.error.code, 'FORBIDDEN');
  assert.deepEqual(await listed(index, admin), ['g1']);
});

void test('affinity: every member on one host; a member admitted again elsewhere moves', async (t) => {
  const { group } = setup(t);
  assert.ok((await group('g').ask({ type: 'create', caller: member, name: 'a', policy: 'affinity' })).ok);
  assert.deepEqual(await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' }), { ok: true, value: {} });
  const elsewhere = await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h2' });
  assert.ok(!elsewhere.ok);
  assert.equal(elsewhere.error.code, 'GROUP_POLICY');
  assert.equal(elsewhere.error.status, 409);
  assert.equal(elsewhere.error.message, "affinity: the group's members are on host h1");
  assert.ok((await group('g').ask({ type: 'admit', caller: member, instanceId: 'i2', hostId: 'h1' })).ok);
  assert.ok((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h1' })).ok, 'idempotent');
  // With i2 on h1 too, i1 cannot move away; once i2 leaves, it can.
  assert.equal((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h3' })).ok, false);
  assert.deepEqual(await group('g').ask({ type: 'leave', caller: SYSTEM_CALLER, instanceId: 'i2' }), { ok: true, value: {} });
  assert.deepEqual(await group('g').ask({ type: 'leave', caller: SYSTEM_CALLER, instanceId: 'i2' }), { ok: true, value: {} });
  assert.ok((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h3' })).ok);
  const shown = await group('g').ask({ type: 'get', caller: member });
  assert.deepEqual(shown.ok && (shown.value as ServerGroupView).placements, [{ instanceId: 'i1', hostId: 'h3' }]);
  assert.deepEqual(shown.ok && (shown.value as ServerGroupView).members, ['i1']);
});

void test('anti-affinity: no two members on a host, or at most maxServerPerHost', async (t) => {
  const { group } = setup(t);
  assert.ok((await group('g').ask({ type: 'create', caller: member, name: 'a', policy: 'anti-affinity' })).ok);
  assert.ok((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' })).ok);
  const same = await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h1' });
  assert.ok(!same.ok);
  assert.equal(same.error.code, 'GROUP_POLICY');
  assert.deepEqual(same.error.details, { groupId: 'g', policy: 'anti-affinity', instanceId: 'i2', hostId: 'h1' });
  assert.ok((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h2' })).ok);
  assert.ok((await group('g').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' })).ok, 'its own placement does not count against it');

  assert.ok((await group('g2').ask({ type: 'create', caller: member, name: 'b', policy: 'anti-affinity', rules: { maxServerPerHost: 2 } })).ok);
  assert.ok((await group('g2').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' })).ok);
  assert.ok((await group('g2').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h1' })).ok);
  assert.equal((await group('g2').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i3', hostId: 'h1' })).ok, false);
});

void test('concurrent admits: the group actor lets exactly the policy-compatible ones in', async (t) => {
  const { group } = setup(t, createMemoryStore(), { maxMembers: -1 });
  assert.ok((await group('anti').ask({ type: 'create', caller: member, name: 'a', policy: 'anti-affinity' })).ok);
  const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => group('anti').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: `i${i}`, hostId: `h${i % 4}` })));
  assert.equal(racing.filter((r) => r.ok).length, 4, 'one per host');
  const hint = await group('anti').ask({ type: 'hint', caller: member });
  assert.deepEqual(hint.ok && (hint.value as GroupHint).hosts, ['h0', 'h1', 'h2', 'h3']);

  assert.ok((await group('aff').ask({ type: 'create', caller: member, name: 'b', policy: 'affinity' })).ok);
  const together = await Promise.all(Array.from({ length: 20 }, (_, i) => group('aff').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: `i${i}`, hostId: `h${i % 3}` })));
  const shown = await group('aff').ask({ type: 'get', caller: member });
  const hosts = new Set(shown.ok ? (shown.value as ServerGroupView).placements.map((p) => p.hostId) : []);
  assert.equal(hosts.size, 1, 'all admitted members share one host');
  assert.equal(together.filter((r) => r.ok).length, 7);
});

void test('soft policies always admit and hint where the members are', async (t) => {
  const { group } = setup(t);
  for (const policy of ['soft-affinity', 'soft-anti-affinity'] as const) {
    assert.ok((await group(policy).ask({ type: 'create', caller: member, name: policy, policy })).ok);
    for (const [instanceId, hostId] of [['i1', 'h2'], ['i2', 'h1'], ['i3', 'h2']]) {
      assert.ok((await group(policy).ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: instanceId!, hostId: hostId! })).ok);
    }
    assert.deepEqual(await group(policy).ask({ type: 'hint', caller: reader }), {
      ok: true,
      value: { policy, rules: {}, hosts: ['h1', 'h2'], hostMembers: [{ hostId: 'h1', members: 1 }, { hostId: 'h2', members: 2 }] },
    });
  }
});

void test('limits: members per group and groups per project answer QUOTA_EXCEEDED', async (t) => {
  const { group, index } = setup(t, createMemoryStore(), { maxMembers: 2, maxPerProject: 2 });
  assert.ok((await group('g1').ask({ type: 'create', caller: member, name: 'one', policy: 'soft-affinity' })).ok);
  assert.ok((await group('g2').ask({ type: 'create', caller: member, name: 'two', policy: 'soft-affinity' })).ok);
  const third = await group('g3').ask({ type: 'create', caller: member, name: 'three', policy: 'soft-affinity' });
  assert.ok(!third.ok);
  assert.equal(third.error.code, 'QUOTA_EXCEEDED');
  assert.equal(third.error.message, 'Quota exceeded, too many server groups.');
  assert.equal(!(await group('g3').ask({ type: 'get', caller: member })).ok, true, 'the refused group was not created');
  assert.ok((await group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h' })).ok);
  assert.ok((await group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h' })).ok);
  const full = await group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i3', hostId: 'h' });
  assert.ok(!full.ok);
  assert.equal(full.error.code, 'QUOTA_EXCEEDED');
  assert.equal(full.error.message, 'Quota exceeded, too many servers in group');
  assert.ok((await group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h9' })).ok, 'a member moving is not a new member');
  assert.ok((await group('g2').ask({ type: 'delete', caller: member })).ok);
  assert.ok((await group('g3').ask({ type: 'create', caller: member, name: 'three', policy: 'soft-affinity' })).ok);
  assert.deepEqual(await listed(index), ['g1', 'g3']);
});

void test('delete: gone from the index, not found after, the id is never reused; leave stays harmless', async (t) => {
  const { group, index, events } = setup(t);
  assert.ok((await group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'affinity' })).ok);
  assert.ok((await group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' })).ok);
  assert.deepEqual(await group('g1').ask({ type: 'delete', caller: member }), { ok: true, value: { id: 'g1' } });
  assert.deepEqual(await listed(index), []);
  assert.deepEqual(events.map((e) => e.type), ['server_group.created', 'server_group.deleted']);
  for (const msg of [{ type: 'get' }, { type: 'hint' }, { type: 'delete' }, { type: 'admit', instanceId: 'i2', hostId: 'h2' }]) {
    const r = await group('g1').ask({ ...msg, caller: member } as never);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'SERVER_GROUP_NOT_FOUND', msg.type);
    assert.equal(r.error.status, 404);
  }
  assert.deepEqual(await group('g1').ask({ type: 'leave', caller: SYSTEM_CALLER, instanceId: 'i1' }), { ok: true, value: {} });
  const reuse = await group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'affinity' });
  assert.equal(!reuse.ok && reuse.error.code, 'SERVER_GROUP_EXISTS');
  const never = await group('never').ask({ type: 'get', caller: member });
  assert.equal(!never.ok && never.error.code, 'SERVER_GROUP_NOT_FOUND');
});

void test('groups, members and the index survive a new ActorSystem; registerComputeCatalogs registers the kinds', async (t) => {
  const store = createMemoryStore();
  const first = setup(t, store);
  assert.ok((await first.group('g1').ask({ type: 'create', caller: member, name: 'x', policy: 'anti-affinity' })).ok);
  assert.ok((await first.group('g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i1', hostId: 'h1' })).ok);
  await first.system.stop();

  const system = createActorSystem({ store, clock: new VirtualClock(0), seed: 2 });
  t.after(() => system.stop());
  assert.ok(registerComputeCatalogs(system).ok);
  assert.equal(registerComputeCatalogs(system).ok, false, 'a second registration is refused');
  const again = await system.ref(SERVER_GROUP_KIND, 'g1').ask({ type: 'admit', caller: SYSTEM_CALLER, instanceId: 'i2', hostId: 'h1' } as never);
  assert.equal(!again.ok && again.error.code, 'GROUP_POLICY');
  const list = await system.ref(SERVER_GROUP_INDEX_KIND, 'p1').ask({ type: 'list', caller: member } as never);
  assert.deepEqual(list.ok && (list.value as ServerGroupList).serverGroups.map((g) => g.id), ['g1']);
  const flavors = await system.ref('flavors', 'catalog').ask({ type: 'ensureDefaults' });
  assert.ok(flavors.ok);
});
