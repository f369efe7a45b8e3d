// Fault injection, what it proves: when hosts fail (at a rate, with repairs), every instance that
// was running on a failed host is accounted for exactly once — rebuilt on another host as a new
// server (rescheduled) or reported lost — none twice, none left over; and afterwards the claims
// the host actors hold are exactly the instances the simulator counts as running (nothing stays
// claimed on a dead host). Runs through the full path (servers through actors/compute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, scenarioFromObject, type FaultRecord } from '../../simulation/index.js';

function failing(evacuate: boolean, hosts: number, mtbf = '1d'): Record<string, unknown> {
  return {
    name: `failures-${evacuate ? 'evacuate' : 'lose'}`,
    mode: 'full',
    seed: 5,
    duration: '12h',
    hosts: [{ count: hosts, vcpus: 16, ramMb: 32768, diskGb: 500, allocationRatios: { cpu: 1, ram: 1 } }],
    workloads: [{ name: 'app', arrivals: { rate: 30, per: 'hour' }, lifetime: { distribution: 'exponential', mean: '3h' }, flavors: { 'm1.large': 1, 'm1.xlarge': 1 } }],
    faults: { hostFailures: { mtbf, repair: { distribution: 'exponential', mean: '2h' }, evacuate } },
    heartbeat: '30s',
  };
}

function checkLedger(faults: readonly FaultRecord[], onFailed: number): void {
  assert.equal(faults.length, onFailed, 'one record per instance on a failed host');
  const ids = new Set(faults.map((f) => f.id));
  assert.equal(ids.size, faults.length, 'no instance is counted twice');
  for (const f of faults) {
    assert.notEqual(f.outcome, 'unresolved', `${f.id} was resolved`);
    if (f.outcome === 'rescheduled') {
      assert.ok(f.replacement !== null && !ids.has(f.replacement), 'a rescheduled instance is a new server');
      assert.ok(f.placedOn !== null && f.placedOn !== f.hostId, `${f.id} was rebuilt away from its failed host ${f.hostId}`);
    }
  }
}

test('evacuation: every instance of a failed host is rescheduled or lost, exactly once; claims match', async () => {
  const { report, audit } = await runScenario(scenarioFromObject(failing(true, 6)), { audit: true });
  const f = report.faults;
  assert.ok(f.hostFailures >= 3, `hosts failed (${f.hostFailures})`);
  assert.ok(f.instancesOnFailedHosts >= 5, `instances were hit (${f.instancesOnFailedHosts})`);
  assert.equal(f.rescheduled + f.lost, f.instancesOnFailedHosts);
  assert.equal(f.unresolved, 0);
  assert.ok(f.rescheduled > 0, 'some were rebuilt elsewhere');
  checkLedger(audit!.faults, f.instancesOnFailedHosts);
  assert.deepEqual(audit!.mismatches, []);
  assert.equal(audit!.claims, report.utilization.liveAtEnd);
});

test('a full cluster loses the instances it cannot rebuild; without evacuation all are lost', async () => {
  const tight = await runScenario(scenarioFromObject({ ...failing(true, 3, '6h'), workloads: [{ name: 'app', arrivals: { rate: 60, per: 'hour' }, lifetime: { distribution: 'exponential', mean: '6h' }, flavors: { 'm1.xlarge': 1 } }] }), { audit: true });
  assert.ok(tight.report.faults.lost > 0, `a full cluster has no room to rebuild (${JSON.stringify(tight.report.faults)})`);
  assert.equal(tight.report.faults.rescheduled + tight.report.faults.lost, tight.report.faults.instancesOnFailedHosts);
  checkLedger(tight.audit!.faults, tight.report.faults.instancesOnFailedHosts);
  assert.deepEqual(tight.audit!.mismatches, []);

  const lose = await runScenario(scenarioFromObject(failing(false, 6)), { audit: true });
  assert.ok(lose.report.faults.instancesOnFailedHosts > 0);
  assert.equal(lose.report.faults.lost, lose.report.faults.instancesOnFailedHosts);
  assert.equal(lose.report.faults.rescheduled, 0);
  checkLedger(lose.audit!.faults, lose.report.faults.instancesOnFailedHosts);
  assert.deepEqual(lose.audit!.mismatches, []);
});
