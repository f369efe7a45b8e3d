// quota/<projectId>: reserve is all-or-nothing and names the resource that is over (Nova's
// wording, 403), reserve/commit/release are idempotent per allocation id, released ids are not
// reused, readers and other projects cannot change anything, admins set limits (not below usage
// without force), and the books survive a new ActorSystem over the same store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import { SYSTEM_CALLER, type Caller, type Role } from '../../actors/identity/caller.js';
import { createQuotaKind } from '../../actors/quota/index.js';

function caller(projectId: string | null, role: Role, userId = `${role}-of-${projectId}`): Caller {
  return { userId, userName: userId, domainId: 'default', projectId, roles: [role], expiresAt: Number.MAX_SAFE_INTEGER };
}
const member = caller('p1', 'member');
const reader = caller('p1', 'reader');
const admin = caller('admin', 'admin');
const stranger = caller('p2', 'member');

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore = createMemoryStore()) {
  const system = createActorSystem({ store, clock: new VirtualClock(0), seed: 1 });
  const kind = createQuotaKind({ defaults: { volumes: 5 } });
  assert.ok(system.register(kind).ok);
  t.after(() => system.stop());
  return { system, quota: system.ref(kind, 'p1'), store };
}

void test('defaults are Nova\'s plus the ones a service adds; show needs a reader of the project', async (t) => {
  const { quota } = setup(t);
  const shown = await quota.ask({ type: 'show', caller: reader });
  assert.deepEqual(shown, {
    ok: true,
    value: { projectId: 'p1', limits: { cores: 20, instances: 10, ramMb: 51200, volumes: 5 }, inUse: { cores: 0, instances: 0, ramMb: 0, volumes: 0 }, reserved: { cores: 0, instances: 0, ramMb: 0, volumes: 0 } },
  });
  const foreign = await quota.ask({ type: 'show', caller: stranger });
  assert.equal(!foreign.ok && foreign.error.code, 'FORBIDDEN');
  const anonymous = await quota.ask({ type: 'show' });
  assert.equal(!anonymous.ok && anonymous.error.code, 'UNAUTHORIZED');
  assert.equal((await quota.ask({ type: 'show', caller: admin })).ok, true);
});

void test('reserve, commit and release move amounts between reserved and in use', async (t) => {
  const { quota } = setup(t);
  const r = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas: { instances: 1, cores: 4, ramMb: 8192 } });
  assert.deepEqual(r, { ok: true, value: { allocationId: 'vm-1', state: 'reserved', deltas: { instances: 1, cores: 4, ramMb: 8192 } } });
  let shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'reserved' in shown.value);
  assert.deepEqual(shown.value.reserved, { cores: 4, instances: 1, ramMb: 8192, volumes: 0 });
  assert.deepEqual(shown.value.inUse, { cores: 0, instances: 0, ramMb: 0, volumes: 0 });

  const c = await quota.ask({ type: 'commit', caller: SYSTEM_CALLER, allocationId: 'vm-1' });
  assert.deepEqual(c, { ok: true, value: { allocationId: 'vm-1', state: 'committed', deltas: { instances: 1, cores: 4, ramMb: 8192 } } });
  shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'inUse' in shown.value);
  assert.deepEqual(shown.value.inUse, { cores: 4, instances: 1, ramMb: 8192, volumes: 0 });
  assert.deepEqual(shown.value.reserved, { cores: 0, instances: 0, ramMb: 0, volumes: 0 });

  assert.deepEqual(await quota.ask({ type: 'release', caller: member, allocationId: 'vm-1' }), { ok: true, value: { allocationId: 'vm-1', released: true } });
  shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'inUse' in shown.value);
  assert.deepEqual(shown.value.inUse, { cores: 0, instances: 0, ramMb: 0, volumes: 0 });
});

void test('over quota: all-or-nothing refusal naming the resource, its limit, use and request', async (t) => {
  const { quota } = setup(t);
  assert.ok((await quota.ask({ type: 'reserve', caller: member, allocationId: 'a', deltas: { instances: 1, cores: 18, ramMb: 1024 } })).ok);
  const over = await quota.ask({ type: 'reserve', caller: member, allocationId: 'b', deltas: { instances: 1, cores: 4, ramMb: 1024 } });
  assert.equal(over.ok, false);
  assert.ok(!over.ok);
  assert.equal(over.error.code, 'QUOTA_EXCEEDED');
  assert.equal(over.error.status, 403);
  assert.equal(over.error.message, 'Quota exceeded for cores: Requested 4, but already used 18 of 20 cores');
  assert.deepEqual({ ...over.error.details, overs: undefined }, { resource: 'cores', limit: 20, used: 18, requested: 4, overs: undefined });
  // Nothing of the refused request was booked: instances and RAM are as before.
  const shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'reserved' in shown.value);
  assert.deepEqual(shown.value.reserved, { cores: 18, instances: 1, ramMb: 1024, volumes: 0 });
  // Two resources over at once are both named.
  const both = await quota.ask({ type: 'reserve', caller: member, allocationId: 'c', deltas: { cores: 3, volumes: 6 } });
  assert.ok(!both.ok);
  assert.equal(both.error.message, 'Quota exceeded for cores, volumes: Requested 3, 6, but already used 18, 0 of 20, 5 cores, volumes');
  // What fits exactly is accepted; a resource without limit or default is unlimited.
  assert.ok((await quota.ask({ type: 'reserve', caller: member, allocationId: 'd', deltas: { cores: 2, gigabytes: 1_000_000 } })).ok);
});

void test('idempotency: the same reserve answers the same; other deltas or a released id conflict', async (t) => {
  const { quota } = setup(t);
  const deltas = { instances: 1, cores: 2, ramMb: 0 };
  const first = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas });
  const again = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas: { cores: 2, instances: 1 } });
  assert.deepEqual(again, first);
  const other = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas: { instances: 1, cores: 3 } });
  assert.equal(!other.ok && other.error.code, 'QUOTA_ALLOCATION_CONFLICT');
  const c1 = await quota.ask({ type: 'commit', caller: member, allocationId: 'vm-1' });
  const c2 = await quota.ask({ type: 'commit', caller: member, allocationId: 'vm-1' });
  assert.deepEqual(c2, c1);
  // A reserve replayed after the commit still answers the allocation (now committed), books unchanged.
  const late = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas });
  assert.ok(late.ok && 'state' in late.value && late.value.state === 'committed');
  assert.deepEqual(await quota.ask({ type: 'release', caller: member, allocationId: 'vm-1' }), { ok: true, value: { allocationId: 'vm-1', released: true } });
  assert.deepEqual(await quota.ask({ type: 'release', caller: member, allocationId: 'vm-1' }), { ok: true, value: { allocationId: 'vm-1', released: false } });
  const reuse = await quota.ask({ type: 'reserve', caller: member, allocationId: 'vm-1', deltas });
  assert.equal(!reuse.ok && reuse.error.code, 'QUOTA_ALLOCATION_CONFLICT');
  const recommit = await quota.ask({ type: 'commit', caller: member, allocationId: 'vm-1' });
  assert.equal(!recommit.ok && recommit.error.code, 'QUOTA_ALLOCATION_CONFLICT');
  const unknown = await quota.ask({ type: 'commit', caller: member, allocationId: 'never' });
  assert.equal(!unknown.ok && unknown.error.code, 'QUOTA_ALLOCATION_NOT_FOUND');
  assert.equal(!unknown.ok && unknown.error.status, 404);
  const shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'inUse' in shown.value);
  assert.equal(shown.value.inUse.cores, 0);
  assert.equal(shown.value.reserved.cores, 0);
});

void test('validation: malformed bodies are refused BAD_REQUEST without touching the books', async (t) => {
  const { quota } = setup(t);
  const bad: unknown[] = [
    { type: 'reserve', caller: member, allocationId: 'x', deltas: { cores: -1 } },
    { type: 'reserve', caller: member, allocationId: 'x', deltas: { Cores: 1 } },
    { type: 'reserve', caller: member, allocationId: 'x', deltas: { cores: 1.5 } },
    { type: 'reserve', caller: member, allocationId: '__proto__', deltas: { cores: 1 } },
    { type: 'reserve', caller: member, allocationId: 'a/b', deltas: { cores: 1 } },
    { type: 'reserve', caller: member, deltas: { cores: 1 } },
    { type: 'reserve', caller: member, allocationId: 'x', deltas: JSON.parse('{"__proto__": 1}') },
    { type: 'commit', caller: member, allocationId: '' },
    { type: 'setLimits', caller: admin, limits: { cores: -2 } },
    { type: 'setLimits', caller: admin, limits: { cores: 1 }, extra: true },
  ];
  for (const body of bad) {
    const r = await quota.ask(body as never);
    assert.equal(!r.ok && r.error.code, 'BAD_REQUEST', JSON.stringify(body));
  }
  const named = await quota.ask({ type: 'reserve', caller: member, allocationId: 'x', deltas: { cores: -1 } });
  assert.equal(!named.ok && named.error.details?.field, '/deltas/cores', 'the error names the field');
  const shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'reserved' in shown.value);
  assert.deepEqual(Object.values(shown.value.reserved), [0, 0, 0, 0]);
});

void test('permissions: readers and other projects change nothing; only admin sets limits', async (t) => {
  const { quota } = setup(t);
  for (const who of [reader, stranger, undefined]) {
    const r = await quota.ask(who === undefined ? { type: 'reserve', allocationId: 'x', deltas: { cores: 1 } } : { type: 'reserve', caller: who, allocationId: 'x', deltas: { cores: 1 } });
    assert.equal(!r.ok && r.error.code, who === undefined ? 'UNAUTHORIZED' : 'FORBIDDEN');
  }
  assert.ok((await quota.ask({ type: 'reserve', caller: member, allocationId: 'x', deltas: { cores: 1 } })).ok);
  for (const type of ['commit', 'release'] as const) {
    const r = await quota.ask({ type, caller: stranger, allocationId: 'x' });
    assert.equal(!r.ok && r.error.code, 'FORBIDDEN');
    const rr = await quota.ask({ type, caller: reader, allocationId: 'x' });
    assert.equal(!rr.ok && rr.error.code, 'FORBIDDEN');
  }
  const bymember = await quota.ask({ type: 'setLimits', caller: member, limits: { cores: 100 } });
  assert.equal(!bymember.ok && bymember.error.code, 'FORBIDDEN');
  // Another project's admin is an admin: cloud-wide.
  const set = await quota.ask({ type: 'setLimits', caller: admin, limits: { cores: 100, instances: -1 } });
  assert.ok(set.ok && 'limits' in set.value);
  assert.equal(set.value.limits.cores, 100);
  assert.equal(set.value.limits.instances, -1);
});

void test('setLimits: not below usage unless forced; null restores the default; -1 is unlimited', async (t) => {
  const { quota } = setup(t);
  assert.ok((await quota.ask({ type: 'reserve', caller: member, allocationId: 'a', deltas: { cores: 8, instances: 2 } })).ok);
  const below = await quota.ask({ type: 'setLimits', caller: admin, limits: { cores: 7 } });
  assert.ok(!below.ok);
  assert.equal(below.error.code, 'QUOTA_LIMIT_BELOW_USAGE');
  assert.equal(below.error.status, 400);
  const forced = await quota.ask({ type: 'setLimits', caller: admin, limits: { cores: 7 }, force: true });
  assert.ok(forced.ok && 'limits' in forced.value && forced.value.limits.cores === 7);
  const more = await quota.ask({ type: 'reserve', caller: member, allocationId: 'b', deltas: { cores: 1 } });
  assert.ok(!more.ok);
  assert.equal(more.error.message, 'Quota exceeded for cores: Requested 1, but already used 8 of 7 cores');
  assert.ok((await quota.ask({ type: 'setLimits', caller: admin, limits: { cores: null, instances: -1 } })).ok);
  assert.ok((await quota.ask({ type: 'reserve', caller: member, allocationId: 'b', deltas: { cores: 1, instances: 1000 } })).ok);
  const shown = await quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'limits' in shown.value);
  assert.equal(shown.value.limits.cores, 20);
  assert.equal(shown.value.limits.instances, -1);
});

void test('the books survive a new ActorSystem over the same store', async (t) => {
  const store = createMemoryStore();
  const first = setup(t, store);
  assert.ok((await first.quota.ask({ type: 'reserve', caller: member, allocationId: 'a', deltas: { cores: 4 } })).ok);
  assert.ok((await first.quota.ask({ type: 'reserve', caller: member, allocationId: 'b', deltas: { cores: 6 } })).ok);
  assert.ok((await first.quota.ask({ type: 'commit', caller: member, allocationId: 'b' })).ok);
  assert.ok((await first.quota.ask({ type: 'setLimits', caller: admin, limits: { cores: 12 } })).ok);
  assert.ok((await first.quota.ask({ type: 'release', caller: member, allocationId: 'c' })).ok);
  await first.system.stop();

  const second = setup(t, store);
  const shown = await second.quota.ask({ type: 'show', caller: member });
  assert.ok(shown.ok && 'inUse' in shown.value);
  assert.equal(shown.value.limits.cores, 12);
  assert.equal(shown.value.inUse.cores, 6);
  assert.equal(shown.value.reserved.cores, 4);
  const over = await second.quota.ask({ type: 'reserve', caller: member, allocationId: 'd', deltas: { cores: 3 } });
  assert.equal(!over.ok && over.error.code, 'QUOTA_EXCEEDED');
  assert.ok((await second.quota.ask({ type: 'commit', caller: member, allocationId: 'a' })).ok);
});
