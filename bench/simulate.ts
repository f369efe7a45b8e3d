// Benchmark `simulate`: 10,000 hosts and 1,000,000 VM requests (Poisson arrivals, exponential
// lifetimes, 70% target load) through the production scheduler and host actors (placement
// mode: the call for bids and host claims) on the simulator's virtual clock. Goals: under 60 s of
// wall time and 4 GiB of memory on the 2-core machine. Anchor: a bare event loop (the same
// engine, clock steps and quiescence, events that do nothing) over as many events in this run:
// ratio = wall time ÷ the bare loop's time, the cost of running real actors instead of a model.
// It then runs the full path (servers through actors/compute) on a sample of the same workload
// and prints its true figures and extrapolation.
//
//   npx tsc -p . && node dist/bench/simulate.js [requests=1000000] [hosts=10000] [fullSample=20000]
import { bareEventLoop, randomStream, runScenario, scenarioFromObject, type Report } from '../simulation/index.js';

const REQUESTS = Number(process.argv[2] ?? 1_000_000);
const HOSTS = Number(process.argv[3] ?? 10_000);
const FULL_SAMPLE = Number(process.argv[4] ?? 20_000);

function scenario(mode: 'placement' | 'full', requests: number): ReturnType<typeof scenarioFromObject> {
  return scenarioFromObject({
    name: `bench-${mode}`,
    mode,
    seed: 2026,
    // Many tenants, as a real cloud has: each project's quota and servers index hold its servers.
    projects: 500,
    // 32 cores and 128 GiB per host (cpu ratio 4): about 24 servers of the mix per host, RAM-bound.
    hosts: [{ count: HOSTS, vcpus: 32, ramMb: 131_072, diskGb: 8000, allocationRatios: { cpu: 4, ram: 1, disk: 1 } }],
    // A short mean lifetime keeps the simulated span (and so the hosts' 10 s heartbeats) small;
    // the loss system depends on the load, not on the time scale.
    workloads: [{ name: 'load', count: requests, arrivals: { targetLoad: 0.7 }, lifetime: { distribution: 'exponential', mean: '1m' }, flavors: { 'm1.small': 4, 'm1.medium': 3, 'm1.large': 2, 'm1.xlarge': 1 } }],
  });
}

function progress(label: string): (p: { now: number; events: number; end: number }) => void {
  const started = performance.now();
  let last = started;
  return (p) => {
    const now = performance.now();
    if (now - last < 10_000) return;
    last = now;
    const s = (now - started) / 1000;
    console.log(`  ${label}: ${((100 * p.now) / p.end).toFixed(0)}% of ${(p.end / 1000).toFixed(0)} simulated s, ${p.events.toLocaleString('en-US')} events, ${Math.round(p.events / s).toLocaleString('en-US')} events/s`);
  };
}

async function timed(mode: 'placement' | 'full', requests: number): Promise<{ report: Report; wallS: number; cpuS: number; liveAtEnd: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { report, liveAtEnd } = await runScenario(scenario(mode, requests), { onProgress: progress(mode) });
  const used = process.cpuUsage(cpu);
  return { report, wallS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6, liveAtEnd };
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

async function main(): Promise<void> {
  console.log(`simulate: ${HOSTS.toLocaleString('en-US')} hosts, ${REQUESTS.toLocaleString('en-US')} requests, placement mode`);
  const run = await timed('placement', REQUESTS);
  const peakRss = mb(process.resourceUsage().maxRSS * 1024);
  const events = run.report.run.events;
  const eventsPerS = Math.round(events / run.wallS);
  console.log(`  ${events.toLocaleString('en-US')} events in ${run.wallS.toFixed(1)} s (${run.cpuS.toFixed(1)} s of CPU): ${eventsPerS.toLocaleString('en-US')} events/s; peak rss ${peakRss} MB`);
  console.log(`  accepted ${(run.report.requests.acceptanceRate * 100).toFixed(2)}%, RAM utilization ${(run.report.utilization.ram * 100).toFixed(1)}%, ${run.report.messages.perBoot} messages per boot`);

  const bareStart = performance.now();
  await bareEventLoop(events, run.liveAtEnd, randomStream(2026, 'bench-anchor'));
  const bareS = (performance.now() - bareStart) / 1000;
  console.log(`  bare event loop, same ${events.toLocaleString('en-US')} events: ${bareS.toFixed(2)} s`);

  let full: Record<string, number> | undefined;
  if (FULL_SAMPLE > 0) {
    console.log(`full mode (servers through actors/compute), sample of ${FULL_SAMPLE.toLocaleString('en-US')} requests on the same hosts`);
    const f = await timed('full', FULL_SAMPLE);
    const perRequestMs = (f.wallS * 1000) / FULL_SAMPLE;
    full = {
      requests: FULL_SAMPLE,
      wall_s: Number(f.wallS.toFixed(2)),
      cpu_s: Number(f.cpuS.toFixed(2)),
      per_request_ms: Number(perRequestMs.toFixed(3)),
      extrapolated_wall_s: Math.round((perRequestMs * REQUESTS) / 1000),
      messages_per_boot: f.report.messages.perBoot,
      store_writes_per_boot: f.report.storeWrites.perBoot,
    };
    console.log(`  ${f.wallS.toFixed(1)} s, ${perRequestMs.toFixed(2)} ms per request: about ${full.extrapolated_wall_s} s for ${REQUESTS.toLocaleString('en-US')}`);
  }

  const met = run.wallS < 60 && peakRss < 4096;
  const result = {
    bench: 'simulate',
    mode: 'placement',
    hosts: HOSTS,
    requests: REQUESTS,
    simulated_s: run.report.scenario.durationS,
    events,
    events_per_s: eventsPerS,
    wall_s: Number(run.wallS.toFixed(2)),
    // CPU time of the run: what wall time would be on an otherwise idle machine.
    cpu_s: Number(run.cpuS.toFixed(2)),
    peak_rss_mb: peakRss,
    bare_loop_s: Number(bareS.toFixed(3)),
    ratio: Number((run.wallS / bareS).toFixed(2)),
    acceptance_rate: run.report.requests.acceptanceRate,
    messages_per_boot: run.report.messages.perBoot,
    store_writes_per_boot: run.report.storeWrites.perBoot,
    full_mode_sample: full ?? null,
    anchor: 'bare event loop: the same engine (clock steps + quiescence) over the same number of events, no actors',
    goal: 'wall_s < 60 and peak_rss_mb < 4096',
    met,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
