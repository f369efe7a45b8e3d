// A 1 GiB upload streams: the process's resident memory grows by less than 100 MiB while 1 GiB of
// generated data (no source file) goes through the service to the data store, hashed in the
// pool alongside. Memory is sampled as the body is pulled, so the peak during the upload is seen.
// (The digests' correctness is proven against md5sum/sha512sum in image-lifecycle.test.ts; here
// the stored blob must be the whole GiB under its sha512.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { alice, setup } from './image-fixture.js';

const MiB = 1024 * 1024;
const TOTAL = 1024 * MiB;

void test('a 1 GiB upload keeps resident memory growth under 100 MiB', async (t) => {
  const f = setup(t, { limits: { imageCount: 10, uploading: 10, storageBytes: -1 } });
  const created = await f.service.create(alice, { name: 'big', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(created.ok);
  // Warm the pool's threads and the code paths first, so their one-time cost is not counted.
  const warm = await f.service.create(alice, { name: 'warm', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(warm.ok);
  assert.ok((await f.service.upload({ caller: alice, imageId: warm.value.id, body: generated(4 * MiB, () => undefined) })).ok);
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const started = performance.now();
  const done = await f.service.upload({
    caller: alice,
    imageId: created.value.id,
    body: generated(TOTAL, () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }),
  });
  const seconds = (performance.now() - started) / 1000;
  assert.ok(done.ok, JSON.stringify(done));
  assert.equal(done.value.size, TOTAL);
  assert.match(done.value.checksum ?? '', /^[0-9a-f]{32}$/);
  assert.match(done.value.osHashValue ?? '', /^[0-9a-f]{128}$/);
  assert.equal(statSync(f.service.store.blobPath(done.value.osHashValue!)).size, TOTAL);
  const growth = (peak - baseline) / MiB;
  t.diagnostic(`1 GiB upload in ${seconds.toFixed(1)} s; RSS ${Math.round(baseline / MiB)} MiB → peak ${Math.round(peak / MiB)} MiB (+${growth.toFixed(1)} MiB)`);
  assert.ok(growth < 100, `RSS grew by ${growth.toFixed(1)} MiB`);
});

/** `total` bytes in 1 MiB chunks: a random block with the chunk number stamped in, made as pulled. */
async function* generated(total: number, seen: () => void): AsyncGenerator<Uint8Array> {
  const block = randomFillSync(Buffer.allocUnsafe(MiB));
  for (let n = 0; n * MiB < total; n++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32LE(n, 0);
    seen();
    yield chunk;
  }
}
