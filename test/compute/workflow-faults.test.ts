// Fault injection on the spawn workflow (deterministic, in process, virtual clock). It proves:
// a hypervisor that fails every boot costs exactly 3 attempts on 3 different hosts, then ERROR
// with Nova's retry fault, the quota released and no claim left anywhere; no valid host (no
// hosts, or none in the zone) ends in ERROR with the NoValidHost fault and the quota released;
// a host that dies during the build is replaced by another and the server still goes ACTIVE;
// with half the boots failing, every server ends ACTIVE or ERROR and claims match servers; a
// scheduler that is briefly unavailable delays the build (the reminder retries) instead of failing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView } from '../../actors/compute/index.js';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { refuse, type Message } from '../../supervision/index.js';
import { Unavailable } from '../../transports/errors.js';
import { ALICE, claimsByHost, startCompute, type Compute, type SchedulerKind } from './workflow-fixture.js';

const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';

function spawnsByHost(c: Compute): Map<string, number> {
  const counts = new Map<string, number>();
  c.system.inspect((e) => {
    if (e.type === 'received' && e.kind === 'host' && e.messageType === 'spawn') counts.set(e.path, (counts.get(e.path) ?? 0) + 1);
  });
  return counts;
}

async function assertNothingHeld(c: Compute): Promise<void> {
  for (const [h, sum] of await claimsByHost(c)) assert.deepEqual(sum, { vcpus: 0, ramMb: 0, diskGb: 0, instances: [] }, `claims on ${h}`);
  const quota = await c.quota('project-a');
  for (const resource of ['instances', 'cores', 'ramMb']) {
    assert.equal(quota.inUse[resource] ?? 0, 0, `${resource} in use`);
    assert.equal(quota.reserved[resource] ?? 0, 0, `${resource} reserved`);
  }
}

void test('a hypervisor that fails every boot: 3 attempts on 3 different hosts, then ERROR with a fault, nothing held', async (t) => {
  const c = await startCompute({ hosts: 4, driver: { failureRate: 1 } });
  t.after(() => c.stop());
  const spawns = spawnsByHost(c);
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const id = created.value.id;
  const failed = await c.reach(id, 'ERROR');
  assert.deepEqual([failed.status, failed.taskState, failed.hostId, failed.powerState], ['ERROR', null, null, 0]);
  assert.ok(failed.fault !== null);
  assert.equal(failed.fault.code, 500);
  assert.match(failed.fault.message, new RegExp(`^Exceeded maximum number of retries. Exceeded max scheduling attempts 3 for instance ${id}. Last exception: fake driver: boot of ${id} failed$`));
  // Exactly three spawns, each on a different host; the fourth host was never asked.
  assert.equal([...spawns.values()].reduce((a, b) => a + b, 0), 3);
  assert.equal(spawns.size, 3);
  for (const n of spawns.values()) assert.equal(n, 1);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ERROR']);
  await assertNothingHeld(c);
  // Its failed domains are cleaned up on every host.
  for (const h of c.hostIds) assert.deepEqual((await c.host(h)).domains, {});
  assert.ok(!c.store.reminders().some((r) => r.key === `instance/${id}`));
  // An errored server still shows (with its fault) and can be deleted.
  const shown = await c.show(ALICE, id);
  assert.ok(shown.ok);
  assert.equal(shown.value.fault?.code, 500);
  const deleted = await c.drive(c.ask<InstanceView>('instance', id, { type: 'delete', caller: ALICE } as Message));
  assert.ok(deleted.ok);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ERROR', 'DELETED']);
  await assertNothingHeld(c);
});

void test('maxAttempts is configurable: 1 attempt means no reschedule', async (t) => {
  const c = await startCompute({ hosts: 3, driver: { failureRate: 1 }, instances: { maxAttempts: 1 } });
  t.after(() => c.stop());
  const spawns = spawnsByHost(c);
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const failed = await c.reach(created.value.id, 'ERROR');
  assert.match(failed.fault?.message ?? '', /max scheduling attempts 1 /);
  assert.equal(spawns.size, 1);
  await assertNothingHeld(c);
});

void test('no valid host: ERROR with the NoValidHost fault, quota released', async (t) => {
  for (const setup of [{ hosts: 0 }, { hosts: 2, zone: 'elsewhere' }, { hosts: 2, flavorId: '5', tooBig: true }]) {
    const c = await startCompute({ hosts: setup.hosts, inventory: { zone: 'nova', vcpus: 4, ramMb: 8192, diskGb: 100, allocationRatios: { cpu: 1, ram: 1, disk: 1 } } });
    t.after(() => c.stop());
    const created = await c.create(ALICE, { ...('zone' in setup ? { zone: setup.zone } : {}), ...('flavorId' in setup ? { flavorId: setup.flavorId } : {}) });
    assert.ok(created.ok, JSON.stringify(created));
    const failed = await c.reach(created.value.id, 'ERROR');
    assert.deepEqual(failed.fault && { code: failed.fault.code, message: failed.fault.message }, { code: 500, message: NO_VALID_HOST }, JSON.stringify(setup));
    assert.equal(failed.hostId, null);
    assert.deepEqual(c.events.statuses(created.value.id), ['BUILD', 'ERROR']);
    await assertNothingHeld(c);
  }
});

void test('a host that dies during the build: the server is rebuilt on another host and goes ACTIVE', async (t) => {
  const c = await startCompute({ hosts: 2, driver: { bootTime: { kind: 'fixed', ms: 2_000 } } });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const id = created.value.id;
  const spawning = await c.drive(
    (async () => {
      for (;;) {
        const seen = await c.show(ALICE, id);
        if (seen.ok && seen.value.taskState === 'spawning') return seen.value;
        await c.clock.advanceAsync(1);
      }
    })(),
  );
  const first = spawning.hostId!;
  await c.must('host', first, { type: 'fail', caller: SYSTEM_CALLER } as Message);
  const active = await c.reach(id, 'ACTIVE');
  assert.ok(active.hostId !== null && active.hostId !== first);
  const claims = await claimsByHost(c);
  assert.deepEqual(claims.get(first)?.instances, []);
  assert.deepEqual(claims.get(active.hostId)?.instances, [id]);
});

void test('half the boots failing: every server ends ACTIVE or ERROR and host claims match the servers exactly', async (t) => {
  // A seed whose draws give both outcomes over these 12 servers (the draws follow message order).
  const c = await startCompute({ hosts: 4, driver: { failureRate: 0.5, seed: 4 } });
  t.after(() => c.stop());
  await c.must('quota', 'project-a', { type: 'setLimits', caller: SYSTEM_CALLER, limits: { instances: 100, cores: 100, ramMb: 1_000_000 } } as Message);
  const created = await c.drive(Promise.all(Array.from({ length: 12 }, () => c.ask<InstanceView>('instance', crypto.randomUUID(), { type: 'create', caller: ALICE, name: 'x', flavorId: '1' } as Message))));
  const ids = created.map((r) => {
    assert.ok(r.ok);
    return r.value.id;
  });
  const ends = await c.drive(Promise.all(ids.map((id) => c.events.find((e) => e.id === id && (e.body.status === 'ACTIVE' || e.body.status === 'ERROR')))));
  const statuses = ends.map((e) => String(e.body.status));
  assert.ok(statuses.includes('ACTIVE') && statuses.includes('ERROR'), statuses.join());
  const expected = new Map(c.hostIds.map((h) => [h, [] as string[]]));
  let active = 0;
  for (const id of ids) {
    const s = await c.show(ALICE, id);
    assert.ok(s.ok);
    if (s.value.status === 'ACTIVE') {
      active++;
      expected.get(s.value.hostId!)!.push(id);
    } else {
      assert.equal(s.value.hostId, null);
    }
  }
  const claims = await claimsByHost(c);
  for (const [h, instances] of expected) assert.deepEqual(claims.get(h)?.instances, instances.sort());
  const quota = await c.quota('project-a');
  assert.equal(quota.inUse.instances ?? 0, active);
  assert.equal(quota.reserved.instances ?? 0, 0);
});

/** A scheduler that answers `candidates` UNAVAILABLE (retryable) the first `times` times. */
function flakyScheduler(times: number): (kind: SchedulerKind) => SchedulerKind {
  let left = times;
  return (kind) => ({
    ...kind,
    handle: (ctx, msg) => {
      if (msg.type === 'candidates' && left > 0) {
        left--;
        return refuse(Unavailable('the scheduler is starting'));
      }
      return kind.handle(ctx, msg);
    },
  });
}

void test('a scheduler unavailable for a moment is tried again within seconds, not a reminder period later', async (t) => {
  // The default period (30 s): a build refused three times by a starting scheduler must not wait
  // 3 × 30 s, as it would if only the periodic reminder tried again.
  const c = await startCompute({ scheduler: flakyScheduler(3) });
  t.after(() => c.stop());
  const start = c.clock.now();
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  await c.reach(created.value.id, 'ACTIVE');
  const took = c.clock.now() - start;
  assert.ok(took < 5_000, `ACTIVE after ${took} ms of virtual time`);
});

void test('a scheduler briefly unavailable delays the build; unavailable for too long, the build fails', async (t) => {
  const c = await startCompute({ scheduler: flakyScheduler(3), instances: { resumeEveryMs: 1_000 } });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const active = await c.reach(created.value.id, 'ACTIVE');
  assert.ok(active.hostId !== null);
  assert.deepEqual(c.events.statuses(active.id), ['BUILD', 'ACTIVE']);

  const d = await startCompute({ scheduler: flakyScheduler(1_000), instances: { resumeEveryMs: 1_000, retryScheduleForMs: 5_000 } });
  t.after(() => d.stop());
  const doomed = await d.create(ALICE);
  assert.ok(doomed.ok);
  const failed = await d.reach(doomed.value.id, 'ERROR');
  assert.equal(failed.fault?.message, `Build of instance ${failed.id} aborted: UNAVAILABLE: the scheduler is starting`);
  await assertNothingHeld(d);
});
