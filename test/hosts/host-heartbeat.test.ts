// Heartbeats and a dead host. Proves: the periodic agent beat keeps hosts up in their own view
// and in the scheduler's; a host told `fail` stops beating, and once the clock passes
// serviceDownMs it shows as down (host and scheduler), is never a candidate again, refuses to
// bid, and no boot lands on it; a heartbeat message brings it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { placeInstance, type CandidatesView, type HostsView } from '../../actors/scheduler/index.js';
import { registerMany, startCluster } from '../scheduler/cluster.js';

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };

void test('a host whose heartbeats stop goes down after serviceDownMs and gets no more candidates or bids', async (t) => {
  const c = startCluster({ host: { heartbeatMs: 10_000, serviceDownMs: 60_000 }, scheduler: { serviceDownMs: 60_000 } });
  t.after(() => c.stop());
  const ids = await registerMany(c, 3);
  const [alive, dead] = [ids[0]!, ids[1]!];
  const upInScheduler = async () => {
    const r = await c.scheduler.ask({ type: 'hosts', caller: SYSTEM_CALLER });
    assert.ok(r.ok);
    return Object.fromEntries((r.value as HostsView).hosts.map((h) => [h.hostId, h.up]));
  };

  // Beats alone keep every host up well past serviceDownMs.
  await c.clock.advanceAsync(90_000);
  assert.deepEqual(await upInScheduler(), { [ids[0]!]: true, [ids[1]!]: true, [ids[2]!]: true });
  assert.equal((await c.describe(alive)).up, true);

  await c.host(dead).ask({ type: 'fail', caller: SYSTEM_CALLER });
  assert.equal((await c.describe(dead)).failed, true);
  await c.clock.advanceAsync(61_000);
  assert.equal((await c.describe(dead)).up, false);
  assert.equal((await c.describe(alive)).up, true);
  assert.deepEqual(await upInScheduler(), { [ids[0]!]: true, [ids[1]!]: false, [ids[2]!]: true });

  for (let i = 0; i < 20; i++) {
    const offered = await c.scheduler.ask({ type: 'candidates', caller: SYSTEM_CALLER, request: { instanceId: `c-${i}`, resources: tiny } });
    assert.ok(offered.ok && !(offered.value as CandidatesView).hosts.includes(dead));
    const placed = await placeInstance(c.system, { instanceId: `p-${i}`, resources: tiny });
    assert.ok(placed.ok && placed.value.hostId !== dead);
  }
  const bid = await c.host(dead).ask({ type: 'bid', caller: SYSTEM_CALLER, request: { instanceId: 'x', resources: tiny } });
  assert.equal(!bid.ok && bid.error.code, 'NO_FIT');
  assert.deepEqual((await c.describe(dead)).claims, {});

  // Its agent comes back: a heartbeat message revives it and the beats start again.
  const revived = await c.host(dead).ask({ type: 'heartbeat', caller: SYSTEM_CALLER });
  assert.ok(revived.ok);
  await c.clock.advanceAsync(90_000);
  assert.equal((await c.describe(dead)).up, true);
  assert.equal((await upInScheduler())[dead], true);
});

void test('a heartbeat message is counted and persisted; an unregistered host refuses it', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  const missing = await c.host('nobody').ask({ type: 'heartbeat', caller: SYSTEM_CALLER });
  assert.equal(!missing.ok && missing.error.code, 'CONFLICT');
  await c.register('h', { zone: 'nova', vcpus: 4, ramMb: 4096, diskGb: 10 });
  await c.host('h').ask({ type: 'heartbeat', caller: SYSTEM_CALLER, agent: 'agent-1' });
  // The periodic beats are not counted (they are the simulated agent, kept in memory).
  await c.clock.advanceAsync(30_000);
  const stored = c.store.load<{ heartbeats: number }>('host/h');
  assert.equal(stored?.state.heartbeats, 1);
  assert.equal((await c.describe('h')).heartbeats, 1);
});
