// Fault injection, what it proves: the zone-outage example takes a whole zone down at a time
// (its hosts show as down for the outage, their servers are rebuilt in the other zones, each
// accounted for once), restarts the scheduler (its supervisor restarts it; the run goes on), and
// takes the broker down for two minutes: requests sent meanwhile wait on the bus and are served
// after it, which shows as latency beyond the longest boot time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario, runScenario } from '../../simulation/index.js';

test('zone outage, scheduler restart and broker outage in one run', async () => {
  const { report, audit } = await runScenario(loadScenario('examples/scenarios/zone-outage.yaml'), { audit: true });
  const f = report.faults;
  assert.equal(f.zoneOutages, 1);
  assert.equal(f.hostFailures, 6, 'the six hosts of az1');
  assert.equal(f.hostRepairs, 6);
  assert.equal(f.schedulerRestarts, 1);
  assert.equal(f.brokerRestarts, 1);
  assert.ok(f.instancesOnFailedHosts > 20, `az1 ran servers (${f.instancesOnFailedHosts})`);
  assert.equal(f.rescheduled + f.lost, f.instancesOnFailedHosts);
  assert.equal(f.unresolved, 0);
  assert.equal(new Set(audit!.faults.map((x) => x.id)).size, f.instancesOnFailedHosts);
  assert.ok(audit!.faults.every((x) => x.outcome !== 'rescheduled' || !x.placedOn!.startsWith('az1-')), 'rebuilt outside the dark zone');
  assert.deepEqual(audit!.mismatches, []);
  // Builds still in flight at the end hold their claims rightly; a handful at most at this rate.
  assert.ok(audit!.inFlight <= 5, `${audit!.inFlight} builds in flight at the end`);

  const during = report.timeline.filter((p) => p.t > 2 * 3600 && p.t < 3 * 3600);
  assert.ok(during.length > 0 && during.every((p) => p.hostsDown === 6), 'az1 is down from 2h to 3h');
  assert.ok(report.timeline.filter((p) => p.t > 3 * 3600).every((p) => p.hostsDown === 0), 'and back after');
  // Boots take 20-60 s; a request held by the broker outage waits up to its two minutes more.
  assert.ok(report.latency.max > 60_000, `latency max ${report.latency.max} ms`);
  assert.ok(report.latency.p50 >= 20_000 && report.latency.p50 <= 60_000, 'most requests just boot');
});
