// The actors are the loss system exactly, not just on average: replaying the run's own arrivals
// and lifetimes through a plain event-by-event M/M/c/c model rejects exactly the same number of
// requests as the simulator does through the production actors, in the full mode (servers through
// actors/compute, requests over the bus) and in the placement mode (the call for bids only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEngine, runScenario, scenarioFromObject } from '../../simulation/index.js';
import { hostsOf } from '../../simulation/sim-cloud.js';
import { sourcesOf } from '../../simulation/workload.js';
import { lossSystem } from './fixtures.js';

/** Rejections of a c-server loss system fed the scenario's own arrivals (same streams, same seed). */
function modelRejections(scenario: ReturnType<typeof scenarioFromObject>, c: number): { total: number; rejected: number } {
  const engine = new EventEngine(0);
  const arrivals: Array<[at: number, life: number]> = [];
  sourcesOf(scenario, hostsOf(scenario), scenario.seed).start(engine, (batch) => arrivals.push([engine.now(), batch.members[0]!.lifetime]));
  while (engine.clock.step());
  let busy: number[] = [];
  let rejected = 0;
  for (const [at, life] of arrivals) {
    busy = busy.filter((end) => end > at);
    if (busy.length >= c) rejected++;
    else busy.push(at + life);
  }
  return { total: arrivals.length, rejected };
}

for (const mode of ['full', 'placement'] as const) {
  test(`${mode} mode rejects exactly what the M/M/c/c model rejects`, async () => {
    const scenario = scenarioFromObject({ ...lossSystem(6, 6, 800, mode), report: {} });
    const model = modelRejections(scenario, 6);
    const { report } = await runScenario(scenario);
    assert.equal(report.requests.total, model.total);
    assert.ok(model.rejected > 50, `the load rejects some (${model.rejected})`);
    assert.equal(report.requests.rejected, model.rejected);
    assert.equal(report.requests.accepted, model.total - model.rejected);
  });
}
