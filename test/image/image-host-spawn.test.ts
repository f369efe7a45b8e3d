// A server boots from its image: the host it lands on fetches the image from the image service
// before the hypervisor boots it, once per host (a second server of the same image on the same
// host uses the host's cache), in the driver's format (cirros is stored as qcow2; the fake driver
// wants qcow2, so the cache holds a link, not a conversion). A server whose image its project may
// not see, or that does not exist, fails its boot on every host it is tried on and ends in ERROR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Cloud } from '../../sdk/index.js';
import type { FabricError } from '../../transports/errors.js';
import { bodyOf, caller } from './image-fixture.js';

async function cirrosId(cloud: Cloud): Promise<string> {
  await cloud.fabric!.settled();
  const listed = await cloud.fabric!.images.list(caller('admin', 'admin'), { name: 'cirros' });
  assert.ok(listed.ok);
  return listed.value.images[0]!.id;
}

void test('a host fetches a server’s image once and boots from its cache', async (t) => {
  const cloud = await Cloud.start({ hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => cloud.stop());
  const images = cloud.fabric!.images;
  const imageId = await cirrosId(cloud);
  const before = images.hostCopies;
  const first = await cloud.compute.createServer({ name: 'vm-1', flavorId: '1', imageId });
  assert.equal((await cloud.compute.waitForServer(first.id)).status, 'ACTIVE');
  assert.equal(images.hostCopies, before + 1, 'the host made its copy');
  const second = await cloud.compute.createServer({ name: 'vm-2', flavorId: '1', imageId });
  assert.equal((await cloud.compute.waitForServer(second.id)).status, 'ACTIVE');
  assert.equal(images.hostCopies, before + 1, 'the second boot on that host used the cache');
  const host = (await cloud.compute.hypervisors())[0]!;
  const cached = await images.fetchForHost({ caller: caller('admin', 'admin'), imageId, hostId: host.hostId, format: 'qcow2' });
  assert.ok(cached.ok && !cached.value.fetched && existsSync(cached.value.path));
  assert.ok(cached.value.path.startsWith(join(cloud.fabric!.dataDir)), 'the cache lives in the data dir');
});

void test('an image the server’s project may not see, or none at all, fails the boot with a fault', async (t) => {
  const cloud = await Cloud.start({ hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => cloud.stop());
  const images = cloud.fabric!.images;
  await cloud.fabric!.settled();
  const copies = images.hostCopies;
  // A private image of another project.
  const other = caller('someone-else', 'member');
  const created = await images.create(other, { name: 'private', diskFormat: 'raw', containerFormat: 'bare', visibility: 'private' });
  assert.ok(created.ok);
  const uploaded = await images.upload({ caller: other, imageId: created.value.id, body: bodyOf(Buffer.alloc(4096, 7)) });
  assert.ok(uploaded.ok);
  for (const imageId of [created.value.id, '00000000-0000-4000-8000-00000000dead']) {
    const server = await cloud.compute.createServer({ name: `vm-${imageId.slice(0, 4)}`, flavorId: '1', imageId });
    const failed = await cloud.compute.waitForServer(server.id).then(
      () => assert.fail('booted from an image it may not use'),
      (e: unknown) => e as FabricError,
    );
    assert.equal(failed.code, 'SERVER_FAILED');
    // Each host's boot failed on the image; with every retry spent, Nova's fault says so.
    const fault = failed.value.details?.fault as { code?: number; message?: string } | null | undefined;
    assert.deepEqual([fault?.code, fault?.message], [500, 'No valid host was found. There are not enough hosts available.']);
    assert.equal((await cloud.compute.getServer(server.id)).status, 'ERROR');
  }
  assert.equal(images.hostCopies, copies, 'no host got a copy of either');
});
