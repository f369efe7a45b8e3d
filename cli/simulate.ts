// `cumulo simulate SCENARIO [--seed N] [--out DIR]`: runs a scenario through the production
// scheduler, host and compute actors on a virtual clock and writes report.json, summary.csv,
// timeline.csv and report.html; a progress bar (stderr, only on a terminal) shows simulated time
// and events per second. `cumulo simulate --compare A.yaml B.yaml` runs both and prints their
// reports side by side. Bad scenarios exit 2 with every problem's file, line and field.
import { basename, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { compareReports, formatMs, loadScenario, runScenario, writeReports, type Report, type RunProgress } from '../simulation/index.js';
import { FabricError } from '../transports/errors.js';

interface SimulateOptions {
  seed?: number;
  out?: string;
  compare?: string[];
  progress: boolean;
}

function parseSeed(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) > 2 ** 32 - 1) throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
  return Number(value);
}

/** A one-line progress bar rewritten in place on stderr; silent when stderr is not a terminal. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update(p: RunProgress & { end: number }): void; done(): void } {
  if (!stream.isTTY) return { update() {}, done() {} };
  const started = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      const frac = p.end > 0 ? Math.min(1, p.now / p.end) : 1;
      const width = 28;
      const filled = Math.round(frac * width);
      const rate = p.events / Math.max(0.001, (now - started) / 1000);
      const line = `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${formatMs(p.now)} / ${formatMs(p.end)}  ${Math.round(rate).toLocaleString('en-US')} events/s`;
      stream.write(`\r${line.slice(0, (stream.columns ?? 120) - 1)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

async function runOne(path: string, options: SimulateOptions): Promise<{ report: Report; wallS: number; events: number }> {
  const scenario = loadScenario(path);
  const bar = options.progress ? progressBar(scenario.name) : { update() {}, done() {} };
  const started = performance.now();
  try {
    const { report } = await runScenario(scenario, { ...(options.seed === undefined ? {} : { seed: options.seed }), onProgress: (p) => bar.update(p) });
    return { report, wallS: (performance.now() - started) / 1000, events: report.run.events };
  } finally {
    bar.done();
  }
}

function headline(report: Report, wallS: number): string {
  const r = report;
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  return [
    `${r.scenario.name}: ${r.requests.total.toLocaleString('en-US')} requests on ${r.scenario.hosts.toLocaleString('en-US')} hosts, ${formatMs(r.scenario.durationS * 1000)} simulated (seed ${r.scenario.seed}, mode ${r.scenario.mode})`,
    `  accepted ${pct(r.requests.acceptanceRate)}, rejected ${pct(r.requests.rejectionRate)}${Object.keys(r.requests.rejectedBy).length === 0 ? '' : ` (${Object.entries(r.requests.rejectedBy).map(([k, v]) => `${k} ${v}`).join(', ')})`}`,
    `  utilization vCPU ${pct(r.utilization.vcpu)}, RAM ${pct(r.utilization.ram)}; fragmentation vCPU ${pct(r.fragmentation.vcpu)}, RAM ${pct(r.fragmentation.ram)} (vs ${r.fragmentation.largestFlavor})`,
    `  latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms (virtual); ${r.messages.perBoot} messages and ${r.storeWrites.perBoot} store writes per boot`,
    `  faults: ${r.faults.hostFailures} host failures, ${r.faults.instancesOnFailedHosts} instances hit, ${r.faults.rescheduled} rescheduled, ${r.faults.lost} lost`,
    `  ${r.run.events.toLocaleString('en-US')} events in ${wallS.toFixed(1)} s of wall time (${Math.round(r.run.events / Math.max(wallS, 0.001)).toLocaleString('en-US')} events/s)`,
  ].join('\n');
}

async function simulate(scenario: string | undefined, options: SimulateOptions): Promise<void> {
  if (options.compare !== undefined) {
    if (options.compare.length !== 2 || scenario !== undefined) throw new InvalidArgumentError('--compare takes exactly two scenario files: cumulo simulate --compare A.yaml B.yaml');
    const [a, b] = options.compare as [string, string];
    const ra = await runOne(a, options);
    const rb = await runOne(b, options);
    process.stdout.write(`${compareReports(ra.report, rb.report, [basename(a), basename(b)])}\n`);
    if (options.out !== undefined) {
      writeReports(ra.report, join(options.out, ra.report.scenario.name));
      writeReports(rb.report, join(options.out, rb.report.scenario.name));
    }
    return;
  }
  if (scenario === undefined) throw new InvalidArgumentError('give a scenario file (or --compare A.yaml B.yaml)');
  const { report, wallS } = await runOne(scenario, options);
  const dir = options.out ?? join('simulations', `${report.scenario.name}-seed${report.scenario.seed}`);
  const files = writeReports(report, dir);
  process.stdout.write(`${headline(report, wallS)}\n  report: ${files.html} (also ${files.json}, ${files.summaryCsv}, ${files.timelineCsv})\n`);
}

export function simulateCommand(): Command {
  return new Command('simulate')
    .description('run a cluster scenario through the production scheduler and host actors on a virtual clock')
    .argument('[scenario]', 'scenario file (YAML or JSON)')
    .option('--seed <n>', "seed of the run's randomness (default: the scenario's)", parseSeed)
    .option('--out <dir>', 'where to write report.json, summary.csv, timeline.csv and report.html (default simulations/NAME-seedN)')
    .option('--compare <files...>', 'run two scenarios and print their reports side by side')
    .option('--no-progress', 'no progress bar (it is shown only on a terminal anyway)')
    .action(async (scenario: string | undefined, options: SimulateOptions) => {
      try {
        await simulate(scenario, options);
      } catch (caught) {
        if (caught instanceof FabricError && (caught.code === 'SCENARIO_INVALID' || caught.code === 'TRACE_INVALID')) {
          process.stderr.write(`${caught.value.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw caught;
      }
    });
}
