// md5 + sha512 of a 1 GiB file through the worker pool (each digest a task on its own thread,
// reading the file in 1 MiB chunks) versus coreutils `md5sum` and `sha512sum` run side by side,
// in the same run, on the same file hot in the page cache. Rounds alternate who goes first; the
// figure is the median of the paired ratios. Goal: ratio <= 1.0.
//   npx tsc -p . && node dist/bench/hash.js [MiB] [rounds] [chunkKiB]
import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import * as hdr from 'hdr-histogram-js';
import { WorkerPool } from '../workers/index.js';

const MIB = Number(process.argv[2] ?? 1024);
const ROUNDS = Number(process.argv[3] ?? 7);
const CHUNK = Number(process.argv[4] ?? 1024) * 1024;
const run = promisify(execFile);

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-bench-hash-'));
  const pool = new WorkerPool();
  try {
    const file = join(dir, 'data.bin');
    const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
    const fd = openSync(file, 'w');
    for (let i = 0; i < MIB / 16; i++) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);

    let digests = { md5: '', sha512: '' };
    const cumulo = async (): Promise<void> => {
      const r = await pool.hashFile(file, ['md5', 'sha512'], { chunkBytes: CHUNK });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      digests = { md5: r.value.digests.md5!, sha512: r.value.digests.sha512! };
    };
    let anchor = { md5: '', sha512: '' };
    const coreutils = async (): Promise<void> => {
      const [md5, sha512] = await Promise.all([run('md5sum', [file]), run('sha512sum', [file])]);
      anchor = { md5: md5.stdout.split(' ')[0]!, sha512: sha512.stdout.split(' ')[0]! };
    };
    await cumulo();
    await coreutils();
    if (digests.md5 !== anchor.md5 || digests.sha512 !== anchor.sha512) throw new Error('digests differ from md5sum/sha512sum');

    const times = { cumulo: [] as number[], coreutils: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['coreutils', 'cumulo'] as const) : (['cumulo', 'coreutils'] as const);
      for (const who of order) {
        const started = performance.now();
        await (who === 'cumulo' ? cumulo() : coreutils());
        times[who].push(performance.now() - started);
      }
      console.log(`round ${round + 1}: cumulo ${times.cumulo.at(-1)!.toFixed(0)} ms, md5sum+sha512sum ${times.coreutils.at(-1)!.toFixed(0)} ms`);
    }
    const ratios = times.cumulo.map((c, i) => c / times.coreutils[i]!);
    const ratio = median(ratios);
    const h = hdr.build();
    for (const ms of times.cumulo) h.recordValue(Math.round(ms));
    const result = {
      bench: 'hash',
      ratio: Number(ratio.toFixed(3)),
      goal: 1.0,
      met: ratio <= 1.0,
      round_ratios: ratios.map((r) => Number(r.toFixed(3))),
      cumulo_ms: Math.round(median(times.cumulo)),
      cumulo_p90_ms: h.getValueAtPercentile(90),
      coreutils_ms: Math.round(median(times.coreutils)),
      cumulo_mb_per_s: Math.round((MIB * 1.048576) / (median(times.cumulo) / 1000)),
      file_mib: MIB,
      chunk_kib: CHUNK / 1024,
      rounds: ROUNDS,
      threads: pool.threads,
      digests_match: true,
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
