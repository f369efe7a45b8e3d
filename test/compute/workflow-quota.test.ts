// Quota end to end under concurrency: many creates at once in one project never take it over its
// limits (the serial quota actor decides, the servers only ask); the refused are 403
// QUOTA_EXCEEDED and leave no server, reservation or index entry; the accepted all boot and hold
// exactly what they reserved; a delete frees room for another. fast-check varies limits and
// flavors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InstanceView, ServersIndexReply } from '../../actors/compute/index.js';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import type { Message } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { ALICE, startCompute, type Compute } from './workflow-fixture.js';

const FLAVOR = { '1': { vcpus: 1, ramMb: 512 }, '2': { vcpus: 1, ramMb: 2048 }, '3': { vcpus: 2, ramMb: 4096 } } as const;
type FlavorId = keyof typeof FLAVOR;

async function createAll(c: Compute, flavors: readonly FlavorId[]): Promise<Array<Result<InstanceView>>> {
  return c.drive(Promise.all(flavors.map((flavorId) => c.ask<InstanceView>('instance', randomUUID(), { type: 'create', caller: ALICE, name: 'burst', flavorId } as Message))));
}

async function listed(c: Compute): Promise<string[]> {
  const r = await c.must<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE } as Message);
  assert.ok('servers' in r);
  return r.servers.map((s) => s.id).sort();
}

void test('30 creates at once against the default quota: exactly 10 boot, 20 are refused 403, nothing leaks', async (t) => {
  const c = await startCompute({ hosts: 3 });
  t.after(() => c.stop());
  const results = await createAll(c, Array.from({ length: 30 }, () => '1' as const));
  const accepted = results.flatMap((r) => (r.ok ? [r.value.id] : []));
  const refused = results.flatMap((r) => (r.ok ? [] : [r.error]));
  assert.equal(accepted.length, 10);
  assert.equal(refused.length, 20);
  for (const e of refused) assert.deepEqual([e.code, e.status], ['QUOTA_EXCEEDED', 403]);
  await c.drive(Promise.all(accepted.map((id) => c.events.find((e) => e.id === id && e.body.status === 'ACTIVE'))));
  const quota = await c.quota('project-a');
  assert.deepEqual([quota.inUse.instances, quota.inUse.cores, quota.inUse.ramMb, quota.reserved.instances ?? 0], [10, 10, 5120, 0]);
  assert.deepEqual(await listed(c), [...accepted].sort());
  // The refused left no reminder behind (nor index entry, above).
  assert.ok(!c.store.reminders().some((r) => r.key.startsWith('instance/')));

  // One delete frees room for exactly one more.
  assert.ok((await c.drive(c.ask('instance', accepted[0]!, { type: 'delete', caller: ALICE } as Message))).ok);
  const again = await createAll(c, ['1', '1', '1']);
  assert.equal(again.filter((r) => r.ok).length, 1);
  for (const r of again) if (!r.ok) assert.equal(r.error.code, 'QUOTA_EXCEEDED');
});

void test('concurrent creates never exceed any limit (fast-check over limits and flavors)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        instances: fc.integer({ min: 0, max: 8 }),
        cores: fc.integer({ min: 0, max: 10 }),
        ramMb: fc.integer({ min: 0, max: 16_384 }),
      }),
      fc.array(fc.constantFrom<FlavorId>('1', '2', '3'), { minLength: 1, maxLength: 14 }),
      async (limits, flavors) => {
        const c = await startCompute({ hosts: 3 });
        try {
          await c.must('quota', 'project-a', { type: 'setLimits', caller: SYSTEM_CALLER, limits } as Message);
          const results = await createAll(c, flavors);
          const took = { instances: 0, cores: 0, ramMb: 0 };
          const accepted: string[] = [];
          results.forEach((r, i) => {
            if (!r.ok) {
              assert.equal(r.error.code, 'QUOTA_EXCEEDED');
              return;
            }
            const f = FLAVOR[flavors[i]!];
            took.instances++;
            took.cores += f.vcpus;
            took.ramMb += f.ramMb;
            accepted.push(r.value.id);
          });
          assert.ok(took.instances <= limits.instances && took.cores <= limits.cores && took.ramMb <= limits.ramMb, JSON.stringify({ limits, took }));
          // Whatever was refused would not have fit beside what was taken.
          results.forEach((r, i) => {
            if (r.ok) return;
            const f = FLAVOR[flavors[i]!];
            assert.ok(took.instances + 1 > limits.instances || took.cores + f.vcpus > limits.cores || took.ramMb + f.ramMb > limits.ramMb, JSON.stringify({ limits, took, refused: f }));
          });
          await c.drive(Promise.all(accepted.map((id) => c.events.find((e) => e.id === id && (e.body.status === 'ACTIVE' || e.body.status === 'ERROR')))));
          const quota = await c.quota('project-a');
          assert.deepEqual([quota.inUse.instances ?? 0, quota.inUse.cores ?? 0, quota.inUse.ramMb ?? 0, quota.reserved.instances ?? 0], [took.instances, took.cores, took.ramMb, 0]);
          assert.deepEqual(await listed(c), accepted.sort());
        } finally {
          await c.stop();
        }
      },
    ),
    { numRuns: 20, seed: 4242 },
  );
});
