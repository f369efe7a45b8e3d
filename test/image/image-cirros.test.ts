// The built-in cirros image: a real qcow2 written by the fabric (qemu-img checks it and reads
// its boot sector), registered public and active in the admin project, visible to every project;
// ensureCirros is idempotent (same image, same checksum) within a process and across a restart
// over the same store and data dir, and a leftover of a start that died mid-upload is replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIRROS_VIRTUAL_SIZE, ensureCirros } from '../../actors/image/index.js';
import { qemuImg } from '../workers/image-fixtures.js';
import { admin, bob, readAll, setup, tempDataDir } from './image-fixture.js';

void test('ensureCirros registers a checked, public, active qcow2 once', async (t) => {
  const dataDir = tempDataDir(t);
  const f = setup(t, { dataDir });
  const first = await ensureCirros(f.service, { ownerProjectId: 'admin' });
  assert.ok(first.ok, JSON.stringify(first));
  const image = first.value;
  assert.deepEqual(
    [image.name, image.status, image.visibility, image.owner, image.diskFormat, image.containerFormat, image.virtualSize],
    ['cirros', 'active', 'public', 'admin', 'qcow2', 'bare', CIRROS_VIRTUAL_SIZE],
  );
  const listed = await f.service.list(bob);
  assert.ok(listed.ok);
  assert.deepEqual(listed.value.images.map((i) => i.name), ['cirros']);
  const download = await f.service.download({ caller: bob, imageId: image.id });
  assert.ok(download.ok);
  const file = join(tempDataDir(t), 'cirros.qcow2');
  writeFileSync(file, await readAll(download.value.body));
  qemuImg('check', file);
  const raw = join(tempDataDir(t), 'cirros.raw');
  qemuImg('convert', '-O', 'raw', file, raw);
  const info = JSON.parse(qemuImg('info', '--output=json', file)) as Record<string, unknown>;
  assert.equal(info['virtual-size'], CIRROS_VIRTUAL_SIZE);
  const again = await ensureCirros(f.service, { ownerProjectId: 'admin' });
  assert.ok(again.ok);
  assert.deepEqual([again.value.id, again.value.checksum], [image.id, image.checksum]);
  // A restart over the same store and data dir finds it.
  await f.system.stop();
  const g = setup(t, { store: f.store, dataDir });
  const restarted = await ensureCirros(g.service, { ownerProjectId: 'admin' });
  assert.ok(restarted.ok);
  assert.equal(restarted.value.id, image.id);
});

void test('a cirros left queued by a start that died is replaced by an active one with the same bytes', async (t) => {
  const f = setup(t);
  const leftover = await f.service.create(admin, { name: 'cirros', owner: 'admin', visibility: 'public', diskFormat: 'qcow2', containerFormat: 'bare' });
  assert.ok(leftover.ok);
  const r = await ensureCirros(f.service, { ownerProjectId: 'admin' });
  assert.ok(r.ok);
  assert.notEqual(r.value.id, leftover.value.id);
  assert.equal((await f.service.show(admin, leftover.value.id)).ok, false);
  const other = setup(t);
  const fresh = await ensureCirros(other.service, { ownerProjectId: 'admin' });
  assert.ok(fresh.ok);
  assert.equal(fresh.value.checksum, r.value.checksum, 'the fabric writes the same bytes every time');
});
