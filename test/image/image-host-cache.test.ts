// A compute host's copy of an image: fetched once per host and content, in the format its driver
// wants, converted in the pool (a qcow2 image becomes the raw bytes qemu-img gives; a raw image
// becomes a qcow2 that passes qemu-img check), served from the cache afterwards; concurrent
// fetches share one conversion; a caller who may not see the image gets IMAGE_NOT_FOUND; images
// without data or in formats cumulo cannot convert are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImage } from '../../workers/index.js';
import { noise, qemuImg } from '../workers/image-fixtures.js';
import { alice, bob, bodyOf, code, setup, tempDataDir, uploaded } from './image-fixture.js';

const MiB = 1024 * 1024;

void test('a qcow2 image is converted to raw once per host and then served from the cache', async (t) => {
  const f = setup(t);
  const dir = tempDataDir(t);
  const source = join(dir, 'source.qcow2');
  writeImage(source, 'qcow2', 16 * MiB, [
    { kind: 'data', offset: 0, bytes: noise(1, 200_000) },
    { kind: 'data', offset: 9 * MiB, bytes: noise(2, 70_000) },
  ]);
  const image = await uploaded(f, alice, readFileSync(source), { diskFormat: 'qcow2', visibility: 'private' });
  assert.equal(image.virtualSize, 16 * MiB);
  const fetches = await Promise.all([1, 2, 3].map(() => f.service.fetchForHost({ caller: alice, imageId: image.id, hostId: 'host-1', format: 'raw' })));
  assert.ok(fetches.every((r) => r.ok));
  assert.equal(f.service.hostCopies, 1, 'three concurrent fetches, one conversion');
  const first = fetches[0]!;
  assert.ok(first.ok);
  const reference = join(dir, 'qemu.raw');
  qemuImg('convert', '-f', 'qcow2', '-O', 'raw', source, reference);
  assert.ok(readFileSync(first.value.path).equals(readFileSync(reference)));
  const again = await f.service.fetchForHost({ caller: alice, imageId: image.id, hostId: 'host-1', format: 'raw' });
  assert.ok(again.ok);
  assert.deepEqual([again.value.fetched, again.value.path, f.service.hostCopies], [false, first.value.path, 1]);
  // Another host makes its own copy; the same format is a link, not a conversion.
  const other = await f.service.fetchForHost({ caller: alice, imageId: image.id, hostId: 'host-2', format: 'qcow2' });
  assert.ok(other.ok && other.value.fetched);
  assert.ok(readFileSync(other.value.path).equals(readFileSync(source)));
  assert.equal(f.service.hostCopies, 2);
  assert.equal(code(await f.service.fetchForHost({ caller: bob, imageId: image.id, hostId: 'host-1', format: 'raw' })), 'IMAGE_NOT_FOUND');
});

void test('a raw image becomes a qcow2 that qemu-img checks and reads back', async (t) => {
  const f = setup(t);
  const data = Buffer.concat([noise(3, 300_000), Buffer.alloc(MiB), noise(4, 1000)]);
  const image = await uploaded(f, alice, data);
  const r = await f.service.fetchForHost({ caller: alice, imageId: image.id, hostId: 'host-9', format: 'qcow2' });
  assert.ok(r.ok);
  qemuImg('check', r.value.path);
  const back = join(tempDataDir(t), 'back.raw');
  qemuImg('convert', '-f', 'qcow2', '-O', 'raw', r.value.path, back);
  const padded = Buffer.concat([data, Buffer.alloc(Math.ceil(data.length / 512) * 512 - data.length)]);
  assert.ok(readFileSync(back).equals(padded));
});

void test('no data, unconvertible formats and bad host ids are refused', async (t) => {
  const f = setup(t);
  const queued = await f.service.create(alice, { name: 'q', diskFormat: 'raw', containerFormat: 'bare' });
  assert.ok(queued.ok);
  assert.equal(code(await f.service.fetchForHost({ caller: alice, imageId: queued.value.id, hostId: 'h', format: 'raw' })), 'IMAGE_INVALID_STATE');
  const iso = await f.service.create(alice, { name: 'iso', diskFormat: 'iso', containerFormat: 'bare' });
  assert.ok(iso.ok);
  assert.ok((await f.service.upload({ caller: alice, imageId: iso.value.id, body: bodyOf(noise(5, 4096)) })).ok);
  assert.equal(code(await f.service.fetchForHost({ caller: alice, imageId: iso.value.id, hostId: 'h', format: 'qcow2' })), 'IMAGE_CONVERSION_UNSUPPORTED');
  const raw = await uploaded(f, alice, noise(6, 100));
  assert.equal(code(await f.service.fetchForHost({ caller: alice, imageId: raw.id, hostId: '../escape', format: 'raw' })), 'BAD_REQUEST');
});
