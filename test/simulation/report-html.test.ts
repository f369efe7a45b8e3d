// The HTML report is self-contained (Chart.js inlined, no external script, stylesheet or font),
// carries the report's data, and its chart code runs: evaluated against a stub Chart and DOM,
// it draws six charts whose series have one point per timeline sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { reportHtml, runScenario, scenarioFromObject } from '../../simulation/index.js';
import { smallCluster } from './fixtures.js';

test('a self-contained page whose charts are built from the timeline', async () => {
  const { report } = await runScenario(scenarioFromObject(smallCluster('placement')));
  const html = reportHtml(report);
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|https?:\/\/(?!www\.w3\.org)[^"'\s]*\.(js|css)/i, 'nothing is fetched');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2);
  assert.match(scripts[0]!, /Chart\.js v4/);
  const charts: Array<{ type: string; data: { datasets: Array<{ data: unknown[] }> } }> = [];
  class Chart {
    constructor(_canvas: unknown, config: (typeof charts)[number]) {
      charts.push(config);
    }
  }
  const document = { getElementById: (id: string) => ({ id }) };
  runInNewContext(scripts[1]!, { Chart, document });
  assert.deepEqual(
    charts.map((c) => c.type),
    ['line', 'line', 'line', 'line', 'bar', 'bar'],
  );
  for (const c of charts.slice(0, 4)) for (const d of c.data.datasets) assert.equal(d.data.length, report.timeline.length);
  assert.ok(html.includes(`<title>cumulo simulation: ${report.scenario.name}</title>`));
});
