// The call for bids: placeInstance asks the scheduler for candidates, the candidates bid on their
// real state, the best bid's host grants the claim; a refused claim or admit moves on to the next
// bid; nothing left ends in NO_VALID_HOST with Nova's message. Also requestFromFlavor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { NO_VALID_HOST_MESSAGE, placeInstance, requestFromFlavor, type PlacementContext, type PlacementRequest } from '../../actors/scheduler/index.js';
import { HOST, registerMany, startCluster } from './cluster.js';

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

function request(instanceId: string, extra: Partial<PlacementRequest> = {}): PlacementRequest {
  return { instanceId, resources: tiny, ...extra };
}

void test('an instance is placed on the best bidder, which holds its claim', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('small', { ...HOST, ramMb: 8192 });
  await c.register('large', { ...HOST, ramMb: 65_536 });
  const placed = await placeInstance(c.system, request('i-1'));
  assert.ok(placed.ok, JSON.stringify(placed));
  assert.equal(placed.value.hostId, 'large', 'spread: the most free RAM wins');
  const large = await c.describe('large');
  assert.deepEqual(Object.keys(large.claims), ['i-1']);
  assert.deepEqual(large.used, { vcpus: 1, ramMb: 512, diskGb: 1, pcpus: 0 });
  assert.deepEqual((await c.describe('small')).claims, {});
  // Placing the same instance again finds its own claim (it outbids everyone) and keeps it.
  const again = await placeInstance(c.system, request('i-1'));
  assert.ok(again.ok && again.value.hostId === 'large');
  assert.deepEqual((await c.describe('large')).used.ramMb, 512);
});

void test('pack fills the fullest host that fits', async (t) => {
  const c = startCluster({ scheduler: { strategy: 'pack' } });
  t.after(() => c.stop());
  await c.register('small', { ...HOST, ramMb: 8192 });
  await c.register('large', { ...HOST, ramMb: 65_536 });
  const hosts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const placed = await placeInstance(c.system, request(`i-${i}`, { resources: { vcpus: 1, ramMb: 4096, diskGb: 1 } }));
    assert.ok(placed.ok);
    hosts.push(placed.value.hostId);
  }
  // small holds 8192 × 1.5 = 12288 MB: three of 4096, then large.
  assert.deepEqual(hosts, ['small', 'small', 'small', 'large']);
});

void test('nothing fits: NO_VALID_HOST with Nova message, and no claim anywhere', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('h1', HOST);
  await c.register('h2', { ...HOST, zone: 'other' });
  for (const req of [
    request('too-big', { resources: { vcpus: 1, ramMb: 1_000_000, diskGb: 1 } }),
    request('no-zone', { zone: 'mars' }),
    request('no-trait', { requiredTraits: ['CUSTOM_GPU'] }),
    request('excluded', { excludeHosts: ['h1', 'h2'] }),
  ]) {
    const r = await placeInstance(c.system, req);
    assert.equal(r.ok, false, req.instanceId);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'NO_VALID_HOST');
    assert.equal(r.error.message, NO_VALID_HOST_MESSAGE);
  }
  for (const id of ['h1', 'h2']) assert.deepEqual((await c.describe(id)).claims, {});
  // Zone and traits do place when a host has them.
  await c.register('gpu', { ...HOST, zone: 'other', traits: ['CUSTOM_GPU'] });
  const gpu = await placeInstance(c.system, request('gpu-1', { requiredTraits: ['CUSTOM_GPU'] }));
  assert.ok(gpu.ok && gpu.value.hostId === 'gpu');
  const zoned = await placeInstance(c.system, request('z-1', { zone: 'other', forbiddenTraits: ['CUSTOM_GPU'] }));
  assert.ok(zoned.ok && zoned.value.hostId === 'h2');
});

void test('a refused claim moves on to the next bid', async (t) => {
  // Another instance takes `roomy`'s room between its bid and its claim (injected through the
  // placement context's refs): the claim is refused and the next bid's host, `tight`, takes it.
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('roomy', { ...HOST, ramMb: 4096, allocationRatios: { ram: 1 } });
  await c.register('tight', { ...HOST, ramMb: 3500, allocationRatios: { ram: 1 } });
  const big = { vcpus: 1, ramMb: 3000, diskGb: 1 };
  let injected = false;
  const ctx: PlacementContext = {
    ref(kind, id) {
      const real = c.system.ref(kind, id);
      if (kind !== 'host' || id !== 'roomy') return real;
      return {
        path: real.path,
        tell: (msg) => real.tell(msg),
        async ask(msg, options) {
          if (msg.type === 'claim' && !injected) {
            injected = true;
            const taken = await c.host('roomy').ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'thief', resources: big });
            assert.ok(taken.ok);
          }
          return real.ask(msg, options);
        },
      };
    },
  };
  c.countMessages(true);
  const placed = await placeInstance(ctx, request('a', { resources: big }));
  assert.ok(placed.ok, JSON.stringify(placed));
  assert.equal(placed.value.hostId, 'tight');
  assert.equal(c.received.get('claim'), 3, "the thief's claim, the refused one, the granted one");
  assert.deepEqual(Object.keys((await c.describe('roomy')).claims), ['thief']);
  assert.deepEqual(Object.keys((await c.describe('tight')).claims), ['a']);
});

void test('a stale summary costs bids, bounded by rounds × candidates; the second round excludes the hosts tried', async (t) => {
  // Four hosts die without a word (no report): the summary still offers them, they refuse to
  // bid; two rounds of two candidates ask four hosts and end in NO_VALID_HOST; with three rounds
  // a live host is reached.
  const c = startCluster({ scheduler: { candidates: 2 } });
  t.after(() => c.stop());
  const ids = await registerMany(c, 6);
  for (const id of ids.slice(0, 4)) await c.host(id).ask({ type: 'fail', caller: SYSTEM_CALLER });
  c.countMessages(true);
  const refused = await placeInstance(c.system, request('x'));
  assert.equal(!refused.ok && refused.error.code, 'NO_VALID_HOST');
  assert.equal(c.received.get('candidates'), 2);
  assert.equal(c.received.get('bid'), 4);
  assert.equal(c.received.get('claim'), undefined);
  c.countMessages(true);
  const placed = await placeInstance(c.system, request('y'), { rounds: 3 });
  assert.ok(placed.ok && ids.slice(4).includes(placed.value.hostId), JSON.stringify(placed));
  assert.ok((c.received.get('bid') ?? 0) <= 6, 'at most rounds × candidates bids');
});

void test('server groups: a GROUP_POLICY refusal moves on; anti-affinity spreads, affinity keeps members together', async (t) => {
  const c = startCluster({ groups: new Map([['apart', 'anti-affinity'], ['together', 'affinity']]) });
  t.after(() => c.stop());
  await registerMany(c, 4);
  const apart: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await placeInstance(c.system, request(`a-${i}`, { group: { id: 'apart', policy: 'anti-affinity' } }));
    assert.ok(r.ok, JSON.stringify(r));
    apart.push(r.value.hostId);
  }
  assert.equal(new Set(apart).size, 4, 'four members on four hosts');
  const fifth = await placeInstance(c.system, request('a-4', { group: { id: 'apart', policy: 'anti-affinity' } }));
  assert.equal(!fifth.ok && fifth.error.code, 'NO_VALID_HOST', 'no fifth host for a fifth member');
  const together = await Promise.all(
    Array.from({ length: 6 }, (_, i) => placeInstance(c.system, request(`t-${i}`, { group: { id: 'together', policy: 'affinity' } }))),
  );
  const hosts = new Set(together.map((r) => (r.ok ? r.value.hostId : r.error.code)));
  assert.equal(hosts.size, 1, `affinity members together: ${[...hosts].join(',')}`);
  assert.ok(!hosts.has('NO_VALID_HOST'));
});

void test('requestFromFlavor maps traits, cpu policy and disks; bad specs are BAD_REQUEST', () => {
  const r = requestFromFlavor(
    { vcpus: 2, ramMb: 4096, diskGb: 40, ephemeralGb: 10, swapMb: 1536, extraSpecs: { 'trait:CUSTOM_B': 'required', 'trait:CUSTOM_A': 'required', 'trait:HW_CPU_X86_SGX': 'forbidden', 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': '10' } },
    { instanceId: 'i-9', zone: 'nova', group: { id: 'g', policy: 'soft-affinity' }, excludeHosts: ['h1'] },
  );
  assert.deepEqual(r, {
    ok: true,
    value: {
      instanceId: 'i-9',
      resources: { vcpus: 2, ramMb: 4096, diskGb: 52 },
      zone: 'nova',
      requiredTraits: ['CUSTOM_A', 'CUSTOM_B'],
      forbiddenTraits: ['HW_CPU_X86_SGX'],
      cpuPolicy: 'dedicated',
      group: { id: 'g', policy: 'soft-affinity' },
      excludeHosts: ['h1'],
    },
  });
  assert.deepEqual(requestFromFlavor({ vcpus: 1, ramMb: 512, diskGb: 1, extraSpecs: { 'hw:cpu_policy': 'shared' } }, { instanceId: 'i' }), {
    ok: true,
    value: { instanceId: 'i', resources: tiny },
  });
  for (const extraSpecs of [{ 'trait:CUSTOM_X': 'preferred' }, { 'trait:lower': 'required' }, { 'hw:cpu_policy': 'mixed' }]) {
    const bad = requestFromFlavor({ vcpus: 1, ramMb: 512, diskGb: 1, extraSpecs }, { instanceId: 'i' });
    assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST', JSON.stringify(extraSpecs));
  }
});
