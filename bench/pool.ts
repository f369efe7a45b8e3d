// The worker pool's cost per task over a bare worker_threads round trip, in the same run: tasks
// per second of a trivial task and of a 1 MiB buffer task (the buffer transferred, not copied)
// through our WorkerPool on 2 threads, versus 2 bare workers answering postMessage with the same
// payloads, each with one task in flight as Piscina runs them (one task per thread at a time). Rounds alternate who goes first;
// ratio = our time per task ÷ the bare time per task (median of rounds; the worse of the two
// payloads). Goal: ratio <= 1.5. CPU time of the whole process (all threads) is printed beside:
// on a loaded machine the wall figures mostly measure the scheduler.
//   npx tsc -p . && node dist/bench/pool.js [tasks] [rounds] [in-flight]
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { WorkerPool, type TouchInput } from '../workers/index.js';

const TASKS = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 11);
const THREADS = 2;
const MIB = 1024 * 1024;
/**
 * Tasks outstanding at the pool: two per thread, so a thread that finishes finds the next task in
 * Piscina's queue (as when actors await the pool). The bare side has one per worker. With many
 * more (64), 64 MiB of buffers in flight cost the pool page faults and GC the bare side never pays.
 */
const IN_FLIGHT = Number(process.argv[4] ?? 2 * THREADS);

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

type Payload = 'trivial' | 'buffer';

/** The bare anchor's worker: the same answers as the pool's echo and touch tasks. */
const BARE_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.bytes !== undefined) parentPort.postMessage({ id: m.id, value: m.bytes.byteLength });
  else parentPort.postMessage({ id: m.id, value: m.input });
});
`;

interface BareReply {
  readonly id: number;
  readonly value: unknown;
}

/** Two bare workers, each answering one message at a time; runs n tasks, answers the ms taken. */
async function bareRun(workers: readonly Worker[], payload: Payload, n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const lane = (w: Worker): Promise<void> =>
    new Promise((resolve, reject) => {
      const send = (): void => {
        if (next >= n) {
          w.off('message', onMessage);
          resolve();
          return;
        }
        const id = next++;
        if (payload === 'trivial') w.postMessage({ id, input: { n: id } });
        else {
          const bytes = new Uint8Array(MIB);
          w.postMessage({ id, bytes }, [bytes.buffer]);
        }
      };
      const onMessage = (m: BareReply): void => {
        if (payload === 'buffer' && m.value !== MIB) reject(new Error('bare worker answered the wrong length'));
        send();
      };
      w.on('message', onMessage);
      send();
    });
  await Promise.all(workers.map(lane));
  return performance.now() - start;
}

/** The pool with IN_FLIGHT tasks outstanding; runs n tasks, answers the ms taken. */
async function poolRun(pool: WorkerPool, payload: Payload, n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const id = next++;
      if (payload === 'trivial') {
        const r = await pool.run('echo', { n: id });
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      } else {
        const bytes = new Uint8Array(MIB);
        const input: TouchInput = { bytes };
        const r = await pool.run<number>('touch', input, { transfer: [bytes.buffer] });
        if (!r.ok || r.value !== MIB) throw new Error('the pool answered the wrong length');
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return performance.now() - start;
}

/** Wall and CPU (all threads of the process) milliseconds of one run. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

async function timed(run: () => Promise<number>): Promise<Timing> {
  const before = process.cpuUsage();
  const wall = await run();
  const used = process.cpuUsage(before);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

async function main(): Promise<void> {
  const pool = new WorkerPool({ threads: THREADS });
  const workers = Array.from({ length: THREADS }, () => new Worker(BARE_WORKER, { eval: true }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    const figures: Record<Payload, { pool: Timing[]; bare: Timing[] }> = { trivial: { pool: [], bare: [] }, buffer: { pool: [], bare: [] } };
    const counts: Record<Payload, number> = { trivial: TASKS, buffer: Math.max(200, Math.floor(TASKS / 10)) };
    // Warm-up: JIT, thread start-up and Piscina's queues.
    for (const payload of ['trivial', 'buffer'] as const) {
      await poolRun(pool, payload, counts[payload] / 4);
      await bareRun(workers, payload, counts[payload] / 4);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const payload of ['trivial', 'buffer'] as const) {
        const n = counts[payload];
        const ours = () => timed(() => poolRun(pool, payload, n));
        const bare = () => timed(() => bareRun(workers, payload, n));
        if (round % 2 === 0) {
          figures[payload].pool.push(await ours());
          figures[payload].bare.push(await bare());
        } else {
          figures[payload].bare.push(await bare());
          figures[payload].pool.push(await ours());
        }
        const us = (ms: number): string => ((ms * 1000) / n).toFixed(2);
        const p = figures[payload].pool.at(-1)!;
        const b = figures[payload].bare.at(-1)!;
        console.log(`round ${round + 1} ${payload}: pool ${us(p.wall)} µs/task (CPU ${us(p.cpu)}), bare ${us(b.wall)} µs/task (CPU ${us(b.cpu)})`);
      }
    }
    const summary = (payload: Payload) => {
      const n = counts[payload];
      const { pool: ours, bare } = figures[payload];
      const ratios = ours.map((p, i) => p.wall / bare[i]!.wall);
      const cpuRatios = ours.map((p, i) => p.cpu / bare[i]!.cpu);
      const h = hdr.build();
      for (const t of ours) h.recordValue(Math.round((t.wall * 1e6) / n));
      const poolMs = median(ours.map((t) => t.wall));
      const bareMs = median(bare.map((t) => t.wall));
      return {
        ratio: Number(median(ratios).toFixed(3)),
        round_ratios: ratios.map((r) => Number(r.toFixed(3))),
        cpu_ratio: Number(median(cpuRatios).toFixed(3)),
        pool_cpu_us_per_task: Number(((median(ours.map((t) => t.cpu)) * 1000) / n).toFixed(2)),
        bare_cpu_us_per_task: Number(((median(bare.map((t) => t.cpu)) * 1000) / n).toFixed(2)),
        tasks: n,
        pool_tasks_per_s: Math.round(n / (poolMs / 1000)),
        bare_tasks_per_s: Math.round(n / (bareMs / 1000)),
        pool_us_per_task: Number(((poolMs * 1000) / n).toFixed(2)),
        pool_p90_ns_per_task: h.getValueAtPercentile(90),
        bare_us_per_task: Number(((bareMs * 1000) / n).toFixed(2)),
      };
    };
    const trivial = summary('trivial');
    const buffer = summary('buffer');
    const ratio = Math.max(trivial.ratio, buffer.ratio);
    const result = { bench: 'pool', ratio, goal: 1.5, met: ratio <= 1.5, threads: THREADS, in_flight: IN_FLIGHT, rounds: ROUNDS, load_average: Number(loadavg()[0]!.toFixed(2)), trivial, buffer_1mib: buffer };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await pool.close();
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

await main();
