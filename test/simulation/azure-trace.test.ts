// The trace replay: the shipped sample is in the Azure vmtable format and is exactly what the
// generator makes from its seed; it parses (sorted by creation, buckets mapped to vCPUs and GB);
// and the example scenario replays every VM of it as a server of the matching flavor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AZURE_COLUMNS, generateAzureTrace, loadScenario, parseAzureTrace, randomStream, runScenario } from '../../simulation/index.js';

const SAMPLE = 'examples/scenarios/traces/azure-vmtable-sample.csv';

test('the shipped sample is the generator output, in vmtable format', () => {
  const text = readFileSync(SAMPLE, 'utf8');
  assert.equal(text, generateAzureTrace(randomStream(2019, 'azure-vmtable-sample'), 1200, 20));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1200);
  for (const line of lines) {
    const cells = line.split(',');
    assert.equal(cells.length, AZURE_COLUMNS.length);
    assert.match(cells[3]!, /^\d+$/);
    assert.equal(Number(cells[3]) % 300, 0, 'created on the 5-minute grid');
    assert.ok(Number(cells[4]) > Number(cells[3]));
    assert.match(cells[9]!, /^(2|4|8|24|>24)$/);
    assert.match(cells[10]!, /^(2|4|8|32|64|>64)$/);
  }
  const vms = parseAzureTrace(text, SAMPLE);
  assert.equal(vms.length, 1200);
  assert.ok(vms.every((vm, i) => i === 0 || vms[i - 1]!.createdS <= vm.createdS), 'in creation order');
  assert.ok(vms.some((vm) => vm.cores === 32 && vm.memoryGb === 128), 'open buckets map to 32 vCPUs and 128 GB');
});

test('parsing: a header is skipped, files need not be sorted, overflow buckets can be set', () => {
  const text = 'vmid,subscriptionid,deploymentid,vmcreated,vmdeleted,maxcpu,avgcpu,p95maxcpu,vmcategory,vmcorecountbucket,vmmemorybucket\r\nb,s,d,600,900,1,1,1,Unknown,>24,>64\r\na,s,d,0,300,1,1,1,Interactive,4,8\r\n';
  const vms = parseAzureTrace(text, 'x.csv', { largestCores: 48, largestMemoryGb: 192 });
  assert.deepEqual(
    vms.map((v) => [v.vmId, v.line, v.cores, v.memoryGb]),
    [
      ['a', 3, 4, 8],
      ['b', 2, 48, 192],
    ],
  );
});

test('the example scenario replays every VM of the trace', async () => {
  const scenario = loadScenario('examples/scenarios/azure-trace.yaml');
  // The first 200 VMs, with a slower heartbeat: the test is about the replay, not the beats.
  const first = scenario.workloads.map((w) => (w.kind === 'trace' ? { ...w, vms: w.vms.slice(0, 200) } : w));
  const { report } = await runScenario({ ...scenario, workloads: first, heartbeatMs: 120_000, serviceDownMs: 600_000 });
  assert.equal(report.requests.total, 200);
  assert.equal(report.requests.accepted + report.requests.rejected, 200);
  assert.ok(report.requests.accepted > 150);
  assert.ok(Object.keys(report.messages.byType).includes('instance create'), 'servers went through actors/compute');
  assert.match(report.fragmentation.largestFlavor, /^azure-\d+c-\d+g$/);
});
