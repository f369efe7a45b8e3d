// `cumulo simulate`: writes the four report files, prints its summary, shows no progress bar when
// stderr is not a terminal (CI logs stay clean), exits 2 with the file, line and field of a bad
// scenario, and `--compare A B` prints both reports side by side. Also the SDK's Simulation.run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../sdk/simulation.js';

const RUNNER = `import { Command } from 'commander';
import { simulateCommand } from ${JSON.stringify(new URL('../../cli/simulate.js', import.meta.url).href)};
await new Command('cumulo').addCommand(simulateCommand()).parseAsync(process.argv);`;

function cumulo(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', RUNNER, 'cumulo', ...args], { encoding: 'utf8', cwd: process.cwd() });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const QUICK = `name: quick
seed: 4
duration: 1h
hosts:
  - { count: 3, vcpus: 16, ramMb: 32768, diskGb: 500 }
workloads:
  - name: w
    arrivals: { rate: 60, per: hour }
    lifetime: { distribution: exponential, mean: 20m }
    flavors: { m1.small: 1, m1.large: 1 }
`;

test('cumulo simulate writes JSON, CSV and HTML reports; no progress bar off a terminal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-sim-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'quick.yaml');
  writeFileSync(file, QUICK);
  const out = join(dir, 'out');
  const r = cumulo(['simulate', file, '--seed', '9', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing on stderr: it is not a terminal');
  assert.match(r.stdout, /^quick: \d+ requests on 3 hosts, 1h simulated \(seed 9, mode full\)/);
  assert.match(r.stdout, /events in [\d.]+ s of wall time \([\d,]+ events\/s\)/);
  for (const f of ['report.json', 'summary.csv', 'timeline.csv', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { scenario: { seed: number }; requests: { total: number } };
  assert.equal(report.scenario.seed, 9);
  assert.ok(report.requests.total > 30);
  assert.match(readFileSync(join(out, 'timeline.csv'), 'utf8'), /^t,vcpu,ram,liveInstances,/);
  assert.match(readFileSync(join(out, 'summary.csv'), 'utf8'), /\nrequests,acceptanceRate,/);

  const sdk = await Simulation.run(file, { seed: 9 });
  assert.equal(`${JSON.stringify(sdk, null, 2)}\n`, readFileSync(join(out, 'report.json'), 'utf8'), 'the SDK and the CLI give the same report');

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, QUICK.replace('count: 3', 'count: 3, colour: blue'));
  const refused = cumulo(['simulate', bad]);
  assert.equal(refused.status, 2);
  assert.equal(refused.stderr.trim(), `${bad}:5:17: hosts[0].colour: unknown field`);

  const other = join(dir, 'pack.yaml');
  writeFileSync(other, `${QUICK.replace('name: quick', 'name: quick-pack')}scheduler: { policy: pack }\n`);
  const compared = cumulo(['simulate', '--compare', file, other]);
  assert.equal(compared.status, 0, compared.stderr);
  const lines = compared.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^\s+quick\.yaml\s+pack\.yaml\s+B − A$/);
  assert.ok(lines.some((l) => /^scheduler\s+spread\s+pack\s+≠$/.test(l)), compared.stdout);
  assert.ok(lines.some((l) => l.startsWith('acceptance rate')));
});

test('Simulation.run takes an object and answers the report; bad input is SCENARIO_INVALID', async () => {
  const report = await Simulation.run({
    name: 'inline',
    mode: 'placement',
    duration: '30m',
    hosts: [{ count: 2, vcpus: 8, ramMb: 16384, diskGb: 100 }],
    workloads: [{ name: 'w', arrivals: { rate: 1, per: 'minute' }, lifetime: { distribution: 'fixed', value: '10m' }, flavors: { 'm1.medium': 1 } }],
  });
  assert.equal(report.scenario.name, 'inline');
  assert.equal(report.scenario.mode, 'placement');
  assert.ok(report.requests.total > 10);
  await assert.rejects(Simulation.run({ name: 'x', hosts: [], workloads: [] }), (e: Error & { code?: string }) => e.code === 'SCENARIO_INVALID' && /hosts: must list at least one host group/.test(e.message));
});
