// The compute host actor's inventory, bids and claims: registration by admins only, capacity =
// inventory × allocation ratios, bids filtered on the host's real state, claims granted
// atomically (100 racing claims never overcommit), idempotent per instance, and unclaims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER, type Caller } from '../../actors/identity/caller.js';
import { PACK, SPREAD, type BidView, type PlacementRequest } from '../../actors/scheduler/index.js';
import type { HostView, UnclaimView } from '../../hosts/compute/index.js';
import { HOST, startCluster } from '../scheduler/cluster.js';

const member: Caller = { userId: 'u', userName: 'u', domainId: 'default', projectId: 'p', roles: ['member'], expiresAt: Number.MAX_SAFE_INTEGER };
const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

void test('register: admins only, validated; capacity applies the allocation ratios', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  const h = c.host('h1');
  const noCaller = await h.ask({ type: 'register', inventory: HOST });
  assert.equal(!noCaller.ok && noCaller.error.code, 'UNAUTHORIZED');
  const notAdmin = await h.ask({ type: 'register', caller: member, inventory: HOST });
  assert.equal(!notAdmin.ok && notAdmin.error.code, 'FORBIDDEN');
  for (const inventory of [{ ...HOST, vcpus: 0 }, { ...HOST, zone: 'a b' }, { ...HOST, traits: ['lower'] }, { ...HOST, allocationRatios: { cpu: 0 } }, { ...HOST, extra: 1 }]) {
    const bad = await h.ask({ type: 'register', caller: SYSTEM_CALLER, inventory } as never);
    assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST', JSON.stringify(inventory));
  }
  assert.equal((await c.describe('h1')).registered, false);
  const view = await c.register('h1', { zone: 'nova', vcpus: 8, ramMb: 16_384, diskGb: 100, allocationRatios: { cpu: 4, disk: 2 } });
  assert.deepEqual(view.capacity, { vcpus: 32, ramMb: 24_576, diskGb: 200, pcpus: 8, cpuRatio: 4 });
  assert.equal(view.up, true);
  const defaults = await c.register('h2', HOST);
  assert.deepEqual(defaults.capacity, { vcpus: 512, ramMb: 196_608, diskGb: 1000, pcpus: 32, cpuRatio: 16 });
});

void test('claims are atomic: 100 racing claims on a host that holds 24 grant exactly 24', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  // 16,384 MB × 1.5 = 24,576 MB: 24 instances of 1,024 MB.
  await c.register('h', { ...HOST, ramMb: 16_384 });
  const h = c.host('h');
  const answers = await Promise.all(
    Array.from({ length: 100 }, (_, i) => h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: `i-${i}`, resources: { vcpus: 1, ramMb: 1024, diskGb: 1 } })),
  );
  assert.equal(answers.filter((a) => a.ok).length, 24);
  for (const a of answers) if (!a.ok) assert.equal(a.error.code, 'CLAIM_REFUSED');
  const view = await c.describe('h');
  assert.equal(Object.keys(view.claims).length, 24);
  assert.deepEqual(view.used, { vcpus: 24, ramMb: 24_576, diskGb: 24, pcpus: 0 });

  // The same claim again is granted again (idempotent); another size for the same instance is refused.
  const granted = answers.findIndex((a) => a.ok);
  const again = await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: `i-${granted}`, resources: { vcpus: 1, ramMb: 1024, diskGb: 1 } });
  assert.ok(again.ok);
  const resized = await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: `i-${granted}`, resources: { vcpus: 2, ramMb: 1024, diskGb: 1 } });
  assert.equal(!resized.ok && resized.error.code, 'CLAIM_REFUSED');

  // unclaim gives the room back once; a second unclaim releases nothing.
  const first = await h.ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId: `i-${granted}` });
  const second = await h.ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId: `i-${granted}` });
  assert.deepEqual([(first as { value: UnclaimView }).value.released, (second as { value: UnclaimView }).value.released], [true, false]);
  assert.equal((await c.describe('h')).used.ramMb, 23 * 1024);
  const unauthorized = await h.ask({ type: 'claim', caller: member, instanceId: 'x', resources: tiny });
  assert.equal(!unauthorized.ok && unauthorized.error.code, 'FORBIDDEN');
});

void test('bids: the host filters itself on its real state and weighs spread or pack', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('h', { ...HOST, ramMb: 8192, traits: ['CUSTOM_SSD'] });
  const h = c.host('h');
  const bid = (request: Partial<PlacementRequest>, weighers = SPREAD) => h.ask({ type: 'bid', caller: SYSTEM_CALLER, request: { instanceId: 'i', resources: tiny, ...request }, weighers });
  const spread = await bid({});
  // (12,288 − 512) MB free = 11.5 GiB, (512 − 1) vCPUs free / 16 = 31.9375 cores.
  assert.deepEqual(spread, { ok: true, value: { hostId: 'h', weight: 11.5 + 31.9375 } });
  assert.deepEqual(await bid({}, PACK), { ok: true, value: { hostId: 'h', weight: -(11.5 + 31.9375) } });
  for (const request of [
    { zone: 'elsewhere' },
    { requiredTraits: ['CUSTOM_GPU'] },
    { forbiddenTraits: ['CUSTOM_SSD'] },
    { excludeHosts: ['h'] },
    { resources: { vcpus: 1, ramMb: 12_289, diskGb: 1 } },
    { resources: { vcpus: 513, ramMb: 1, diskGb: 1 } },
    { resources: { vcpus: 1, ramMb: 1, diskGb: 1001 } },
    { resources: { vcpus: 33, ramMb: 1, diskGb: 1 }, cpuPolicy: 'dedicated' as const },
  ]) {
    const r = await bid(request);
    assert.equal(!r.ok && r.error.code, 'NO_FIT', JSON.stringify(request));
  }
  assert.ok((await bid({ requiredTraits: ['CUSTOM_SSD'], zone: 'nova' })).ok);
  await h.ask({ type: 'disable', caller: SYSTEM_CALLER, reason: 'maintenance' });
  const disabled = await bid({});
  assert.equal(!disabled.ok && disabled.error.code, 'NO_FIT');
  const claim = await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'i', resources: tiny });
  assert.equal(!claim.ok && claim.error.code, 'CLAIM_REFUSED');
  const enabled = await h.ask({ type: 'enable', caller: SYSTEM_CALLER });
  assert.equal((enabled as { value: HostView }).value.enabled, true);
  assert.ok((await bid({})).ok);
  // An unregistered host bids nothing.
  const ghost = await c.host('ghost').ask({ type: 'bid', caller: SYSTEM_CALLER, request: { instanceId: 'i', resources: tiny } });
  assert.equal(!ghost.ok && ghost.error.code, 'NO_FIT');
  // Its own claim outbids everyone (a resumed placement stays put).
  await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'mine', resources: tiny });
  const own = await h.ask({ type: 'bid', caller: SYSTEM_CALLER, request: { instanceId: 'mine', resources: tiny } });
  assert.equal(own.ok && (own.value as BidView).weight, Number.MAX_SAFE_INTEGER);
});

void test('re-registering keeps the claims and recounts pinned cores with the new cpu ratio', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('h', { ...HOST, vcpus: 8 });
  await c.host('h').ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'p', resources: { vcpus: 2, ramMb: 512, diskGb: 1 }, cpuPolicy: 'dedicated' });
  assert.deepEqual((await c.describe('h')).used, { vcpus: 32, ramMb: 512, diskGb: 1, pcpus: 2 });
  const again = await c.register('h', { ...HOST, vcpus: 8, allocationRatios: { cpu: 2 } });
  assert.deepEqual(again.used, { vcpus: 4, ramMb: 512, diskGb: 1, pcpus: 2 });
  assert.deepEqual(Object.keys(again.claims), ['p']);
});
