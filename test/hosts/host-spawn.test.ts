// The host-local domains and the fake hypervisor driver behind spawn, destroy and power: a boot
// never blocks the host's mailbox and ends in a `spawned` or `spawnFailed` told to the instance;
// a failure rate of 1 makes every boot fail; a boot interrupted by a crash of the node (the
// system stopped mid-boot, a new one over the same store) is started again on reactivation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { createFakeDriver, type DomainView, type HostView } from '../../hosts/compute/index.js';
import { createMemoryStore } from '../../supervision/index.js';
import { settle, VirtualClock } from '../../transports/clock.js';
import { HOST, startCluster, type Cluster, type ClusterOptions } from '../scheduler/cluster.js';
import { registerOutcomeKind } from './outcome-kind.js';

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

async function withHost(options: ClusterOptions = {}) {
  const c = startCluster(options);
  const outcomes = registerOutcomeKind(c.system);
  await c.register('h', HOST);
  const h = c.host('h');
  const claim = async (instanceId: string) => assert.ok((await h.ask({ type: 'claim', caller: SYSTEM_CALLER, instanceId, resources: tiny })).ok);
  const spawn = (instanceId: string) => h.ask({ type: 'spawn', caller: SYSTEM_CALLER, instanceId, replyTo: `instance/${instanceId}` });
  const domain = async (instanceId: string) => (await c.describe('h')).domains[instanceId];
  return { c, h, outcomes, claim, spawn, domain };
}

function stateOf(r: Awaited<ReturnType<Cluster['describe']>>, id: string): string | undefined {
  return r.domains[id]?.state;
}

void test('spawn tells the instance `spawned`; a repeated spawn tells it again without a second boot', async (t) => {
  const { c, outcomes, claim, spawn, domain } = await withHost();
  t.after(() => c.stop());
  const noClaim = await spawn('i-1');
  assert.equal(!noClaim.ok && noClaim.error.code, 'CONFLICT');
  await claim('i-1');
  const started = await spawn('i-1');
  assert.equal(started.ok && (started.value as DomainView).domain?.state, 'spawning');
  assert.deepEqual(await outcomes.next('i-1'), { type: 'spawned', hostId: 'h' });
  assert.equal((await domain('i-1'))?.state, 'running');
  await spawn('i-1');
  assert.deepEqual(await outcomes.next('i-1'), { type: 'spawned', hostId: 'h' });
  assert.equal((await domain('i-1'))?.attempt, 1);
});

void test('a fake driver with failure rate 1 makes every spawn report spawnFailed', async (t) => {
  const { c, outcomes, claim, spawn, domain, h } = await withHost({ host: { driver: createFakeDriver({ failureRate: 1 }) } });
  t.after(() => c.stop());
  for (const id of ['f-1', 'f-2', 'f-3']) {
    await claim(id);
    await spawn(id);
    const outcome = await outcomes.next(id);
    assert.equal(outcome.type, 'spawnFailed');
    assert.match(outcome.type === 'spawnFailed' ? outcome.reason : '', /failed/);
    assert.equal((await domain(id))?.state, 'error');
  }
  // A failed domain can be spawned again (another attempt) or destroyed.
  await spawn('f-1');
  assert.equal((await outcomes.next('f-1')).type, 'spawnFailed');
  assert.equal((await domain('f-1'))?.attempt, 2);
  const destroyed = await h.ask({ type: 'destroy', caller: SYSTEM_CALLER, instanceId: 'f-1' });
  assert.deepEqual(destroyed, { ok: true, value: { hostId: 'h', instanceId: 'f-1', domain: null } });
  assert.equal(await domain('f-1'), undefined);
});

void test('a boot takes its drawn time on the clock and never blocks the host; destroy during it cancels the outcome', async (t) => {
  const clock = new VirtualClock(0);
  const { c, outcomes, claim, spawn, h } = await withHost({ clock, host: { driver: createFakeDriver({ bootTime: { kind: 'fixed', ms: 5000 } }) } });
  t.after(() => c.stop());
  await claim('slow');
  await claim('gone');
  await spawn('slow');
  await spawn('gone');
  // The host keeps answering while both boot.
  const during = await c.describe('h');
  assert.equal(stateOf(during, 'slow'), 'spawning');
  assert.ok((await h.ask({ type: 'bid', caller: SYSTEM_CALLER, request: { instanceId: 'x', resources: tiny } })).ok);
  assert.ok((await h.ask({ type: 'destroy', caller: SYSTEM_CALLER, instanceId: 'gone' })).ok);
  await clock.advanceAsync(4999);
  assert.equal(outcomes.seen.get('slow'), undefined, 'not before 5000 ms');
  await clock.advanceAsync(1);
  assert.deepEqual(await outcomes.next('slow'), { type: 'spawned', hostId: 'h' });
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(outcomes.seen.get('gone'), undefined, 'a destroyed domain reports nothing');
  assert.equal(stateOf(await c.describe('h'), 'gone'), undefined);
});

void test('power actions follow the domain state; unknown domains are DOMAIN_NOT_FOUND', async (t) => {
  const { c, outcomes, claim, spawn, h } = await withHost();
  t.after(() => c.stop());
  await claim('p');
  await spawn('p');
  await outcomes.next('p');
  const power = async (action: 'stop' | 'start' | 'reboot-soft' | 'reboot-hard') => h.ask({ type: 'power', caller: SYSTEM_CALLER, instanceId: 'p', action });
  const states: string[] = [];
  for (const action of ['reboot-soft', 'stop', 'stop', 'reboot-hard', 'stop', 'start'] as const) {
    const r = await power(action);
    assert.ok(r.ok, `${action}: ${JSON.stringify(r)}`);
    states.push((r.value as DomainView).domain!.state);
  }
  assert.deepEqual(states, ['running', 'shutoff', 'shutoff', 'running', 'shutoff', 'running']);
  await power('stop');
  const soft = await power('reboot-soft');
  assert.equal(!soft.ok && soft.error.code, 'CONFLICT');
  const missing = await h.ask({ type: 'power', caller: SYSTEM_CALLER, instanceId: 'nobody', action: 'start' });
  assert.equal(!missing.ok && missing.error.code, 'DOMAIN_NOT_FOUND');
  const bad = await h.ask({ type: 'power', caller: SYSTEM_CALLER, instanceId: 'p', action: 'explode' } as never);
  assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST');
});

void test('a boot cut short by a crash of the node starts again when the host comes back', async (t) => {
  // The first system stops while the boot's 1000 ms are still running (its clock never moves);
  // a second system over the same store reactivates the host, which finds the domain spawning
  // with no boot of it running and boots it again; the instance is told once it is done.
  const store = createMemoryStore();
  const first = await withHost({ store, clock: new VirtualClock(0), host: { driver: createFakeDriver({ bootTime: { kind: 'fixed', ms: 1000 } }) } });
  await first.claim('r');
  await first.spawn('r');
  await first.c.stop();
  const clock = new VirtualClock(0);
  const second = startCluster({ store, clock, host: { driver: createFakeDriver({ bootTime: { kind: 'fixed', ms: 1000 } }) } });
  t.after(() => second.stop());
  const outcomes = registerOutcomeKind(second.system);
  const seen: HostView = await second.describe('h');
  assert.equal(seen.domains.r?.state, 'spawning');
  assert.equal(seen.domains.r?.attempt, 2, 'booted again under a new attempt');
  await clock.advanceAsync(1000);
  assert.deepEqual(await outcomes.next('r'), { type: 'spawned', hostId: 'h' });
  assert.equal((await second.describe('h')).domains.r?.state, 'running');
  // The stale outcome of attempt 1 (were it to arrive) changes nothing.
  await second.host('h').ask({ type: 'spawnDone', caller: SYSTEM_CALLER, instanceId: 'r', attempt: 1, ok: false, reason: 'stale' });
  assert.equal((await second.describe('h')).domains.r?.state, 'running');
  const forged = await second.host('h').ask({ type: 'spawnDone', caller: { ...SYSTEM_CALLER, system: undefined }, instanceId: 'r', attempt: 2, ok: false });
  assert.equal(!forged.ok && forged.error.code, 'FORBIDDEN', 'only the fabric itself reports boots');
});

void test('a failed host answers spawn with spawnFailed at once; a boot under way when it fails reports failure', async (t) => {
  const clock = new VirtualClock(0);
  const { c, outcomes, claim, spawn, h } = await withHost({ clock, host: { driver: createFakeDriver({ bootTime: { kind: 'fixed', ms: 100 } }) } });
  t.after(() => c.stop());
  await claim('before');
  await claim('after');
  await spawn('before');
  await h.ask({ type: 'fail', caller: SYSTEM_CALLER });
  await spawn('after');
  const now = await outcomes.next('after');
  assert.equal(now.type, 'spawnFailed');
  await clock.advanceAsync(100);
  const late = await outcomes.next('before');
  assert.equal(late.type === 'spawnFailed' && late.reason, 'host h went down during the build');
});

void test('a boot longer than the passivation idle time completes: hosts are never passivated', async (t) => {
  const clock = new VirtualClock(0);
  const { c, outcomes, claim, spawn } = await withHost({ clock, host: { driver: createFakeDriver({ bootTime: { kind: 'fixed', ms: 600_000 } }) } });
  t.after(() => c.stop());
  await claim('long');
  await spawn('long');
  await clock.advanceAsync(600_000);
  assert.deepEqual(await outcomes.next('long'), { type: 'spawned', hostId: 'h' });
  assert.equal((await c.describe('h')).domains.long?.attempt, 1);
  c.system.passivateIdle();
  assert.equal(c.system.activeCount('host'), 1);
});
