// Kill -9 at every write of a workload, then a new actor system over the same store. It proves:
// whatever write a crash cut the process at (the servers caught in BUILD at every build
// task_state, and in deleting and powering-off), the new system's durable reminders wake every
// unfinished server and each ends ACTIVE, SHUTOFF, ERROR or deleted; none stays in BUILD or
// with a task under way; host claims match the servers exactly (no leaked or missing capacity);
// the project's quota holds exactly the servers that hold claims; the servers index agrees.
// A second workload adds a hypervisor failing half the boots (reschedules cut by crashes) and an
// anti-affinity group, whose members must then be exactly the servers that hold a host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView, ServersIndexReply } from '../../actors/compute/index.js';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { createMemoryStore, type ActorStore, type MemoryStore, type Message, type Reminder } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { ALICE, claimsByHost, startCompute, type Compute, type ComputeOptions } from './workflow-fixture.js';

const IDS = ['7c1f6f0e-0000-4000-8000-000000000001', '7c1f6f0e-0000-4000-8000-000000000002', '7c1f6f0e-0000-4000-8000-000000000003'];
const FLAVORS = ['1', '2', '3'];
const GROUP = '9a9a0000-0000-4000-8000-00000000000a';

interface Scenario {
  readonly settings: ComputeOptions;
  /** Before the crash budget is armed (not counted). */
  setup(c: Compute): Promise<void>;
  workload(c: Compute): Promise<void>;
  readonly group?: string;
}

const BASE: ComputeOptions = { hosts: 3, host: { heartbeatMs: 1_000 }, instances: { resumeEveryMs: 2_000 }, driver: { bootTime: { kind: 'fixed', ms: 50 } } };

/** A store that takes `budget` more writes once armed, then never acknowledges another (the process died). */
class DyingStore {
  armed = false;
  writes = 0;
  budget = Infinity;

  constructor(readonly inner: MemoryStore) {}

  /** Whether the process has died (a write past the budget was attempted). */
  get dead(): boolean {
    return this.writes > this.budget;
  }

  private dies(): boolean {
    if (!this.armed) return false;
    this.writes++;
    return this.dead;
  }

  wrap(): ActorStore {
    const inner = this.inner;
    const never = new Promise<never>(() => undefined);
    return {
      load: (key) => inner.load(key),
      loadEntries: (key) => inner.loadEntries(key),
      persist: (key, record, options) => (this.dies() ? never : inner.persist(key, record, options)),
      remove: (key, options) => (this.dies() ? never : inner.remove(key, options)),
      shardEpoch: (shard) => inner.shardEpoch(shard),
      acquireShard: (shard, owner) => inner.acquireShard(shard, owner),
      putReminder: (r: Reminder) => (this.dies() ? never : inner.putReminder(r)),
      deleteReminder: (key, name) => (this.dies() ? never : inner.deleteReminder(key, name)),
      reminders: () => inner.reminders(),
      flushed: () => inner.flushed(),
      close: () => inner.close(),
    };
  }
}

const ask = (c: Compute, id: string, msg: Record<string, unknown>): Promise<Result<InstanceView>> =>
  c.ask<InstanceView>('instance', id, { caller: ALICE, ...msg } as unknown as Message);

const ended = (c: Compute, id: string) => c.events.find((e) => e.id === id && (e.body.status === 'ACTIVE' || e.body.status === 'ERROR'));

/** Three boots, then a delete and a stop, each step waiting for the last (it may never end). */
async function bootDeleteStop(c: Compute): Promise<void> {
  await Promise.all(IDS.map((id, i) => ask(c, id, { type: 'create', name: `vm-${i}`, flavorId: FLAVORS[i] })));
  await Promise.all(IDS.map((id) => ended(c, id)));
  await Promise.all([ask(c, IDS[1]!, { type: 'delete' }), ask(c, IDS[2]!, { type: 'stop' })]);
  await c.events.find((e) => e.id === IDS[2] && e.body.status === 'SHUTOFF');
}

/** Three boots in an anti-affinity group on hosts failing half the boots, then a delete. */
async function groupedFlaky(c: Compute): Promise<void> {
  await Promise.all(IDS.map((id, i) => ask(c, id, { type: 'create', name: `vm-${i}`, flavorId: '1', groupId: GROUP })));
  await Promise.all(IDS.map((id) => ended(c, id)));
  await ask(c, IDS[0]!, { type: 'delete' });
}

const PLAIN: Scenario = { settings: BASE, setup: async () => undefined, workload: bootDeleteStop };
const GROUPED: Scenario = {
  settings: { ...BASE, hosts: 4, driver: { failureRate: 0.5, seed: 5, bootTime: { kind: 'fixed', ms: 50 } } },
  async setup(c) {
    await c.must('server-group', GROUP, { type: 'create', caller: ALICE, name: 'spread', policy: 'anti-affinity' } as Message);
  },
  workload: groupedFlaky,
  group: GROUP,
};

/** Runs the workload on a first system that dies after `budget` writes; answers what the store held then. */
async function crashAt(scenario: Scenario, budget: number): Promise<{ inner: MemoryStore; clock: VirtualClock; writes: number; caught: string[] }> {
  const inner = createMemoryStore();
  const dying = new DyingStore(inner);
  const clock = new VirtualClock(1_000_000);
  const first = await startCompute({ ...scenario.settings, store: dying.wrap(), clock });
  await scenario.setup(first);
  dying.armed = true;
  dying.budget = budget;
  let finished = false;
  const work = scenario.workload(first).then(() => (finished = true));
  // Until the workload ends or the process dies (nothing it does after that reaches the store).
  for (let waited = 0; !finished && !dying.dead && waited < 20_000; waited += 5) await clock.advanceAsync(5);
  assert.ok(finished || dying.dead, 'the workload neither finished nor crashed');
  void work.catch(() => undefined); // a dead process's workload never settles
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

async function assertConsistent(c: Compute, scenario: Scenario, label: string): Promise<void> {
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
  if (scenario.group !== undefined) {
    const g = await c.must<{ placements: Array<{ instanceId: string; hostId: string }> }>('server-group', scenario.group, { type: 'get', caller: ALICE } as Message);
    const expected = [...holding].flatMap(([h, ids]) => ids.map((id) => `${id}@${h}`)).sort();
    assert.deepEqual(g.placements.map((p) => `${p.instanceId}@${p.hostId}`).sort(), expected, `${label}: group members`);
  }
}

async function crashEverywhere(scenario: Scenario, whole: readonly string[], phases: readonly string[]): Promise<void> {
  const run = await crashAt(scenario, Infinity);
  assert.deepEqual(run.caught, whole);
  const total = run.writes;
  assert.ok(total > 30, `the workload writes ${total} times`);
  const seen = new Set<string>();
  for (let budget = 0; budget <= total; budget++) {
    const { inner, clock, caught } = await crashAt(scenario, budget);
    for (const phase of caught) seen.add(phase);
    const label = `crash after write ${budget} of ${total} (${caught.join(', ')})`;
    const second = await startCompute({ ...scenario.settings, store: inner, clock: new VirtualClock(clock.now() + 1), registerHosts: false });
    try {
      let converged = false;
      for (let waited = 0; waited < 120_000 && !converged; waited += 1_000) {
        await second.clock.advanceAsync(1_000);
        converged = await second.drive(settled(second));
      }
      assert.ok(converged, `${label}: not settled after 120 s`);
      await assertConsistent(second, scenario, label);
    } finally {
      await second.stop();
    }
  }
  // The crashes caught servers in every task state the workload passes through.
  for (const phase of phases) assert.ok(seen.has(phase), `no crash caught a server in ${phase}: ${[...seen].join(', ')}`);
}

void test('a crash at any write of boots, a delete and a stop: a new system finishes every server, claims and quota match', async () => {
  await crashEverywhere(PLAIN, ['ACTIVE/-', 'DELETED/-', 'SHUTOFF/-'], ['BUILD/scheduling', 'BUILD/networking', 'BUILD/block_device_mapping', 'BUILD/spawning', 'ACTIVE/deleting', 'ACTIVE/powering-off']);
});

void test('a crash at any write of grouped boots on flaky hosts: reschedules resume, group members match the servers on hosts', async () => {
  const run = await crashAt(GROUPED, Infinity);
  // With this seed boots fail and reschedule; one server runs out of hosts and ends in ERROR.
  assert.deepEqual([...run.caught].sort(), ['ACTIVE/-', 'DELETED/-', 'ERROR/-']);
  await crashEverywhere(GROUPED, run.caught, ['BUILD/scheduling', 'BUILD/spawning', 'ACTIVE/deleting']);
});
