// The worker pool: a task's reply comes back as a value; a task that throws, a thread that exits
// or dies of an uncaught error, and a closed pool each come back as an error value with its code
// (never a rejection), and the pool replaces a dead thread so the next tasks run. Buffers a view
// owns whole are moved to the worker, not copied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { WorkerPool, ownsBuffer } from '../../workers/index.js';

const FAULTY = new URL('./faulty-tasks.js', import.meta.url).href;

function makePool(t: { after: (fn: () => Promise<void>) => void }, threads = 2): WorkerPool {
  const pool = new WorkerPool({ threads });
  t.after(() => pool.close());
  return pool;
}

void test('a task that throws answers WORKER_TASK_FAILED with its message', async (t) => {
  const pool = makePool(t);
  const wrapped = await pool.run('throws', { message: 'bad input here' }, { filename: FAULTY });
  assert.ok(!wrapped.ok);
  assert.equal(wrapped.error.code, 'WORKER_TASK_FAILED');
  assert.equal(wrapped.error.status, 500);
  assert.match(wrapped.error.message, /bad input here/);
  const raw = await pool.run('rawThrow', {}, { filename: FAULTY });
  assert.ok(!raw.ok);
  assert.equal(raw.error.code, 'WORKER_TASK_FAILED');
  assert.match(raw.error.message, /past the reply boundary/);
});

void test('a thread that exits or dies of an uncaught error answers WORKER_DIED and is replaced', async (t) => {
  const pool = makePool(t, 1);
  const first = await pool.run<number>('whoAmI', {}, { filename: FAULTY });
  assert.ok(first.ok);
  const exited = await pool.run('exits', {}, { filename: FAULTY });
  assert.ok(!exited.ok);
  assert.equal(exited.error.code, 'WORKER_DIED');
  assert.equal(exited.error.retryable, true);
  const second = await pool.run<number>('whoAmI', {}, { filename: FAULTY });
  assert.ok(second.ok, 'the pool runs tasks again after a thread exited');
  assert.notEqual(second.value, first.value, 'on a new thread');
  const crashed = await pool.run('uncaught', {}, { filename: FAULTY });
  assert.ok(!crashed.ok);
  assert.equal(crashed.error.code, 'WORKER_DIED');
  const third = await pool.run<number>('whoAmI', {}, { filename: FAULTY });
  assert.ok(third.ok);
  assert.notEqual(third.value, second.value);
  assert.equal(pool.threads, 1);
});

void test('tasks run on as many threads as configured', async (t) => {
  const pool = makePool(t, 2);
  const a = new MessageChannel();
  const b = new MessageChannel();
  const started = [a, b].map((c) => once(c.port1, 'message'));
  const runs = [a, b].map((c) => pool.run<number>('hold', { port: c.port2 }, { filename: FAULTY, transfer: [c.port2] }));
  // Both hold a thread at once: released, they answer two different thread ids.
  await Promise.all(started);
  a.port1.postMessage('go');
  b.port1.postMessage('go');
  const ids = (await Promise.all(runs)).map((r) => {
    assert.ok(r.ok);
    return r.value;
  });
  assert.equal(new Set(ids).size, 2);
  a.port1.close();
  b.port1.close();
});

void test('hashBytes moves a buffer it owns whole and copies a slice of a shared one', async (t) => {
  const pool = makePool(t);
  const owned = new Uint8Array(4 * 1024 * 1024).fill(7);
  const expected = createHash('sha512').update(owned).digest('hex');
  assert.ok(ownsBuffer(owned));
  const moved = await pool.hashBytes(owned, ['sha512']);
  assert.ok(moved.ok);
  assert.equal(moved.value.digests.sha512, expected);
  assert.equal(owned.byteLength, 0, 'the buffer was transferred (detached here), not copied');
  const big = Buffer.alloc(1024, 1);
  const slice = big.subarray(16, 48);
  assert.ok(!ownsBuffer(slice));
  const copied = await pool.hashBytes(slice, ['md5']);
  assert.ok(copied.ok);
  assert.equal(copied.value.digests.md5, createHash('md5').update(slice).digest('hex'));
  assert.equal(big.byteLength, 1024, 'a slice is copied: its buffer stays usable');
});

void test('a closed pool answers WORKER_POOL_CLOSED', async (t) => {
  const pool = makePool(t);
  await pool.close();
  const r = await pool.run('whoAmI', {}, { filename: FAULTY });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'WORKER_POOL_CLOSED');
  const missing = await new WorkerPool({ threads: 1 }).close().then(() => 'closed');
  assert.equal(missing, 'closed');
});

void test('the benchmark tasks: echo answers its input, touch gets a moved 1 MiB buffer and answers its length', async (t) => {
  const pool = makePool(t);
  assert.deepEqual(await pool.run('echo', { n: 7, s: 'x' }), { ok: true, value: { n: 7, s: 'x' } });
  const bytes = new Uint8Array(1024 * 1024);
  const touched = await pool.run<number>('touch', { bytes }, { transfer: [bytes.buffer] });
  assert.deepEqual(touched, { ok: true, value: 1024 * 1024 });
  assert.equal(bytes.byteLength, 0, 'moved, not copied: the sender lost it');
});
