// Property: random batches of concurrent reserve/commit/release/setLimits against one project's
// quota (with restarts over the same store in between) never take a resource over its limit,
// answer exactly what a sequential model of the same requests answers (the actor linearizes them
// in arrival order), and keep the books balanced: in use + reserved = the live allocations' sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import type { Caller } from '../../actors/identity/caller.js';
import { createQuotaKind, type Allocation, type QuotaReply, type QuotaState, type QuotaView } from '../../actors/quota/index.js';

const RESOURCES = ['instances', 'cores', 'ramMb'] as const;
const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'constructor', 'toString'];
const member: Caller = { userId: 'u', userName: 'u', domainId: 'default', projectId: 'p', roles: ['member'], expiresAt: Number.MAX_SAFE_INTEGER };
const admin: Caller = { ...member, roles: ['admin'] };

type Deltas = Partial<Record<(typeof RESOURCES)[number], number>>;
type Op =
  | { readonly type: 'reserve'; readonly id: string; readonly deltas: Deltas }
  | { readonly type: 'commit' | 'release'; readonly id: string }
  | { readonly type: 'setLimits'; readonly limits: Deltas };
type Step = { readonly kind: 'batch'; readonly ops: readonly Op[] } | { readonly kind: 'restart' };

const id = fc.constantFrom(...IDS);
const deltas = fc.record({ instances: fc.integer({ min: 0, max: 2 }), cores: fc.integer({ min: 0, max: 8 }), ramMb: fc.constantFrom(0, 512, 2048, 8192) }, { requiredKeys: [] });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('reserve' as const), id, deltas }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constantFrom('commit' as const, 'release' as const), id }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('setLimits' as const), limits: fc.record({ instances: fc.integer({ min: -1, max: 6 }), cores: fc.integer({ min: 0, max: 30 }), ramMb: fc.constantFrom(-1, 4096, 16384) }, { requiredKeys: [] }) }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(op, { minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

/** The specification, applied one request at a time. */
class Model {
  limits: Record<string, number> = { instances: 10, cores: 20, ramMb: 51200 };
  live = new Map<string, { deltas: Deltas; committed: boolean }>();
  released = new Set<string>();

  used(r: string): number {
    let n = 0;
    for (const a of this.live.values()) n += a.deltas[r as keyof Deltas] ?? 0;
    return n;
  }

  /** The code the actor must answer ('ok' or an error code). */
  apply(o: Op): string {
    switch (o.type) {
      case 'reserve': {
        const d = Object.fromEntries(Object.entries(o.deltas).filter(([, n]) => n !== 0));
        const held = this.live.get(o.id);
        if (held !== undefined) return JSON.stringify(Object.entries(held.deltas).sort()) === JSON.stringify(Object.entries(d).sort()) ? 'ok' : 'QUOTA_ALLOCATION_CONFLICT';
        if (this.released.has(o.id)) return 'QUOTA_ALLOCATION_CONFLICT';
        for (const [r, n] of Object.entries(d)) if (this.limits[r]! >= 0 && this.used(r) + n > this.limits[r]!) return 'QUOTA_EXCEEDED';
        this.live.set(o.id, { deltas: d, committed: false });
        return 'ok';
      }
      case 'commit': {
        const held = this.live.get(o.id);
        if (held === undefined) return this.released.has(o.id) ? 'QUOTA_ALLOCATION_CONFLICT' : 'QUOTA_ALLOCATION_NOT_FOUND';
        held.committed = true;
        return 'ok';
      }
      case 'release':
        if (this.live.delete(o.id)) this.released.add(o.id);
        return 'ok';
      case 'setLimits':
        for (const [r, n] of Object.entries(o.limits)) if (n >= 0 && n < this.used(r)) return 'QUOTA_LIMIT_BELOW_USAGE';
        Object.assign(this.limits, o.limits);
        return 'ok';
    }
  }
}

function start(store: ActorStore) {
  const system = createActorSystem({ store, clock: new VirtualClock(0), seed: 7 });
  const kind = createQuotaKind({ keepReleased: 1_000_000 });
  assert.ok(system.register(kind).ok);
  return { system, quota: system.ref(kind, 'p') };
}

function send(quota: ReturnType<typeof start>['quota'], o: Op): Promise<Result<QuotaReply>> {
  switch (o.type) {
    case 'reserve':
      return quota.ask({ type: 'reserve', caller: member, allocationId: o.id, deltas: o.deltas });
    case 'commit':
    case 'release':
      return quota.ask({ type: o.type, caller: member, allocationId: o.id });
    case 'setLimits':
      return quota.ask({ type: 'setLimits', caller: admin, limits: o.limits });
  }
}

void test('concurrent quota traffic never exceeds limits and the books balance', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
      const store = createMemoryStore();
      let node = start(store);
      const model = new Model();
      try {
        for (const s of steps) {
          if (s.kind === 'restart') {
            await node.system.stop();
            node = start(store);
            continue;
          }
          // Sent together; the actor takes them in arrival order, one at a time.
          const replies = await Promise.all(s.ops.map((o) => send(node.quota, o)));
          s.ops.forEach((o, i) => {
            const reply = replies[i]!;
            assert.equal(reply.ok ? 'ok' : reply.error.code, model.apply(o), JSON.stringify(o));
          });
          const shown = await node.quota.ask({ type: 'show', caller: member });
          assert.ok(shown.ok);
          const view = shown.value as QuotaView;
          const record = store.load<QuotaState>('quota/p')?.state;
          const allocations = store.loadEntries('quota/p').map(([, a]) => a as Allocation);
          for (const r of RESOURCES) {
            const used = view.inUse[r]! + view.reserved[r]!;
            assert.equal(used, model.used(r), `${r}: in use + reserved = live allocations`);
            let committed = 0;
            for (const a of model.live.values()) if (a.committed) committed += a.deltas[r] ?? 0;
            assert.equal(view.inUse[r], committed, `${r} in use`);
            if (view.limits[r]! >= 0) assert.ok(used <= view.limits[r]!, `${r}: ${used} over ${view.limits[r]}`);
            // The stored totals match the stored allocations.
            if (record !== undefined) {
              let sum = 0;
              for (const a of allocations) sum += a.deltas[r] ?? 0;
              assert.equal((record.inUse[r] ?? 0) + (record.reserved[r] ?? 0), sum);
            }
          }
          assert.deepEqual(allocations.map((a) => a.id).sort(), [...model.live.keys()].sort());
        }
      } finally {
        await node.system.stop();
      }
    }),
    { numRuns: 150 },
  );
});
