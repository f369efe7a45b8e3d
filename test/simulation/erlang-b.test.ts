// Validation against theory: c one-slot hosts, Poisson arrivals, exponential lifetimes is the
// M/M/c/c loss system. Through the production scheduler and host actors, the rejection rate
// matches Erlang's B formula within 1 percentage point at a light, a near-capacity and an
// overloaded load, and the mean utilization matches the carried load a(1 − B)/c within 1 point.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario, scenarioFromObject } from '../../simulation/index.js';
import { erlangB, lossSystem } from './fixtures.js';

const C = 10;
for (const [label, a] of [
  ['light', 5],
  ['near capacity', 10],
  ['overloaded', 20],
] as const) {
  test(`M/M/${C}/${C} ${label} (${a} Erlangs): rejection rate is Erlang-B, utilization is the carried load`, async () => {
    const { report } = await runScenario(scenarioFromObject(lossSystem(C, a, 20_000, 'placement')));
    const b = erlangB(C, a);
    const carried = (a * (1 - b)) / C;
    assert.ok(report.requests.total > 19_000, `${report.requests.total} requests after the warm-up`);
    assert.equal(report.requests.pending, 0);
    assert.ok(Math.abs(report.requests.rejectionRate - b) < 0.01, `rejection ${report.requests.rejectionRate} vs Erlang-B ${b.toFixed(4)}`);
    assert.ok(Math.abs(report.utilization.vcpu - carried) < 0.01, `utilization ${report.utilization.vcpu} vs carried load ${carried.toFixed(4)}`);
    assert.deepEqual(Object.keys(report.requests.rejectedBy), b > 0.001 ? ['NO_VALID_HOST'] : Object.keys(report.requests.rejectedBy));
  });
}
