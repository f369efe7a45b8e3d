// Determinism: the same scenario and seed give byte-identical reports (JSON, CSV and HTML), in
// both modes; a different seed gives a different report. Nothing in the run reads the wall clock
// or an unseeded random source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reportHtml, reportJson, runScenario, scenarioFromObject, summaryCsv, timelineCsv } from '../../simulation/index.js';
import { smallCluster } from './fixtures.js';

for (const mode of ['full', 'placement'] as const) {
  test(`${mode} mode: same seed, same bytes; another seed, other bytes`, async () => {
    const scenario = scenarioFromObject(smallCluster(mode));
    const a = (await runScenario(scenario)).report;
    const b = (await runScenario(scenario)).report;
    const c = (await runScenario(scenario, { seed: 12 })).report;
    assert.ok(a.requests.total > 200, `a real workload ran (${a.requests.total} requests)`);
    assert.equal(reportJson(a), reportJson(b));
    assert.equal(summaryCsv(a), summaryCsv(b));
    assert.equal(timelineCsv(a), timelineCsv(b));
    assert.equal(reportHtml(a), reportHtml(b));
    assert.notEqual(reportJson(a), reportJson(c));
    assert.equal(c.scenario.seed, 12);
    assert.notEqual(a.requests.total, 0);
  });
}
