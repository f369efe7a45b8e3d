// A host's claims and domains are its entries, one store key each: a claim, a spawn, its outcome
// and an unclaim write only their own entry and a record that does not grow with what the host
// holds; a new system over the same store rebuilds claims, usage and domains from the entries;
// a host stored with its claims and domains inline (before entries) is migrated on activation;
// a boot starts only once its domain's write is durable (fault injection: a refused write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { createFakeDriver, type DomainSpec, type DriverContext, type HostClaim } from '../../hosts/compute/index.js';
import { createMemoryStore, type EntryChanges, type MemoryStore, type PersistOptions, type StoredRecord } from '../../supervision/index.js';
import { err, Internal } from '../../transports/errors.js';
import { shardOf } from '../../transports/topics.js';
import { HOST, startCluster } from '../scheduler/cluster.js';
import { registerOutcomeKind } from './outcome-kind.js';

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

interface Write {
  readonly stateBytes: number;
  readonly state: Record<string, unknown>;
  readonly entries: EntryChanges | undefined;
}

/** Records every write of `host/<id>` to the store. */
function watchWrites(store: MemoryStore, key: string): Write[] {
  const writes: Write[] = [];
  const persist = store.persist.bind(store);
  store.persist = <S>(k: string, record: StoredRecord<S>, options: PersistOptions) => {
    if (k === key) writes.push({ stateBytes: JSON.stringify(record.state).length, state: record.state as Record<string, unknown>, entries: options.entries });
    return persist(k, record, options);
  };
  return writes;
}

void test('claims, spawns and unclaims write only their entry; a new system rebuilds the host from its entries', async (t) => {
  const store = createMemoryStore();
  const writes = watchWrites(store, 'host/h');
  const c = startCluster({ store });
  const outcomes = registerOutcomeKind(c.system);
  await c.register('h', HOST);
  const h = c.host('h');
  const claim = async (id: string) => assert.ok((await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: id, resources: tiny })).ok);
  await claim('first');
  const firstClaim = writes.at(-1)!;
  for (let i = 0; i < 30; i++) await claim(`i-${i}`);
  const lastClaim = writes.at(-1)!;
  assert.deepEqual(lastClaim.entries, { put: [['c:i-29', { resources: tiny, cpuPolicy: 'shared', groupId: null }]] });
  assert.ok(lastClaim.stateBytes < firstClaim.stateBytes + 16, 'the record does not grow with the claims (only its usage digits)');
  assert.equal('claims' in lastClaim.state || 'domains' in lastClaim.state, false);
  assert.ok((await h.ask({ type: 'spawn', caller: SYSTEM_CALLER, instanceId: 'i-3', replyTo: 'instance/i-3' })).ok);
  assert.deepEqual(await outcomes.next('i-3'), { type: 'spawned', hostId: 'h' });
  const domainWrites = writes.slice(-2).map((w) => w.entries?.put?.map(([key, d]) => [key, (d as { state: string }).state]));
  assert.deepEqual(domainWrites, [[['d:i-3', 'spawning']], [['d:i-3', 'running']]]);
  assert.ok((await h.ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId: 'i-7' })).ok);
  assert.deepEqual(writes.at(-1)!.entries, { remove: ['c:i-7'] });
  const before = await c.describe('h');
  await c.stop();

  const again = startCluster({ store });
  t.after(() => again.stop());
  const after = await again.describe('h');
  assert.deepEqual(Object.keys(after.claims).sort(), Object.keys(before.claims).sort());
  assert.equal(Object.keys(after.claims).length, 30);
  assert.deepEqual(after.used, before.used);
  assert.equal(after.domains['i-3']?.state, 'running');
  const refused = await again.host('h').ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'i-3', resources: { ...tiny, vcpus: 2 } });
  assert.equal(!refused.ok && refused.error.code, 'CLAIM_REFUSED', 'a reloaded claim is still held');
});

void test('a host stored with inline claims and domains is migrated to entries on activation', async (t) => {
  const store = createMemoryStore();
  const claims: Record<string, HostClaim> = {
    a: { resources: tiny, cpuPolicy: 'shared', groupId: 'g-1' },
    b: { resources: tiny, cpuPolicy: 'shared', groupId: null },
  };
  const legacy = {
    registered: true,
    inventory: HOST,
    enabled: true,
    disabledReason: null,
    failed: false,
    heartbeats: 0,
    lastHeartbeatAt: 1_000_000,
    claims,
    used: { vcpus: 2, pcpus: 0, ramMb: 1024, diskGb: 2 },
    domains: { a: { state: 'running', replyTo: 'instance/a', attempt: 1, since: 1, reason: null } },
  };
  const seeded = await store.persist('host/old', { state: legacy, revision: 1, epoch: 0, dedup: {} }, { shard: shardOf('host', 'old'), expectedRevision: 0 });
  assert.ok(seeded.ok);
  const c = startCluster({ store });
  t.after(() => c.stop());
  const view = await c.describe('old');
  assert.deepEqual(view.claims, claims);
  assert.equal(view.domains.a?.state, 'running');
  assert.deepEqual(view.used, legacy.used);
  const stored = store.load<Record<string, unknown>>('host/old')!;
  assert.equal('claims' in stored.state || 'domains' in stored.state, false, 'the record no longer holds them');
  assert.deepEqual(stored.state.groups, { 'g-1': 1 });
  assert.deepEqual(store.loadEntries('host/old').map(([key]) => key).sort(), ['c:a', 'c:b', 'd:a']);
  // It keeps working: unclaims give the room back, claims are judged against the migrated usage.
  assert.ok((await c.host('old').ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId: 'a' })).ok);
  assert.deepEqual((await c.describe('old')).used, { vcpus: 1, pcpus: 0, ramMb: 512, diskGb: 1 });
});

void test('a spawn whose domain write fails boots nothing; the restarted host boots it once when asked again', async (t) => {
  // Fault injection: the store refuses the write of the spawning domain. The boot waits for that
  // write, so the driver never starts; the host crashes, reloads (no domain), and a repeated
  // spawn boots exactly once and tells the instance.
  const store = createMemoryStore();
  let failNext = false;
  const persist = store.persist.bind(store);
  store.persist = <S>(key: string, record: StoredRecord<S>, options: PersistOptions) => {
    if (failNext && key === 'host/h' && options.entries?.put?.[0]?.[0] === 'd:x') {
      failNext = false;
      return Promise.resolve(err<void>(Internal('disk full')));
    }
    return persist(key, record, options);
  };
  const spawns: string[] = [];
  const fake = createFakeDriver();
  const driver = { ...fake, spawn: (spec: DomainSpec, ctx: DriverContext) => (spawns.push(spec.instanceId), fake.spawn(spec, ctx)) };
  const c = startCluster({ store, host: { driver } });
  t.after(() => c.stop());
  const outcomes = registerOutcomeKind(c.system);
  await c.register('h', HOST);
  const h = c.host('h');
  assert.ok((await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId: 'x', resources: tiny })).ok);
  failNext = true;
  const lost = await h.ask({ type: 'spawn', caller: SYSTEM_CALLER, instanceId: 'x', replyTo: 'instance/x' });
  assert.equal(lost.ok, false, 'no reply for a write that failed');
  assert.deepEqual(spawns, [], 'the driver never started');
  // The restart waits out its backoff (100-120 ms on the virtual clock).
  const described = c.describe('h');
  await c.clock.advanceAsync(1000);
  const reloaded = await described;
  assert.equal(reloaded.domains.x, undefined);
  assert.deepEqual(Object.keys(reloaded.claims), ['x']);
  assert.ok((await h.ask({ type: 'spawn', caller: SYSTEM_CALLER, instanceId: 'x', replyTo: 'instance/x' })).ok);
  assert.deepEqual(await outcomes.next('x'), { type: 'spawned', hostId: 'h' });
  assert.deepEqual(spawns, ['x']);
  assert.equal((await c.describe('h')).domains.x?.state, 'running');
});
