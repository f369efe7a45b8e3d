// An image's life through the service: create (queued, Glance's defaults), upload (saving, then
// active with size, virtual size, md5 `checksum` and sha512 `os_hash_value` equal to md5sum and
// sha512sum of the data), download whole and by byte ranges, deactivate/reactivate (admins only;
// members may not download a deactivated image), delete (its blob file goes when no image holds
// it; identical uploads share one file), the transition rules, and the events in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRangeHeader } from '../../actors/image/index.js';
import { noise } from '../workers/image-fixtures.js';
import { admin, alice, bodyOf, code, readAll, setup, tempDataDir, uploaded } from './image-fixture.js';

void test('create, upload, show, download: Glance fields and digests equal to md5sum and sha512sum', async (t) => {
  const f = setup(t);
  const created = await f.service.create(alice, { name: 'ubuntu', diskFormat: 'raw', containerFormat: 'bare', tags: ['lts'], properties: { os_distro: 'ubuntu' } });
  assert.ok(created.ok);
  const image = created.value;
  assert.match(image.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(
    [image.status, image.visibility, image.owner, image.protected, image.size, image.checksum, image.osHashAlgo, image.minDisk],
    ['queued', 'shared', 'project-a', false, null, null, null, 0],
  );
  const data = Buffer.concat([noise(1, 3 * 1024 * 1024 + 17), Buffer.alloc(2 * 1024 * 1024)]);
  const done = await f.service.upload({ caller: alice, imageId: image.id, body: bodyOf(data.subarray(0, 100), data.subarray(100, 2_000_000), data.subarray(2_000_000)) });
  assert.ok(done.ok, JSON.stringify(done));
  const file = join(tempDataDir(t), 'data');
  writeFileSync(file, data);
  const md5 = execFileSync('md5sum', [file], { encoding: 'utf8' }).split(' ')[0];
  const sha512 = execFileSync('sha512sum', [file], { encoding: 'utf8' }).split(' ')[0];
  assert.deepEqual(
    [done.value.status, done.value.size, done.value.virtualSize, done.value.checksum, done.value.osHashAlgo, done.value.osHashValue],
    ['active', data.length, data.length, md5, 'sha512', sha512],
  );
  const shown = await f.service.show(alice, image.id);
  assert.ok(shown.ok);
  assert.deepEqual(shown.value, done.value);
  const whole = await f.service.download({ caller: alice, imageId: image.id });
  assert.ok(whole.ok);
  assert.ok((await readAll(whole.value.body)).equals(data));
  assert.deepEqual([whole.value.start, whole.value.end, whole.value.size, whole.value.partial], [0, data.length - 1, data.length, false]);
});

void test('downloads by byte range, and unsatisfiable ranges', async (t) => {
  const f = setup(t);
  const data = noise(2, 100_000);
  const image = await uploaded(f, alice, data);
  const cases: Array<[string, number, number]> = [
    ['bytes=0-99', 0, 99],
    ['bytes=99990-', 99990, 99999],
    ['bytes=-10', 99990, 99999],
    ['bytes=500-200000', 500, 99999],
  ];
  for (const [header, start, end] of cases) {
    const range = parseRangeHeader(header);
    assert.ok(!('code' in range));
    const r = await f.service.download({ caller: alice, imageId: image.id, range });
    assert.ok(r.ok);
    assert.deepEqual([r.value.start, r.value.end, r.value.partial], [start, end, true], header);
    assert.ok((await readAll(r.value.body)).equals(data.subarray(start, end + 1)), header);
  }
  const beyond = await f.service.download({ caller: alice, imageId: image.id, range: { start: 100_000 } });
  assert.equal(code(beyond), 'IMAGE_RANGE_NOT_SATISFIABLE');
  assert.equal(!beyond.ok && beyond.error.status, 416);
  for (const bad of ['bytes=5-1', 'items=0-1', 'bytes=0-1,5-6', 'bytes=-']) {
    const parsed = parseRangeHeader(bad);
    assert.ok('code' in parsed && parsed.code === 'IMAGE_RANGE_NOT_SATISFIABLE', bad);
  }
});

void test('a queued image has no data to download; upload needs both formats and a queued image', async (t) => {
  const f = setup(t);
  const bare = await f.service.create(alice, { name: 'no formats' });
  assert.ok(bare.ok);
  const empty = await f.service.download({ caller: alice, imageId: bare.value.id });
  assert.ok(empty.ok);
  assert.equal(empty.value.body, null);
  const noFormats = await f.service.upload({ caller: alice, imageId: bare.value.id, body: bodyOf(Buffer.from('x')) });
  assert.equal(code(noFormats), 'BAD_REQUEST');
  assert.match(!noFormats.ok ? noFormats.error.message : '', /disk_format, container_format must be set/);
  const image = await uploaded(f, alice, noise(3, 1000));
  const again = await f.service.upload({ caller: alice, imageId: image.id, body: bodyOf(Buffer.from('x')) });
  assert.equal(code(again), 'IMAGE_INVALID_STATE');
  assert.equal(!again.ok && again.error.status, 409);
});

void test('deactivate and reactivate: admins only; a deactivated image is not downloadable by members', async (t) => {
  const f = setup(t);
  const image = await uploaded(f, alice, noise(4, 5000));
  const ref = f.service.ref(image.id);
  assert.equal(code(await ref.ask({ type: 'deactivate', caller: alice })), 'FORBIDDEN');
  const off = await ref.ask({ type: 'deactivate', caller: admin });
  assert.ok(off.ok && 'status' in off.value && off.value.status === 'deactivated');
  assert.ok((await ref.ask({ type: 'deactivate', caller: admin })).ok, 'idempotent');
  const refused = await f.service.download({ caller: alice, imageId: image.id });
  assert.equal(code(refused), 'IMAGE_DEACTIVATED');
  assert.equal(!refused.ok && refused.error.status, 403);
  const byAdmin = await f.service.download({ caller: admin, imageId: image.id });
  assert.ok(byAdmin.ok && byAdmin.value.body !== null);
  await readAll(byAdmin.value.body);
  const on = await ref.ask({ type: 'reactivate', caller: admin });
  assert.ok(on.ok && 'status' in on.value && on.value.status === 'active');
  const queued = await f.service.create(alice, { name: 'q' });
  assert.ok(queued.ok);
  assert.equal(code(await f.service.ref(queued.value.id).ask({ type: 'deactivate', caller: admin })), 'IMAGE_INVALID_STATE');
});

void test('delete: protected images refuse; the blob is shared by identical uploads and removed with the last', async (t) => {
  const f = setup(t);
  const data = noise(5, 70_000);
  const one = await uploaded(f, alice, data, { protected: true });
  const two = await uploaded(f, alice, data);
  assert.equal(one.osHashValue, two.osHashValue);
  const blob = f.service.store.blobPath(one.osHashValue!);
  assert.ok(existsSync(blob));
  const refused = await f.service.delete(alice, one.id);
  assert.equal(code(refused), 'IMAGE_PROTECTED');
  assert.equal(!refused.ok && refused.error.status, 403);
  assert.ok((await f.service.update(alice, one.id, [{ op: 'replace', path: '/protected', value: false }])).ok);
  assert.ok((await f.service.delete(alice, one.id)).ok);
  assert.ok(existsSync(blob), 'still held by the other image');
  assert.equal(code(await f.service.show(alice, one.id)), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.download({ caller: alice, imageId: one.id })), 'IMAGE_NOT_FOUND');
  assert.ok((await f.service.delete(alice, two.id)).ok);
  assert.ok(!existsSync(blob), 'the last holder removed the file');
  // A deleted image's id is never reused.
  const reuse = await f.service.create(alice, { id: one.id, name: 'again' });
  assert.equal(code(reuse), 'IMAGE_EXISTS');
  const list = await f.service.list(alice);
  assert.ok(list.ok);
  assert.deepEqual(list.value.images, []);
});

void test('events: created, status changes, updated and deleted, in order, for the owner project', async (t) => {
  const f = setup(t);
  const image = await uploaded(f, alice, noise(6, 1000));
  assert.ok((await f.service.update(alice, image.id, [{ op: 'replace', path: '/name', value: 'renamed' }])).ok);
  assert.ok((await f.service.delete(alice, image.id)).ok);
  const seen = f.events.filter((e) => e.id === image.id).map((e) => (e.type === 'image.status' ? `status:${String(e.body['status'])}` : e.type));
  assert.deepEqual(seen, ['image.created', 'status:saving', 'status:active', 'image.updated', 'image.deleted', 'status:deleted']);
  assert.ok(f.events.every((e) => e.projectId === 'project-a' && e.kind === 'image'));
});
