// Property: random host capacities and flavor mixes, up to 1,000 placements at once. Whatever
// the interleaving, no host is ever above capacity × allocation ratio, every accepted placement
// is claimed exactly once (on the host it was placed on), every refusal is NO_VALID_HOST and
// leaves no claim, and hard affinity / anti-affinity hold under concurrency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { placeInstance, type GroupPolicy, type PlacementContext, type PlacementRequest } from '../../actors/scheduler/index.js';
import type { HostView, Inventory } from '../../hosts/compute/index.js';
import { startCluster } from './cluster.js';

const GROUPS = new Map<string, GroupPolicy>([
  ['g-affinity', 'affinity'],
  ['g-anti', 'anti-affinity'],
  ['g-soft', 'soft-anti-affinity'],
]);

const inventory: fc.Arbitrary<Inventory> = fc.record({
  zone: fc.constantFrom('az1', 'az2'),
  vcpus: fc.integer({ min: 8, max: 128 }),
  ramMb: fc.integer({ min: 16_384, max: 524_288 }),
  diskGb: fc.integer({ min: 200, max: 4000 }),
  traits: fc.subarray(['CUSTOM_SSD', 'CUSTOM_GPU']),
  allocationRatios: fc.record({ cpu: fc.constantFrom(1, 4, 16), ram: fc.constantFrom(1, 1.5), disk: fc.constant(1) }),
});

/** DevStack's flavors (m1.tiny ... m1.xlarge) and one odd size. */
const FLAVORS = [
  { vcpus: 1, ramMb: 512, diskGb: 1 },
  { vcpus: 1, ramMb: 2048, diskGb: 20 },
  { vcpus: 2, ramMb: 4096, diskGb: 40 },
  { vcpus: 4, ramMb: 8192, diskGb: 80 },
  { vcpus: 8, ramMb: 16_384, diskGb: 160 },
  { vcpus: 3, ramMb: 3000, diskGb: 7 },
];

type Ask = Omit<PlacementRequest, 'instanceId'>;

const ask: fc.Arbitrary<Ask> = fc
  .record({
    resources: fc.constantFrom(...FLAVORS),
    zone: fc.option(fc.constantFrom('az1', 'az2'), { freq: 3, nil: undefined }),
    trait: fc.option(fc.constantFrom('CUSTOM_SSD', 'CUSTOM_GPU'), { freq: 5, nil: undefined }),
    dedicated: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    group: fc.option(fc.constantFrom(...GROUPS.keys()), { freq: 4, nil: undefined }),
  })
  .map(({ resources, zone, trait, dedicated, group }) => ({
    resources,
    ...(zone === undefined ? {} : { zone }),
    ...(trait === undefined ? {} : { requiredTraits: [trait] }),
    ...(dedicated ? { cpuPolicy: 'dedicated' as const } : {}),
    ...(group === undefined ? {} : { group: { id: group, policy: GROUPS.get(group)! } }),
  }));

/** Refs whose answers are released in an order the fast-check scheduler picks. */
function reordered(system: PlacementContext, s: fc.Scheduler): PlacementContext {
  return {
    ref(kind, id) {
      const real = system.ref(kind, id);
      return { path: real.path, tell: (msg) => real.tell(msg), ask: (msg, options) => s.schedule(real.ask(msg, options), `${kind}/${id} ${msg.type}`) };
    },
  };
}

void test('concurrent placements never overcommit, claim exactly once, refuse only with NO_VALID_HOST, keep group policies', async () => {
  let largest = 0;
  let refusedClaims = 0;
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(inventory, { minLength: 1, maxLength: 20 }),
      fc.array(ask, { minLength: 1, maxLength: 1000, size: 'max' }),
      fc.constantFrom('spread' as const, 'pack' as const),
      fc.integer({ min: 1, max: 8 }),
      fc.option(fc.scheduler(), { nil: undefined }),
      async (hosts, asks, strategy, candidates, reorder) => {
        const c = startCluster({ scheduler: { strategy, candidates }, groups: GROUPS });
        try {
          const hostIds = hosts.map((_, i) => `h${i}`);
          await Promise.all(hosts.map((inv, i) => c.register(hostIds[i]!, inv)));
          c.countMessages(true);
          const requests = asks.map((a, i) => ({ instanceId: `i${i}`, ...a }));
          // With a fast-check scheduler, every answer reaches its placement in a random order, so
          // bids, admits and claims of different boots interleave in every way.
          const ctx = reorder === undefined ? c.system : reordered(c.system, reorder);
          const all = Promise.all(requests.map((r) => placeInstance(ctx, r)));
          const results = reorder === undefined ? await all : await reorder.waitFor(all);
          if (reorder !== undefined) refusedClaims += (c.received.get('claim') ?? 0) - results.filter((r) => r.ok).length;
          largest = Math.max(largest, requests.length);
          for (const r of results) if (r.ok) accepted++;
          else refused++;

          const views = new Map<string, HostView>();
          for (const id of hostIds) views.set(id, await c.describe(id));
          const claimedOn = new Map<string, string[]>();
          for (const [id, v] of views) {
            const cap = v.capacity!;
            const u = v.used;
            assert.ok(u.vcpus <= cap.vcpus && u.ramMb <= cap.ramMb && u.diskGb <= cap.diskGb && u.pcpus <= cap.pcpus, `${id} over capacity: ${JSON.stringify({ cap, u })}`);
            for (const instanceId of Object.keys(v.claims)) claimedOn.set(instanceId, [...(claimedOn.get(instanceId) ?? []), id]);
          }
          const hostOf = new Map<string, string>();
          results.forEach((r, i) => {
            const instanceId = requests[i]!.instanceId;
            if (r.ok) {
              assert.deepEqual(claimedOn.get(instanceId), [r.value.hostId], `${instanceId} claimed once, on its host`);
              hostOf.set(instanceId, r.value.hostId);
            } else {
              assert.equal(r.error.code, 'NO_VALID_HOST', JSON.stringify(r.error));
              assert.equal(claimedOn.get(instanceId), undefined, `refused ${instanceId} holds no claim`);
            }
          });
          assert.equal(claimedOn.size, hostOf.size, 'no claim without an accepted placement');

          for (const [group, policy] of GROUPS) {
            const members = requests.filter((r) => r.group?.id === group && hostOf.has(r.instanceId)).map((r) => hostOf.get(r.instanceId)!);
            if (policy === 'affinity') assert.ok(new Set(members).size <= 1, `affinity spread over ${new Set(members).size} hosts`);
            if (policy === 'anti-affinity') assert.equal(new Set(members).size, members.length, 'anti-affinity members share a host');
            // The group's books match the claims: admitted members whose claim was refused left again.
            const books = await c.system.ref('server-group', group).ask({ type: 'members', caller: SYSTEM_CALLER } as { type: string });
            assert.ok(books.ok);
            assert.deepEqual(Object.keys(books.value as object).sort(), requests.filter((r) => r.group?.id === group && hostOf.has(r.instanceId)).map((r) => r.instanceId).sort());
          }
        } finally {
          await c.stop();
        }
      },
    ),
    { numRuns: 30, seed: 20_240_601 },
  );
  // The runs did exercise large concurrent batches, with both outcomes.
  assert.ok(largest >= 500, `largest batch ${largest}`);
  assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`);
  // Reordered answers make boots race for the same room: hosts had to refuse claims.
  assert.ok(refusedClaims > 0, 'no claim was ever refused: the races were not exercised');
});
