// Proves that an acknowledged persist survives kill -9: a child process applies state changes and
// acknowledges each to the parent; the parent kills it with SIGKILL at a random point, restarts
// it, and checks that every acknowledged change is there. At least 20 kills in the suite.
// The random points come from a seeded generator, so a failure can be replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../../supervision/backoff.js';
import { openLmdbStore } from '../../supervision/lmdb-store.js';
import type { Counter } from '../fixtures/durable-writer.js';

const WRITER = fileURLToPath(new URL('../fixtures/durable-writer.js', import.meta.url));
const KEYS = 48;
const SHARDS = 4;
const KILLS = 24;
const SEED = Number(process.env.DURABILITY_SEED ?? 20261125);

interface Run {
  /** Acknowledgements the child made before it died, including those still in the pipe. */
  readonly acks: number;
  readonly signal: NodeJS.Signals | null;
}

/** Starts the writer and SIGKILLs it once it has acknowledged `killAfter` changes. */
function runUntilKilled(dir: string, killAfter: number, acked: Map<string, number>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, 'write', dir, String(KEYS), String(SHARDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acks = 0;
    let ready = false;
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      if (!killed) killed = child.kill('SIGKILL');
    };
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, key, n] = line.split(' ');
      if (word === 'ready') {
        ready = true;
        if (killAfter === 0) kill();
        return;
      }
      if (word !== 'ack' || key === undefined || n === undefined) return reject(new Error(`unexpected line: ${line}`));
      acks++;
      acked.set(key, Math.max(acked.get(key) ?? 0, Number(n)));
      if (acks >= killAfter) kill();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (!killed) reject(new Error(`writer exited on its own (code ${String(code)}, ready: ${ready}, acks: ${acks}): ${stderr}`));
      else resolve({ acks, signal });
    });
  });
}

void test('every acknowledged change survives SIGKILL of the writer, over 24 kills at random points', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-kill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const next = seededRandom(SEED);
  const acked = new Map<string, number>();
  let totalAcks = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    // Mostly mid-stream, sometimes right at start-up (0 acks), sometimes after a long run.
    const roll = next();
    const killAfter = roll < 0.1 ? 0 : roll < 0.85 ? 1 + Math.floor(next() * 300) : 300 + Math.floor(next() * 2000);
    const run = await runUntilKilled(dir, killAfter, acked);
    assert.equal(run.signal, 'SIGKILL', `kill ${kill}`);
    totalAcks += run.acks;

    // The parent opens the store after the child died and checks every acknowledged change.
    const store = await openLmdbStore({ path: dir });
    try {
      for (const [key, n] of acked) {
        const record = store.load<Counter>(key);
        assert.ok(record !== undefined, `kill ${kill} (seed ${SEED}): ${key} acknowledged at ${n} is missing`);
        assert.ok(record.state.n >= n, `kill ${kill} (seed ${SEED}): ${key} acknowledged at ${n}, stored ${record.state.n}`);
        assert.equal(record.revision, record.state.n, `${key}: revision and state moved together`);
      }
      for (let shard = 0; shard < SHARDS; shard++) assert.equal(store.shardEpoch(shard), kill, 'each restart took the shards once');
    } finally {
      await store.close();
    }
  }
  assert.ok(totalAcks > KILLS * 50, `the writer made progress (${totalAcks} acks)`);
  assert.ok(acked.size === KEYS, 'every key was acknowledged at least once');
});
