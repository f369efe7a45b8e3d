// Failed uploads never leave an image half-active: a body that fails, bytes over the storage
// quota or the size cap, bytes that are not the declared format (garbage or a cut-off qcow2, a
// qcow2 declared raw) put the image back to queued (and it can be uploaded again); a failure on
// the server's side (the worker pool gone) kills it. In every case no staged file is left, no
// blob is stored, and the index lists the same status as the image. Quotas hold under racing
// creates and uploads: image count, concurrent uploads, stored bytes (exact at commit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage, WorkerPool } from '../../workers/index.js';
import { noise } from '../workers/image-fixtures.js';
import { alice, bodyOf, code, eventually, failingBody, setup, tempDataDir, uploaded, type Fixture } from './image-fixture.js';

const KiB = 1024;

async function statusOf(f: Fixture, id: string): Promise<string> {
  const shown = await f.service.show(alice, id);
  assert.ok(shown.ok);
  const listed = await f.service.list(alice, { ids: [id] });
  assert.ok(listed.ok);
  assert.equal(listed.value.images[0]?.status, shown.value.status, 'the index agrees with the image');
  assert.deepEqual(readdirSync(f.service.store.staging), [], 'no staged file left');
  return shown.value.status;
}

void test('client-side failures leave the image queued, re-uploadable, with nothing stored', async (t) => {
  const f = setup(t, { maxImageBytes: 3 * 1024 * KiB });
  const dir = tempDataDir(t);
  const qcow2 = join(dir, 'good.qcow2');
  writeImage(qcow2, 'qcow2', 8 * 1024 * KiB, [{ kind: 'data', offset: 0, bytes: noise(1, 64 * KiB) }]);
  const qcow2Bytes = readFileSync(qcow2);
  const cases: ReadonlyArray<[string, 'raw' | 'qcow2', AsyncIterable<Uint8Array>, string]> = [
    ['a body that fails', 'raw', failingBody(noise(2, 1500 * KiB), noise(3, 10)), 'IMAGE_UPLOAD_ABORTED'],
    ['over the size cap', 'raw', bodyOf(noise(4, 2 * 1024 * KiB), noise(5, 2 * 1024 * KiB)), 'IMAGE_TOO_BIG'],
    ['garbage declared qcow2', 'qcow2', bodyOf(noise(6, 100 * KiB)), 'IMAGE_FORMAT_MISMATCH'],
    ['a cut-off qcow2', 'qcow2', bodyOf(qcow2Bytes.subarray(0, qcow2Bytes.length - 4096)), 'IMAGE_TRUNCATED'],
    ['a qcow2 declared raw', 'raw', bodyOf(qcow2Bytes), 'IMAGE_FORMAT_MISMATCH'],
    ['a qcow2 with a backing file', 'qcow2', bodyOf(Buffer.concat([qcow2Bytes.subarray(0, 8), Buffer.from([0, 0, 0, 0, 0, 0, 2, 0]), qcow2Bytes.subarray(16)])), 'IMAGE_UNSUPPORTED'],
  ];
  for (const [name, diskFormat, body, expected] of cases) {
    const created = await f.service.create(alice, { name, diskFormat, containerFormat: 'bare' });
    assert.ok(created.ok);
    const r = await f.service.upload({ caller: alice, imageId: created.value.id, body });
    assert.equal(code(r), expected, name);
    assert.equal(await statusOf(f, created.value.id), 'queued', name);
    const shown = await f.service.show(alice, created.value.id);
    assert.ok(shown.ok && shown.value.size === null && shown.value.checksum === null, name);
  }
  const blobs = readdirSync(f.service.store.blobs);
  assert.deepEqual(blobs, [], 'no blob stored by a failed upload');
  // A queued image takes a good upload afterwards; a declared qcow2 gets its virtual size.
  const retry = await f.service.create(alice, { name: 'retry', diskFormat: 'qcow2', containerFormat: 'bare' });
  assert.ok(retry.ok);
  assert.equal(code(await f.service.upload({ caller: alice, imageId: retry.value.id, body: failingBody(qcow2Bytes.subarray(0, 1000)) })), 'IMAGE_UPLOAD_ABORTED');
  const ok = await f.service.upload({ caller: alice, imageId: retry.value.id, body: bodyOf(qcow2Bytes) });
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.deepEqual([ok.value.status, ok.value.size, ok.value.virtualSize], ['active', qcow2Bytes.length, 8 * 1024 * KiB]);
});

void test('a server-side failure kills the image', async (t) => {
  const pool = new WorkerPool({ threads: 1 });
  const f = setup(t, { pool });
  const created = await f.service.create(alice, { name: 'doomed', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(created.ok);
  await pool.close();
  const r = await f.service.upload({ caller: alice, imageId: created.value.id, body: bodyOf(noise(1, 10 * KiB)) });
  assert.equal(code(r), 'WORKER_POOL_CLOSED');
  assert.equal(await statusOf(f, created.value.id), 'killed');
  assert.equal(code(await f.service.upload({ caller: alice, imageId: created.value.id, body: bodyOf(noise(1, 10)) })), 'IMAGE_INVALID_STATE');
  assert.ok((await f.service.delete(alice, created.value.id)).ok, 'a killed image can be deleted');
});

void test('storage quota: refused while streaming, and exact when two uploads race to the last bytes', async (t) => {
  const f = setup(t, { limits: { imageCount: 100, uploading: 100, storageBytes: 1024 * KiB } });
  await uploaded(f, alice, noise(1, 300 * KiB));
  const big = await f.service.create(alice, { name: 'big', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(big.ok);
  const over = await f.service.upload({ caller: alice, imageId: big.value.id, body: bodyOf(noise(2, 400 * KiB), noise(3, 400 * KiB)) });
  assert.equal(code(over), 'IMAGE_QUOTA_EXCEEDED');
  assert.equal(!over.ok && over.error.status, 413);
  assert.equal(await statusOf(f, big.value.id), 'queued');
  // 724 KiB left: two uploads of 500 KiB each pass the streaming check; only one may commit.
  const a = await f.service.create(alice, { name: 'a', diskFormat: 'raw', containerFormat: 'bare' });
  const b = await f.service.create(alice, { name: 'b', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(a.ok && b.ok);
  const results = await Promise.all([a, b].map((c, i) => f.service.upload({ caller: alice, imageId: c.value.id, body: bodyOf(noise(10 + i, 500 * KiB)) })));
  assert.deepEqual(results.map(code).sort(), ['IMAGE_QUOTA_EXCEEDED', 'ok']);
  const usage = await f.service.usage(alice, 'project-a');
  assert.ok(usage.ok);
  assert.deepEqual(usage.value.usage, { imageCount: 4, uploading: 0, storageBytes: 800 * KiB });
  const statuses = [await statusOf(f, a.value.id), await statusOf(f, b.value.id)].sort();
  assert.deepEqual(statuses, ['active', 'queued']);
});

void test('image count and concurrent upload quotas hold under racing requests', async (t) => {
  const f = setup(t, { limits: { imageCount: 3, uploading: 1, storageBytes: -1 } });
  const creates = await Promise.all(Array.from({ length: 10 }, (_, i) => f.service.create(alice, { name: `c${i}`, diskFormat: 'raw', containerFormat: 'bare' })));
  assert.equal(creates.filter((r) => r.ok).length, 3);
  assert.ok(creates.filter((r) => !r.ok).every((r) => code(r) === 'IMAGE_QUOTA_EXCEEDED'));
  const [one, two] = creates.filter((r) => r.ok).map((r) => (r as { value: { id: string } }).value.id);
  // The first upload holds its slot until its body ends.
  let release!: () => void;
  let pulled!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (pulled = r));
  async function* slow(): AsyncGenerator<Uint8Array> {
    yield noise(1, 1000);
    pulled();
    await gate;
    yield noise(2, 1000);
  }
  const first = f.service.upload({ caller: alice, imageId: one!, body: slow() });
  await started;
  assert.equal(code(await f.service.upload({ caller: alice, imageId: two!, body: bodyOf(noise(3, 10)) })), 'IMAGE_QUOTA_EXCEEDED');
  release();
  assert.ok((await first).ok);
  assert.ok((await f.service.upload({ caller: alice, imageId: two!, body: bodyOf(noise(3, 10)) })).ok);
});

void test('an upload whose process died is killed when the image is next used or its watch fires', async (t) => {
  const dataDir = tempDataDir(t);
  const first = setup(t, { dataDir });
  const ids: string[] = [];
  let release!: (e: Error) => void;
  const gate = new Promise<void>((_, reject) => (release = reject));
  gate.catch(() => undefined);
  const started: Array<Promise<void>> = [];
  const uploads: Array<Promise<unknown>> = [];
  for (let i = 0; i < 2; i++) {
    const created = await first.service.create(alice, { name: `crash-${i}`, diskFormat: 'raw', containerFormat: 'bare' });
    assert.ok(created.ok);
    ids.push(created.value.id);
    let pulled!: () => void;
    started.push(new Promise<void>((r) => (pulled = r)));
    async function* hanging(): AsyncGenerator<Uint8Array> {
      yield noise(1, 1000);
      pulled();
      await gate;
    }
    uploads.push(first.service.upload({ caller: alice, imageId: created.value.id, body: hanging() }));
  }
  await Promise.all(started);
  // The process "dies": its system stops mid-upload; a new one starts over the same store.
  await first.system.stop();
  const second = setup(t, { store: first.store, dataDir });
  assert.deepEqual(readdirSync(second.service.store.staging), [], 'the new process removed the staged files');
  assert.equal(await statusOf(second, ids[0]!), 'killed', 'reaped when first used');
  second.clock.advance(61_000);
  await second.clock.advanceAsync(1);
  const stored = (): string | undefined => (second.store.load(`image/${ids[1]}`)?.state as { record: { status: string } } | undefined)?.record.status;
  await eventually(() => stored() === 'killed');
  assert.equal(stored(), 'killed', 'reaped by its watch, unasked');
  release(new Error('the old process is gone'));
  await Promise.allSettled(uploads);
});
