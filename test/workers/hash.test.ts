// Digests through the pool equal coreutils' md5sum and sha512sum of the same bytes: for a whole
// file, for a file followed while it is written (the writer announcing complete lengths), and for
// bytes in memory. A followed file that is abandoned, or shorter than announced, ends with a
// coded error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerPool } from '../../workers/index.js';
import { noise, tempDir } from './image-fixtures.js';

function coreutils(path: string): { md5: string; sha512: string } {
  const digest = (tool: string): string => execFileSync(tool, [path], { encoding: 'utf8' }).split(' ')[0]!;
  return { md5: digest('md5sum'), sha512: digest('sha512sum') };
}

function makePool(t: { after: (fn: () => Promise<void>) => void }): WorkerPool {
  const pool = new WorkerPool({ threads: 2 });
  t.after(() => pool.close());
  return pool;
}

void test('hashFile: md5 and sha512 equal md5sum and sha512sum', async (t) => {
  const dir = tempDir(t);
  const pool = makePool(t);
  for (const size of [0, 1, 1024 * 1024 - 1, 9 * 1024 * 1024 + 12345]) {
    const path = join(dir, `f${size}`);
    writeFileSync(path, noise(size + 1, size));
    const r = await pool.hashFile(path, ['md5', 'sha512']);
    assert.ok(r.ok);
    assert.deepEqual(r.value.digests, coreutils(path), `${size} bytes`);
    assert.equal(r.value.bytes, size);
  }
  const missing = await pool.hashFile(join(dir, 'missing'), ['md5']);
  assert.ok(!missing.ok);
  assert.equal(missing.error.code, 'IMAGE_IO');
});

void test('followFile: digests of a file hashed while it grows equal those of the finished file', async (t) => {
  const dir = tempDir(t);
  const pool = makePool(t);
  const path = join(dir, 'growing');
  writeFileSync(path, Buffer.alloc(0));
  const follower = pool.followFile(path, ['md5', 'sha512']);
  let length = 0;
  for (let i = 0; i < 40; i++) {
    const piece = noise(i + 7, 100_000 + i * 3001);
    appendFileSync(path, piece);
    length += piece.length;
    if (i % 3 === 0) follower.grow(length);
  }
  const r = await follower.end(length);
  assert.ok(r.ok);
  assert.deepEqual(r.value.digests, coreutils(path));
  assert.equal(r.value.bytes, length);
});

void test('followFile: an abandoned file or one shorter than announced is an error value', async (t) => {
  const dir = tempDir(t);
  const pool = makePool(t);
  const path = join(dir, 'short');
  writeFileSync(path, noise(1, 1000));
  const short = await pool.followFile(path, ['md5']).end(5000);
  assert.ok(!short.ok);
  assert.equal(short.error.code, 'IMAGE_TRUNCATED');
  const abandoned = pool.followFile(path, ['md5', 'sha512']);
  abandoned.grow(500);
  abandoned.abort();
  // The pool is free again: a new hash runs at once.
  const after = await pool.hashFile(path, ['sha512']);
  assert.ok(after.ok);
  assert.equal(after.value.digests.sha512, coreutils(path).sha512);
});

void test('hashBytes equals md5sum of the same bytes', async (t) => {
  const dir = tempDir(t);
  const pool = makePool(t);
  const bytes = noise(3, 3 * 1024 * 1024);
  const path = join(dir, 'bytes');
  writeFileSync(path, bytes);
  const r = await pool.hashBytes(Uint8Array.from(bytes), ['md5', 'sha512']);
  assert.ok(r.ok);
  assert.deepEqual(r.value.digests, coreutils(path));
});
