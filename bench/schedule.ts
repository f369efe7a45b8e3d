// Scheduling throughput: placements per second and messages per placement with 100 and with
// 10,000 compute hosts, in-process (memory store, virtual clock: no heartbeat fires during a
// round). A placement is the whole call for bids: candidates from the scheduler, bids of the
// candidates, the claim and the host's report. Anchor, in the same run: the same number of raw
// asks to one do-nothing actor, with the same concurrency. ratio = time per placement ÷ time per
// raw ask (the figure to watch is that it does not grow from 100 to 10,000 hosts). Each round
// starts from empty hosts (the previous round's claims are released, untimed).
//   npx tsc -p . && node dist/bench/schedule.js [placements=2000] [concurrency=50] [rounds=5]
import * as hdr from 'hdr-histogram-js';
import { SYSTEM_CALLER } from '../actors/identity/caller.js';
import { createSchedulerKind, placeInstance, SCHEDULER_KIND } from '../actors/scheduler/index.js';
import { createHostKind, type Inventory } from '../hosts/compute/index.js';
import { createActorSystem, createMemoryStore, defineKind, type ActorSystem } from '../supervision/index.js';
import { VirtualClock } from '../transports/clock.js';

const PLACEMENTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const ROUNDS = Number(process.argv[4] ?? 5);
const HOST: Inventory = { zone: 'nova', vcpus: 64, ramMb: 262_144, diskGb: 4000 };
const TINY = { vcpus: 1, ramMb: 512, diskGb: 1 };

const echo = defineKind<null, { type: 'ping' }, null>({ name: 'echo', messageTypes: { ping: true }, initialState: null, handle: () => null });

async function cluster(hosts: number): Promise<ActorSystem> {
  const system = createActorSystem({ clock: new VirtualClock(0), store: createMemoryStore(), askTimeoutMs: 600_000, seed: 1 });
  for (const r of [system.register(createSchedulerKind()), system.register(createHostKind()), system.register(echo)]) if (!r.ok) throw new Error(r.error.message);
  for (let i = 0; i < hosts; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(hosts, i + 500); j++) batch.push(system.ref('host', `host-${j}`).ask({ type: 'register', caller: SYSTEM_CALLER, inventory: HOST } as { type: string }));
    for (const r of await Promise.all(batch)) if (!r.ok) throw new Error(r.error.message);
  }
  // The registration reports were told before the answers: this ask waits them out.
  await system.ref(SCHEDULER_KIND, 'default').ask({ type: 'zones', caller: SYSTEM_CALLER } as { type: string });
  return system;
}

let serial = 0;
/** Claims placed by the last round (released before the next, untimed). */
const placed: Array<[string, string]> = [];

/** PLACEMENTS placements in waves of CONCURRENCY; returns the elapsed ms. */
async function placements(system: ActorSystem, latency?: hdr.Histogram): Promise<number> {
  await release(system);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PLACEMENTS; i += CONCURRENCY) {
    const wave = [];
    for (let j = 0; j < CONCURRENCY && i + j < PLACEMENTS; j++) {
      const started = process.hrtime.bigint();
      const instanceId = `i-${serial++}`;
      wave.push(
        placeInstance(system, { instanceId, resources: TINY }).then((r) => {
          if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
          placed.push([instanceId, r.value.hostId]);
          latency?.recordValue(Number(process.hrtime.bigint() - started) / 1000);
        }),
      );
    }
    await Promise.all(wave);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Every round starts from empty hosts, so 100 and 10,000 hosts differ by their number only. */
async function release(system: ActorSystem): Promise<void> {
  const claims = placed.splice(0);
  for (let i = 0; i < claims.length; i += 500) {
    const batch = claims.slice(i, i + 500).map(([instanceId, hostId]) => system.ref('host', hostId).ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId } as { type: string }));
    for (const r of await Promise.all(batch)) if (!r.ok) throw new Error(r.error.message);
  }
  await system.ref(SCHEDULER_KIND, 'default').ask({ type: 'zones', caller: SYSTEM_CALLER } as { type: string });
}

/** The anchor: as many asks to one actor, in the same waves. */
async function rawAsks(system: ActorSystem): Promise<number> {
  const target = system.ref(echo, 'one');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PLACEMENTS; i += CONCURRENCY) {
    const wave = [];
    for (let j = 0; j < CONCURRENCY && i + j < PLACEMENTS; j++) wave.push(target.ask({ type: 'ping' }));
    for (const r of await Promise.all(wave)) if (!r.ok) throw new Error(r.error.message);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Messages received by all actors per placement (counted in a round of its own, not timed). */
async function messagesPerPlacement(system: ActorSystem): Promise<number> {
  await release(system);
  let received = 0;
  const stop = system.inspect((e) => {
    if (e.type === 'received') received++;
  });
  await placements(system);
  await system.ref(SCHEDULER_KIND, 'default').ask({ type: 'zones', caller: SYSTEM_CALLER } as { type: string });
  stop();
  return (received - 1) / PLACEMENTS;
}

/** Time of one `candidates` ask alone (the scheduler's pre-selection), in µs. */
async function candidatesUs(system: ActorSystem): Promise<number> {
  const scheduler = system.ref(SCHEDULER_KIND, 'default');
  const n = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await scheduler.ask({ type: 'candidates', caller: SYSTEM_CALLER, request: { instanceId: `c-${i}`, resources: TINY } } as { type: string });
    if (!r.ok) throw new Error(r.error.message);
  }
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Figures {
  hosts: number;
  placements_per_s: number;
  placement_us: number;
  raw_ask_us: number;
  ratio: number;
  messages_per_placement: number;
  latency_p50_us: number;
  latency_p99_us: number;
  candidates_us: number;
}

async function measure(hosts: number): Promise<Figures> {
  const t0 = Date.now();
  const system = await cluster(hosts);
  console.log(`${hosts} hosts registered in ${Date.now() - t0} ms`);
  // Warm-up of both paths.
  await placements(system);
  await rawAsks(system);
  const latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const placeMs: number[] = [];
  const askMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    global.gc?.();
    if (r % 2 === 0) {
      askMs.push(await rawAsks(system));
      placeMs.push(await placements(system, latency));
    } else {
      placeMs.push(await placements(system, latency));
      askMs.push(await rawAsks(system));
    }
    console.log(`  round ${r + 1}: ${PLACEMENTS} placements ${placeMs[r]!.toFixed(1)} ms, ${PLACEMENTS} raw asks ${askMs[r]!.toFixed(1)} ms`);
  }
  const messages = await messagesPerPlacement(system);
  const candidates = await candidatesUs(system);
  await system.stop();
  const place = median(placeMs);
  const ask = median(askMs);
  return {
    hosts,
    placements_per_s: Math.round(PLACEMENTS / (place / 1000)),
    placement_us: Number(((place * 1000) / PLACEMENTS).toFixed(2)),
    raw_ask_us: Number(((ask * 1000) / PLACEMENTS).toFixed(2)),
    ratio: Number((place / ask).toFixed(2)),
    messages_per_placement: Number(messages.toFixed(3)),
    latency_p50_us: latency.getValueAtPercentile(50),
    latency_p99_us: latency.getValueAtPercentile(99),
    candidates_us: Number(candidates.toFixed(2)),
  };
}

async function main(): Promise<void> {
  const small = await measure(100);
  console.log(JSON.stringify(small));
  const large = await measure(10_000);
  console.log(JSON.stringify(large));
  const result = {
    bench: 'schedule',
    placements_per_round: PLACEMENTS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    // The headline ratio is the one at 10,000 hosts.
    ratio: large.ratio,
    ratio_100: small.ratio,
    placements_per_s_100: small.placements_per_s,
    placements_per_s_10000: large.placements_per_s,
    messages_per_placement_100: small.messages_per_placement,
    messages_per_placement_10000: large.messages_per_placement,
    latency_p99_us_100: small.latency_p99_us,
    latency_p99_us_10000: large.latency_p99_us,
    candidates_us_100: small.candidates_us,
    candidates_us_10000: large.candidates_us,
    raw_ask_us: large.raw_ask_us,
    goal: 'messages_per_placement equal at 100 and 10,000 hosts; ratio_10000 within 1.5x of ratio_100',
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
