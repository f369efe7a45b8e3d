// Acknowledged durable state changes per second through the LmdbStore (revision check, epoch
// fence, one record per change) versus raw lmdb-js puts of the same records with the same number
// in flight, each on a fresh LMDB environment, in the same run. Both encode records alike
// (RECORD_ENCODING), so the ratio measures the store's own work. Goal: ratio <= 1.3.
//   npx tsc -p . && node dist/bench/store.js [changes] [inFlight] [rounds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { open } from 'lmdb';
import { openLmdbStore, RECORD_ENCODING } from '../supervision/lmdb-store.js';
import type { StoredRecord } from '../supervision/store.js';

const CHANGES = Number(process.argv[2] ?? 200_000);
const IN_FLIGHT = Number(process.argv[3] ?? 1_000);
const KEYS = Math.min(CHANGES, 20 * IN_FLIGHT);
const SHARDS = 256;
const ROUNDS = Number(process.argv[4] ?? 7);

interface InstanceState {
  readonly status: 'BUILD' | 'ACTIVE' | 'SHUTOFF';
  readonly taskState: string | null;
  readonly name: string;
  readonly host: string;
  readonly flavor: { readonly vcpus: number; readonly ramMb: number; readonly diskGb: number };
  readonly n: number;
}

const key = (k: number): string => `instance/01JD${String(k).padStart(22, '0')}`;

/** The change number `revision` of key `k`: the same records on both sides. */
function record(k: number, revision: number): StoredRecord<InstanceState> {
  return {
    state: {
      status: revision === 1 ? 'BUILD' : 'ACTIVE',
      taskState: revision === 1 ? 'scheduling' : null,
      name: `vm-${k}`,
      host: `host-${k % 97}`,
      flavor: { vcpus: 2, ramMb: 4096, diskGb: 20 },
      n: revision,
    },
    revision,
    epoch: 1,
    dedup: { [`client-${k % 16}`]: revision },
  };
}

/** One change: resolves once it is acknowledged (committed). */
type Write = (k: number, revision: number) => Promise<void>;

interface Run {
  readonly seconds: number;
  /** CPU time of the whole process (main thread and lmdb-js' write thread). */
  readonly cpuSeconds: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

/**
 * IN_FLIGHT lanes; lane w owns keys w, w + IN_FLIGHT, ... and writes them round after round, so
 * every key's revisions go in order and IN_FLIGHT changes are always outstanding.
 */
async function drive(write: Write): Promise<Run> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const perLane = Math.ceil(CHANGES / IN_FLIGHT);
  const keysPerLane = Math.max(1, Math.floor(KEYS / IN_FLIGHT));
  const lane = async (w: number): Promise<void> => {
    for (let i = 0; i < perLane && w + i * IN_FLIGHT < CHANGES; i++) {
      const k = w + (i % keysPerLane) * IN_FLIGHT;
      const revision = Math.floor(i / keysPerLane) + 1;
      const started = performance.now();
      await write(k, revision);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
    }
  };
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => lane(w)));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const run = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, p50Us: histogram.getValueAtPercentile(50), p99Us: histogram.getValueAtPercentile(99) };
  histogram.destroy();
  return run;
}

async function cumuloRun(dir: string): Promise<Run> {
  const store = await openLmdbStore({ path: dir });
  for (let shard = 0; shard < SHARDS; shard++) await store.acquireShard(shard, 'bench');
  const run = await drive(async (k, revision) => {
    const result = await store.persist(key(k), record(k, revision), { shard: k % SHARDS, expectedRevision: revision - 1 });
    if (!result.ok) throw new Error(`${key(k)}: ${result.error.code} ${result.error.message}`);
  });
  if (store.load<InstanceState>(key(0))?.state.n === undefined) throw new Error('nothing stored');
  await store.close();
  return run;
}

async function rawRun(dir: string): Promise<Run> {
  const env = open({ path: join(dir, 'raw.mdb'), maxDbs: 4 });
  const db = env.openDB<StoredRecord<InstanceState>, string>({ name: 'records', ...RECORD_ENCODING });
  const run = await drive(async (k, revision) => {
    await db.put(key(k), record(k, revision));
  });
  await env.close();
  return run;
}

async function measure(name: string, body: (dir: string) => Promise<Run>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `cumulo-bench-${name}-`));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const medianRun = (runs: Run[]): Run => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)] as Run;

async function main(): Promise<void> {
  // Warm both paths (JIT, page cache), then alternate so drift hits both sides alike.
  await measure('warm-raw', rawRun);
  await measure('warm-cumulo', cumuloRun);
  const raw: Run[] = [];
  const cumulo: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first, so neither always inherits the other's leftovers.
    if (round % 2 === 0) {
      raw.push(await measure('raw', rawRun));
      cumulo.push(await measure('cumulo', cumuloRun));
    } else {
      cumulo.push(await measure('cumulo', cumuloRun));
      raw.push(await measure('raw', rawRun));
    }
    const [r, c] = [raw.at(-1), cumulo.at(-1)] as [Run, Run];
    console.log(`round ${round + 1}: raw ${(CHANGES / r.seconds).toFixed(0)}/s, cumulo ${(CHANGES / c.seconds).toFixed(0)}/s, ratio ${(c.seconds / r.seconds).toFixed(3)}`);
  }
  // Rounds are paired (raw and cumulo back to back): the median of the paired ratios is the
  // figure least moved by other load on the machine.
  const ratios = cumulo.map((c, i) => c.seconds / (raw[i] as Run).seconds);
  const ratio = median(ratios);
  const r = medianRun(raw);
  const c = medianRun(cumulo);
  const result = {
    bench: 'store',
    ratio: Number(ratio.toFixed(3)),
    goal: 1.3,
    met: ratio <= 1.3,
    round_ratios: ratios.map((x) => Number(x.toFixed(3))),
    // CPU time ratio: less moved by other load on the machine than wall time, but it counts
    // the write thread's work that wall time overlaps with the main thread's.
    cpu_ratio: Number(median(cumulo.map((c, i) => c.cpuSeconds / (raw[i] as Run).cpuSeconds)).toFixed(3)),
    cumulo_per_s: Math.round(CHANGES / c.seconds),
    raw_per_s: Math.round(CHANGES / r.seconds),
    changes: CHANGES,
    in_flight: IN_FLIGHT,
    keys: KEYS,
    rounds: ROUNDS,
    cumulo_ack_p50_us: c.p50Us,
    cumulo_ack_p99_us: c.p99Us,
    raw_ack_p50_us: r.p50Us,
    raw_ack_p99_us: r.p99Us,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
