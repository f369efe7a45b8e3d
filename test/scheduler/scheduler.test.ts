// The scheduler actor: its capacity summary follows host reports (stale ones dropped), its
// pre-selection is bounded (k hosts, best first, spread or pack, zone, traits, exclusions, down
// and disabled hosts left out) and costs the same at 100 and at 10,000 hosts, as do the
// messages of a boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER, type Caller } from '../../actors/identity/caller.js';
import { CapacitySummary, capacityOf, DEFAULT_RATIOS, NO_USAGE, placeInstance, SPREAD, type CandidatesView, type HostReport, type HostsView, type PlacementRequest, type ZonesView } from '../../actors/scheduler/index.js';
import { HOST, registerMany, startCluster, type Cluster } from './cluster.js';

const tiny = { vcpus: 1, ramMb: 512, diskGb: 1 };
const member: Caller = { userId: 'u', userName: 'u', domainId: 'default', projectId: 'p', roles: ['member'], expiresAt: Number.MAX_SAFE_INTEGER };

async function candidates(c: Cluster, request: PlacementRequest): Promise<string[]> {
  const r = await c.scheduler.ask({ type: 'candidates', caller: SYSTEM_CALLER, request });
  assert.ok(r.ok, JSON.stringify(r));
  return [...(r.value as CandidatesView).hosts];
}

function report(hostId: string, ramMb: number, seq: number, extra: Partial<HostReport> = {}): HostReport {
  return {
    hostId,
    zone: 'nova',
    traits: [],
    capacity: capacityOf({ vcpus: 32, ramMb, diskGb: 1000 }, DEFAULT_RATIOS),
    used: NO_USAGE,
    enabled: true,
    heartbeatAt: 0,
    groups: [],
    seq,
    ...extra,
  };
}

void test('candidates: at most k, best weight first, spread or pack; zone, traits, exclusions and disabled hosts filter', async (t) => {
  const c = startCluster({ scheduler: { candidates: 3 } });
  t.after(() => c.stop());
  for (const [id, ramMb] of [['h1', 8192], ['h2', 16_384], ['h3', 32_768], ['h4', 65_536], ['h5', 4096]] as const) await c.register(id, { ...HOST, ramMb });
  assert.deepEqual(await candidates(c, { instanceId: 'a', resources: tiny }), ['h4', 'h3', 'h2']);
  // The best candidate is counted optimistically: h4 (98,304 MB) has room for one 60,000 MB
  // instance, and is believed too full for a second before any report comes back.
  assert.deepEqual(await candidates(c, { instanceId: 'b', resources: { vcpus: 1, ramMb: 60_000, diskGb: 1 } }), ['h4']);
  assert.deepEqual(await candidates(c, { instanceId: 'c', resources: { vcpus: 1, ramMb: 60_000, diskGb: 1 } }), []);
  assert.deepEqual(await candidates(c, { instanceId: 'd', resources: tiny, excludeHosts: ['h4', 'h3'] }), ['h2', 'h1', 'h5']);
  await c.register('other', { ...HOST, zone: 'az2', traits: ['CUSTOM_SSD'] });
  assert.deepEqual(await candidates(c, { instanceId: 'e', resources: tiny, zone: 'az2' }), ['other']);
  assert.deepEqual(await candidates(c, { instanceId: 'f', resources: tiny, requiredTraits: ['CUSTOM_SSD'] }), ['other']);
  assert.ok(!(await candidates(c, { instanceId: 'g', resources: tiny, forbiddenTraits: ['CUSTOM_SSD'] })).includes('other'));
  await c.host('other').ask({ type: 'disable', caller: SYSTEM_CALLER, reason: 'maintenance' });
  assert.deepEqual(await candidates(c, { instanceId: 'h', resources: tiny, zone: 'az2' }), []);

  const pack = startCluster({ scheduler: { strategy: 'pack', candidates: 3 } });
  t.after(() => pack.stop());
  for (const [id, ramMb] of [['h1', 8192], ['h2', 16_384], ['h3', 32_768]] as const) await pack.register(id, { ...HOST, ramMb });
  assert.deepEqual(await candidates(pack, { instanceId: 'a', resources: tiny }), ['h1', 'h2', 'h3']);
  assert.deepEqual(await candidates(pack, { instanceId: 'b', resources: { vcpus: 1, ramMb: 14_000, diskGb: 1 } }), ['h2', 'h3']);
});

void test('dedicated vCPUs take whole cores: a host has as many pinned vCPUs as cores', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  await c.register('h', { ...HOST, vcpus: 4 });
  const pinned = (id: string) => placeInstance(c.system, { instanceId: id, resources: { vcpus: 2, ramMb: 512, diskGb: 1 }, cpuPolicy: 'dedicated' });
  assert.ok((await pinned('p1')).ok);
  assert.ok((await pinned('p2')).ok);
  const third = await pinned('p3');
  assert.equal(!third.ok && third.error.code, 'NO_VALID_HOST');
  const view = await c.describe('h');
  assert.deepEqual(view.used, { vcpus: 64, ramMb: 1024, diskGb: 2, pcpus: 4 });
  // Shared vCPUs cannot use pinned cores either: 4 cores × 16 are all taken.
  const shared = await placeInstance(c.system, { instanceId: 's1', resources: tiny });
  assert.equal(!shared.ok && shared.error.code, 'NO_VALID_HOST');
});

void test('reports: older ones are dropped; zones and hosts list what the summary knows; access is checked', async (t) => {
  const c = startCluster();
  t.after(() => c.stop());
  const tell = (host: HostReport) => c.scheduler.ask({ type: 'report', caller: SYSTEM_CALLER, host });
  assert.deepEqual(await tell(report('r1', 8192, 5)), { ok: true, value: { accepted: true } });
  assert.deepEqual(await tell(report('r1', 4096, 4)), { ok: true, value: { accepted: false } });
  await c.register('h1', { ...HOST, zone: 'az1' });
  const hosts = await c.scheduler.ask({ type: 'hosts', caller: SYSTEM_CALLER });
  assert.ok(hosts.ok);
  const listed = (hosts.value as HostsView).hosts;
  assert.deepEqual(listed.find((h) => h.hostId === 'r1')?.capacity.ramMb, 8192 * 1.5);
  // r1 reported a heartbeat at time 0; the clock is at 1,000,000: down. h1 just registered: up.
  assert.deepEqual(listed.map((h) => [h.hostId, h.up]).sort(), [['h1', true], ['r1', false]]);
  const zones = await c.scheduler.ask({ type: 'zones', caller: member });
  assert.deepEqual(zones.ok && (zones.value as ZonesView).zones, [
    { name: 'az1', available: true, hosts: 1 },
    { name: 'nova', available: false, hosts: 1 },
  ]);
  for (const [msg, code] of [
    [{ type: 'hosts', caller: member }, 'FORBIDDEN'],
    [{ type: 'candidates', caller: member, request: { instanceId: 'x', resources: tiny } }, 'FORBIDDEN'],
    [{ type: 'report', caller: { ...SYSTEM_CALLER, system: undefined }, host: report('r2', 1, 1) }, 'FORBIDDEN'],
    [{ type: 'zones' }, 'UNAUTHORIZED'],
    [{ type: 'candidates', caller: SYSTEM_CALLER, request: { instanceId: '__proto__', resources: tiny } }, 'BAD_REQUEST'],
  ] as const) {
    const r = await c.system.ref('scheduler', 'default').ask(msg as { type: string });
    assert.equal(!r.ok && r.error.code, code, JSON.stringify(msg));
  }
});

void test('pre-selection examines a bounded number of hosts, at 100 as at 10,000', () => {
  const examined = (hosts: number): number => {
    const summary = new CapacitySummary(60_000);
    // Half the hosts are nearly full, half empty, zones alternate: the walk skips by bucket.
    for (let i = 0; i < hosts; i++) {
      const ramMb = 131_072;
      const used = i % 2 === 0 ? { ...NO_USAGE, ramMb: ramMb * 1.5 - 300 } : NO_USAGE;
      summary.update(report(`h${i}`, ramMb, 1, { used, heartbeatAt: 0, zone: i % 4 < 2 ? 'a' : 'b' }));
    }
    const before = summary.examined;
    for (let n = 0; n < 200; n++) {
      const request: PlacementRequest = { instanceId: `i${n}`, resources: { vcpus: 1, ramMb: 2048, diskGb: 1 } };
      const hostsOut = summary.select(request, 5, SPREAD, 1000);
      assert.equal(hostsOut.length, 5);
      summary.reserve(hostsOut[0]!, request);
    }
    return (summary.examined - before) / 200;
  };
  const small = examined(100);
  const large = examined(10_000);
  assert.ok(small <= 6 && large <= 6, `examined per selection: ${small} at 100 hosts, ${large} at 10,000`);
});

async function messagesPerBoot(hosts: number, boots: number): Promise<number> {
  const c = startCluster();
  try {
    await registerMany(c, hosts);
    c.countMessages(true);
    // Concurrent boots in waves of 20, like instances arriving together.
    for (let i = 0; i < boots; i += 20) {
      const placed = await Promise.all(Array.from({ length: 20 }, (_, j) => placeInstance(c.system, { instanceId: `i-${i + j}`, resources: tiny })));
      for (const p of placed) assert.ok(p.ok);
    }
    // Let the last hosts' reports land (the flushing ask is not a boot's message).
    await c.scheduler.ask({ type: 'zones', caller: SYSTEM_CALLER });
    return (c.totalReceived() - 1) / boots;
  } finally {
    await c.stop();
  }
}

void test('messages per boot do not grow with the number of hosts (100 vs 10,000)', async () => {
  const small = await messagesPerBoot(100, 200);
  const large = await messagesPerBoot(10_000, 200);
  // candidates 1 + bids 5 + claim 1 + the host's report 1 = 8.
  assert.ok(Math.abs(small - large) <= 0.5, `messages per boot: ${small} at 100 hosts, ${large} at 10,000`);
  assert.equal(large, 8);
});

void test('group hints: affinity keeps to the members\' hosts, anti-affinity avoids them, soft policies only reorder', () => {
  const summary = new CapacitySummary(60_000);
  summary.update(report('h1', 65_536, 1));
  summary.update(report('h2', 16_384, 1, { groups: ['g'] }));
  summary.update(report('h3', 32_768, 1));
  const select = (policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity', ramMb = 512) =>
    summary.select({ instanceId: 'i', resources: { vcpus: 1, ramMb, diskGb: 1 }, group: { id: 'g', policy } }, 5, SPREAD, 0);
  assert.deepEqual(select('affinity'), ['h2']);
  assert.deepEqual(select('anti-affinity'), ['h1', 'h3']);
  assert.deepEqual(select('soft-affinity'), ['h2', 'h1', 'h3']);
  assert.deepEqual(select('soft-anti-affinity'), ['h1', 'h3', 'h2']);
  // A hint that leaves nothing (h2 too small) gives way to the plain scan: the group's admit decides.
  assert.deepEqual(select('affinity', 30_000), ['h1', 'h3']);
  // The host's next report is the truth: its member left, so is the hint.
  summary.update(report('h2', 16_384, 2));
  assert.deepEqual(select('anti-affinity'), ['h1', 'h3', 'h2']);
});
