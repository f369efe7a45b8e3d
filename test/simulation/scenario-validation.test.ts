// Bad scenarios are refused with errors that name the file, the line (and column) and the field:
// unknown fields, negative rates, empty host lists, a malformed trace line, YAML that does not
// parse, and the rules a schema cannot say (fields of a distribution, unknown flavors and zones,
// a workload that never ends, a broker restart without requests on the broker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario, scenarioFromObject, type Problem } from '../../simulation/index.js';
import { FabricError } from '../../transports/errors.js';

function refusal(fn: () => unknown): FabricError {
  try {
    fn();
  } catch (caught) {
    assert.ok(caught instanceof FabricError, `a FabricError, not ${String(caught)}`);
    return caught;
  }
  assert.fail('the scenario was accepted');
}

function problems(e: FabricError): Problem[] {
  return (e.value.details?.problems ?? []) as Problem[];
}

test('scenario files: each problem names file, line, column and field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-scenarios-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  const unknownAndNegative = write(
    'unknown.yaml',
    ['name: bad', 'duration: 1h', 'hosts:', '  - count: 2', '    vcpuz: 8', '    vcpus: 8', '    ramMb: 1024', '    diskGb: 10', 'workloads:', '  - name: w', '    arrivals: { rate: -2 }', '    lifetime: { distribution: exponential, mean: 1h }', '    flavors: { m1.small: 1 }', ''].join('\n'),
  );
  let e = refusal(() => loadScenario(unknownAndNegative));
  assert.equal(e.code, 'SCENARIO_INVALID');
  assert.deepEqual(
    problems(e).map((p) => [p.line, p.column, p.field]),
    [
      [5, 5, 'hosts[0].vcpuz'],
      [11, 23, 'workloads[0].arrivals.rate'],
    ],
  );
  assert.match(e.message, new RegExp(`${unknownAndNegative}:5:5: hosts\\[0\\]\\.vcpuz: unknown field`));
  assert.match(e.message, /:11:23: workloads\[0\]\.arrivals\.rate: must be a number above 0/);

  const emptyHosts = write('empty.yaml', 'name: bad\nduration: 1h\nhosts: []\nworkloads:\n  - { name: w, arrivals: { rate: 1 }, lifetime: { distribution: fixed, value: 10 }, flavors: { m1.tiny: 1 } }\n');
  e = refusal(() => loadScenario(emptyHosts));
  assert.deepEqual(problems(e).map((p) => [p.line, p.field, p.message]), [[3, 'hosts', 'must list at least one host group']]);

  const json = write('bad.json', '{\n  "name": "j",\n  "duration": 60,\n  "hosts": [{ "count": 1, "vcpus": 4, "ramMb": 1024, "diskGb": 10 }],\n  "workloads": [{ "name": "w", "arrivals": { "rate": 1 }, "lifetime": { "distribution": "fixed", "value": 5 }, "flavors": { "m1.tiny": 1 }, "colour": "red" }]\n}\n');
  e = refusal(() => loadScenario(json));
  assert.deepEqual(problems(e).map((p) => [p.line, p.field, p.message]), [[5, 'workloads[0].colour', 'unknown field']]);

  const broken = write('broken.yaml', 'name: b\nhosts:\n  - count: 1\n    vcpus: 4\n   ramMb: 1024\n');
  e = refusal(() => loadScenario(broken));
  assert.equal(problems(e)[0]!.line, 5, 'a YAML syntax error has its line');

  write('trace.csv', 'vm1,sub,dep,0,300,10.5,5.1,8.0,Interactive,2,4\nvm2,sub,dep,300,600,10.5,5.1,8.0,Interactive,3x,4\n');
  const traced = write('traced.yaml', 'name: t\nhosts:\n  - { count: 1, vcpus: 4, ramMb: 8192, diskGb: 100 }\nworkloads:\n  - name: replay\n    trace: { file: trace.csv }\n');
  e = refusal(() => loadScenario(traced));
  assert.equal(e.code, 'TRACE_INVALID');
  assert.equal(e.value.message, 'trace.csv:2: column vmcorecountbucket: "3x" is not a core count bucket (2, 4, 8, 24 or >24)');
  assert.deepEqual(e.value.details, { file: 'trace.csv', line: 2, field: 'vmcorecountbucket' });

  write('short.csv', 'vm1,sub,dep,0,300,10.5,5.1,8.0,Interactive,2,4\n\nvm2,sub,dep,600,300,10.5\n');
  const shortTrace = write('short.yaml', 'name: t\nhosts:\n  - { count: 1, vcpus: 4, ramMb: 8192, diskGb: 100 }\nworkloads:\n  - name: replay\n    trace: { file: short.csv }\n');
  e = refusal(() => loadScenario(shortTrace));
  assert.match(e.value.message, /^short\.csv:3: column avgcpu: expected 11 comma-separated columns/);

  const missing = write('missing.yaml', 'name: t\nhosts:\n  - { count: 1, vcpus: 4, ramMb: 8192, diskGb: 100 }\nworkloads:\n  - name: replay\n    trace: { file: nowhere.csv }\n');
  e = refusal(() => loadScenario(missing));
  assert.equal(problems(e)[0]!.field, 'workloads[0].trace.file');
  assert.equal(problems(e)[0]!.line, 6);
});

test('rules beyond the schema: distributions, flavors, zones, an end, broker restarts', () => {
  const base = {
    name: 'x',
    duration: '1h',
    hosts: [{ count: 2, zone: 'az1', vcpus: 8, ramMb: 16384, diskGb: 100 }],
    workloads: [{ name: 'w', arrivals: { rate: 1 }, lifetime: { distribution: 'exponential', mean: '1h' }, flavors: { 'm1.small': 1 } }],
  };
  assert.equal(scenarioFromObject(base).workloads.length, 1);
  const fieldsOf = (value: Record<string, unknown>): string[] => problems(refusal(() => scenarioFromObject(value))).map((p) => `${p.field}: ${p.message}`);

  assert.deepEqual(fieldsOf({ ...base, workloads: [{ ...base.workloads[0], lifetime: { distribution: 'exponential', mean: '1h', min: 3 } }] }), [
    'workloads[0].lifetime.min: does not apply to a exponential distribution (it takes mean)',
  ]);
  assert.deepEqual(fieldsOf({ ...base, workloads: [{ ...base.workloads[0], flavors: { 'm9.huge': 1 } }] }), [
    'workloads[0].flavors.m9.huge: no flavor m9.huge (flavors: m1.tiny, m1.small, m1.medium, m1.large, m1.xlarge)',
  ]);
  assert.deepEqual(fieldsOf({ ...base, workloads: [{ ...base.workloads[0], zone: 'az9' }] }), ['workloads[0].zone: no host is in zone az9 (zones: az1)']);
  const { duration: _none, ...endless } = base;
  assert.deepEqual(fieldsOf(endless), ['workloads[0]: this workload never stops: give the scenario a `duration`, or the workload a `count` or an `end`']);
  assert.deepEqual(fieldsOf({ ...base, mode: 'placement', faults: { restarts: [{ target: 'broker', at: '10m' }] } }), [
    'faults.restarts[0].target: a broker restart needs mode full (placement mode sends no requests through the broker)',
  ]);
  assert.deepEqual(fieldsOf({ ...base, hosts: [{ count: -1, vcpus: 8, ramMb: 16384, diskGb: 100 }] }), ['hosts[0].count: must be ≥ 1 (negative values make no sense here)']);
  assert.deepEqual(fieldsOf({ ...base, duration: 'soon' }), ["duration: must be a duration: seconds as a number, or a string such as '500ms', '30s', '5m', '2h', '1d'"]);
  assert.deepEqual(fieldsOf({ ...base, workloads: [{ ...base.workloads[0], arrivals: { rate: 1, targetLoad: 0.5 } }] }), ['workloads[0].arrivals: give exactly one of `rate` and `targetLoad`']);
});
