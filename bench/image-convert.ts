// Disk image conversion through the worker pool versus `qemu-img convert` (default settings),
// on the same 1 GiB image in the same run: raw → qcow2, then qcow2 → raw from one qcow2 (the one
// qemu-img wrote) for both sides. The image is half zeros, half random data, in 64 KiB blocks
// placed at random (seeded); the source is a plain file (zeros written, not holes), hot in the
// page cache for both sides. qemu-img does not fsync its output at the end, so the ratio compares
// ours without the final fdatasync too; ours with it is reported beside. Goal: ratio <= 1.0.
//   npx tsc -p . && node dist/bench/image-convert.js [MiB] [rounds]
import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { WorkerPool, type ConvertInput } from '../workers/index.js';

const MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 9);
const BLOCK = 64 * 1024;
const run = promisify(execFile);

/** Half the blocks random, half zero, shuffled with a seeded generator. */
function writeSource(path: string): void {
  const blocks = (MIB * 1024 * 1024) / BLOCK;
  const random = Array.from({ length: blocks }, (_, i) => i < blocks / 2);
  let x = 0x2545f491;
  for (let i = blocks - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [random[i], random[j]] = [random[j]!, random[i]!];
  }
  const chunk = Buffer.alloc(64 * BLOCK);
  const fd = openSync(path, 'w');
  for (let b = 0; b < blocks; b += 64) {
    chunk.fill(0);
    for (let k = 0; k < 64; k++) if (random[b + k]) randomFillSync(chunk, k * BLOCK, BLOCK);
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

interface Timing {
  readonly ms: number;
  /** CPU time (user + system, all threads) spent on the work. */
  readonly cpuMs: number;
}

/** Flushes the previous run's dirty pages first, so their writeback does not land in this run. */
async function timed(body: () => Promise<number | void>): Promise<Timing> {
  await run('sync');
  const started = performance.now();
  const cpu = process.cpuUsage();
  const childCpu = await body();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: typeof childCpu === 'number' ? childCpu : (used.user + used.system) / 1000 };
}

/** Runs qemu-img under bash's `time`: its CPU time (user + system) in ms. */
async function qemuImg(args: readonly string[]): Promise<number> {
  const { stderr } = await run('bash', ['-c', 'TIMEFORMAT="%3U %3S"; time qemu-img "$@" >/dev/null', 'qemu-img', ...args]);
  const [user, sys] = stderr.trim().split(/\s+/).slice(-2).map(Number);
  return ((user ?? 0) + (sys ?? 0)) * 1000;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-bench-convert-'));
  const pool = new WorkerPool();
  try {
    const source = join(dir, 'source.raw');
    writeSource(source);
    const qemuQcow2 = join(dir, 'qemu.qcow2');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, qemuQcow2]);
    const ours = async (input: ConvertInput): Promise<void> => {
      const r = await pool.convert(input);
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    };
    const sides = {
      toQcow2: {
        cumulo: () => ours({ source, sourceFormat: 'raw', target: join(dir, 'out.qcow2'), targetFormat: 'qcow2', sync: false }),
        synced: () => ours({ source, sourceFormat: 'raw', target: join(dir, 'out.qcow2'), targetFormat: 'qcow2' }),
        qemu: () => qemuImg(['convert', '-f', 'raw', '-O', 'qcow2', source, join(dir, 'out.qcow2')]),
      },
      toRaw: {
        cumulo: () => ours({ source: qemuQcow2, sourceFormat: 'qcow2', target: join(dir, 'out.raw'), targetFormat: 'raw', sync: false }),
        synced: () => ours({ source: qemuQcow2, sourceFormat: 'qcow2', target: join(dir, 'out.raw'), targetFormat: 'raw' }),
        qemu: () => qemuImg(['convert', '-f', 'qcow2', '-O', 'raw', qemuQcow2, join(dir, 'out.raw')]),
      },
    };
    const clean = (): void => {
      rmSync(join(dir, 'out.qcow2'), { force: true });
      rmSync(join(dir, 'out.raw'), { force: true });
    };
    // Warm both (JIT, page cache of the sources).
    for (const s of Object.values(sides)) {
      await s.cumulo();
      await s.qemu();
      clean();
    }
    type Figures = { cumulo: Timing[]; qemu: Timing[]; synced: Timing[] };
    const figures: Record<string, Figures> = { toQcow2: { cumulo: [], qemu: [], synced: [] }, toRaw: { cumulo: [], qemu: [], synced: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of Object.entries(sides)) {
        const f = figures[name]!;
        // Alternate who goes first, so neither always inherits the other's dirty pages.
        const order = round % 2 === 0 ? (['qemu', 'cumulo'] as const) : (['cumulo', 'qemu'] as const);
        for (const who of order) {
          f[who].push(await timed(s[who]));
          clean();
        }
        f.synced.push(await timed(s.synced));
        clean();
        const [c, q, y] = [f.cumulo.at(-1)!, f.qemu.at(-1)!, f.synced.at(-1)!];
        console.log(`round ${round + 1} ${name}: cumulo ${c.ms.toFixed(0)} ms (cpu ${c.cpuMs.toFixed(0)}; synced ${y.ms.toFixed(0)}), qemu-img ${q.ms.toFixed(0)} ms (cpu ${q.cpuMs.toFixed(0)})`);
      }
    }
    const summary = (f: Figures) => {
      const ratios = f.cumulo.map((c, i) => c.ms / f.qemu[i]!.ms);
      const cpuRatios = f.cumulo.map((c, i) => c.cpuMs / Math.max(1, f.qemu[i]!.cpuMs));
      const h = hdr.build();
      for (const t of f.cumulo) h.recordValue(Math.round(t.ms));
      return {
        ratio: Number(median(ratios).toFixed(3)),
        round_ratios: ratios.map((r) => Number(r.toFixed(3))),
        // CPU time is less moved by other load on the machine than wall time.
        cpu_ratio: Number(median(cpuRatios).toFixed(3)),
        cumulo_ms: Math.round(median(f.cumulo.map((t) => t.ms))),
        cumulo_p90_ms: h.getValueAtPercentile(90),
        cumulo_cpu_ms: Math.round(median(f.cumulo.map((t) => t.cpuMs))),
        cumulo_synced_ms: Math.round(median(f.synced.map((t) => t.ms))),
        qemu_ms: Math.round(median(f.qemu.map((t) => t.ms))),
        qemu_cpu_ms: Math.round(median(f.qemu.map((t) => t.cpuMs))),
      };
    };
    const toQcow2 = summary(figures.toQcow2!);
    const toRaw = summary(figures.toRaw!);
    const ratio = Math.max(toQcow2.ratio, toRaw.ratio);
    const result = {
      bench: 'image-convert',
      ratio,
      goal: 1.0,
      met: ratio <= 1.0,
      raw_to_qcow2: toQcow2,
      qcow2_to_raw: toRaw,
      image_mib: MIB,
      rounds: ROUNDS,
      threads: pool.threads,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
