// Kill -9 at every write of a workload, then a new actor system over the same store. It proves:
// whatever write a crash cut the process at (the servers caught in BUILD at every build
// task_state, and in deleting and powering-off), the new system's durable reminders wake every
// unfinished server and each ends ACTIVE, SHUTOFF, ERROR or deleted; none stays in BUILD or
// with a task under way; host claims match the servers exactly (no leaked or missing capacity);
// the project's quota holds exactly the servers that hold claims; the servers index agrees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView, ServersIndexReply } from '../../actors/compute/index.js';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { createMemoryStore, type ActorStore, type MemoryStore, type Message, type Reminder } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { ALICE, claimsByHost, drive, startCompute, type Compute } from './workflow-fixture.js';

const IDS = ['7c1f6f0e-0000-4000-8000-000000000001', '7c1f6f0e-0000-4000-8000-000000000002', '7c1f6f0e-0000-4000-8000-000000000003'];
const FLAVORS = ['1', '2', '3'];
const RESUME_MS = 2_000;
const SETTINGS = { hosts: 3, host: { heartbeatMs: 1_000 }, instances: { resumeEveryMs: RESUME_MS }, driver: { bootTime: { kind: 'fixed', ms: 50 } } } as const;

/** A store that takes `budget` more writes once armed, then never acknowledges another (the process died). */
class DyingStore {
  armed = false;
  writes = 0;
  budget = Infinity;

  constructor(readonly inner: MemoryStore) {}

  private dead(): boolean {
    if (!this.armed) return false;
    this.writes++;
    return this.writes > this.budget;
  }

  wrap(): ActorStore {
    const inner = this.inner;
    const never = new Promise<never>(() => undefined);
    return {
      load: (key) => inner.load(key),
      persist: (key, record, options) => (this.dead() ? never : inner.persist(key, record, options)),
      remove: (key, options) => (this.dead() ? never : inner.remove(key, options)),
      shardEpoch: (shard) => inner.shardEpoch(shard),
      acquireShard: (shard, owner) => inner.acquireShard(shard, owner),
      putReminder: (r: Reminder) => (this.dead() ? never : inner.putReminder(r)),
      deleteReminder: (key, name) => (this.dead() ? never : inner.deleteReminder(key, name)),
      reminders: () => inner.reminders(),
      flushed: () => inner.flushed(),
      close: () => inner.close(),
    };
  }
}

const ask = (c: Compute, id: string, msg: Record<string, unknown>): Promise<Result<InstanceView>> =>
  c.ask<InstanceView>('instance', id, { caller: ALICE, ...msg } as unknown as Message);

/** Three boots, then a delete and a stop, each step waiting for the last (it may never end). */
async function workload(c: Compute): Promise<void> {
  await Promise.all(IDS.map((id, i) => ask(c, id, { type: 'create', name: `vm-${i}`, flavorId: FLAVORS[i] })));
  await Promise.all(IDS.map((id) => c.events.find((e) => e.id === id && (e.body.status === 'ACTIVE' || e.body.status === 'ERROR'))));
  await Promise.all([ask(c, IDS[1]!, { type: 'delete' }), ask(c, IDS[2]!, { type: 'stop' })]);
  await c.events.find((e) => e.id === IDS[2] && e.body.status === 'SHUTOFF');
}

/** Runs the workload on a first system that dies after `budget` writes; answers what the store held then. */
async function crashAt(budget: number): Promise<{ inner: MemoryStore; clock: VirtualClock; writes: number; caught: string[] }> {
  const inner = createMemoryStore();
  const dying = new DyingStore(inner);
  const clock = new VirtualClock(1_000_000);
  const first = await startCompute({ ...SETTINGS, store: dying.wrap(), clock });
  dying.armed = true;
  dying.budget = budget;
  try {
    await drive(clock, workload(first), 20_000, 5);
  } catch {
    // Cut short by the crash: the workload never finishes.
  }
  await first.stop();
  await inner.flushed();
  const caught = IDS.map((id) => {
    const r = inner.load<InstanceView | null>(`instance/${id}`)?.state;
    return r === undefined || r === null ? 'none' : `${r.status}/${r.taskState ?? '-'}`;
  });
  return { inner, clock, writes: dying.writes, caught };
}

async function settled(c: Compute): Promise<boolean> {
  if (c.store.reminders().some((r) => r.key.startsWith('instance/'))) return false;
  for (const id of IDS) {
    const r = await c.ask<InstanceView>('instance', id, { type: 'show', caller: SYSTEM_CALLER } as Message);
    if (r.ok && (r.value.status === 'BUILD' || r.value.taskState !== null)) return false;
  }
  return true;
}

async function assertConsistent(c: Compute, label: string): Promise<void> {
  const holding = new Map<string, string[]>(c.hostIds.map((h) => [h, []]));
  const listed: Array<[string, string]> = [];
  let instances = 0;
  let ramMb = 0;
  for (const id of IDS) {
    const r = await c.ask<InstanceView>('instance', id, { type: 'show', caller: SYSTEM_CALLER } as Message);
    if (!r.ok) {
      assert.equal(r.error.code, 'INSTANCE_NOT_FOUND', label);
      continue;
    }
    const v = r.value;
    assert.ok(['ACTIVE', 'SHUTOFF', 'ERROR'].includes(v.status), `${label}: ${id} is ${v.status}/${v.taskState}`);
    assert.equal(v.taskState, null, label);
    listed.push([id, v.status]);
    if (v.hostId !== null) {
      holding.get(v.hostId)!.push(id);
      instances++;
      ramMb += v.flavor.ramMb;
    }
  }
  const claims = await claimsByHost(c);
  for (const [h, ids] of holding) assert.deepEqual(claims.get(h)?.instances, ids.sort(), `${label}: claims on ${h}`);
  const quota = await c.quota('project-a');
  assert.equal(quota.inUse.instances ?? 0, instances, `${label}: instances in use`);
  assert.equal(quota.inUse.ramMb ?? 0, ramMb, `${label}: ramMb in use`);
  assert.equal(quota.reserved.instances ?? 0, 0, `${label}: instances reserved`);
  const index = await c.must<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE } as Message);
  assert.ok('servers' in index);
  assert.deepEqual(
    index.servers.map((s) => [s.id, s.status]).sort(),
    listed.sort(),
    `${label}: servers index`,
  );
}

void test('a crash at any write of the workflow: a new system finishes every server, claims and quota match', async () => {
  const whole = await crashAt(Infinity);
  assert.deepEqual(whole.caught, ['ACTIVE/-', 'DELETED/-', 'SHUTOFF/-']);
  const total = whole.writes;
  assert.ok(total > 30, `the workload writes ${total} times`);
  const seen = new Set<string>();
  for (let budget = 0; budget <= total; budget++) {
    const { inner, clock, caught } = await crashAt(budget);
    for (const phase of caught) seen.add(phase);
    const label = `crash after write ${budget} of ${total} (${caught.join(', ')})`;
    const second = await startCompute({ ...SETTINGS, store: inner, clock: new VirtualClock(clock.now() + 1), registerHosts: false });
    try {
      let converged = false;
      for (let waited = 0; waited < 120_000 && !converged; waited += 1_000) {
        await second.clock.advanceAsync(1_000);
        converged = await second.drive(settled(second));
      }
      assert.ok(converged, `${label}: not settled after 120 s`);
      await assertConsistent(second, label);
    } finally {
      await second.stop();
    }
  }
  // The crashes caught servers in every task state the workload passes through.
  for (const phase of ['BUILD/scheduling', 'BUILD/networking', 'BUILD/block_device_mapping', 'BUILD/spawning', 'ACTIVE/deleting', 'ACTIVE/powering-off']) {
    assert.ok(seen.has(phase), `no crash caught a server in ${phase}: ${[...seen].join(', ')}`);
  }
});
