// Glance's read side over the real image actors: the version documents as keystoneauth probes
// them, the built-in cirros image listed (by name, with Glance's filters and paging) and shown
// with Glance's fields, a name in the id's place is a 404 (clients then list by name), and a
// server boots from it.
/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON, read field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud } from '../../sdk/index.js';
import { startApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;

test('image versions, list and show of cirros, 404 for names and unknown ids, and a server booted from it', async (t) => {
  const f = await startApiFixture(t);
  const cirros = await realCirros(f.fabric);
  const versions = await f.call('GET', '/image', { token: null });
  assert.equal(versions.statusCode, 300);
  assert.equal(json(versions).versions[0].links[0].href, 'http://localhost:80/image/v2/');
  assert.equal((await f.call('GET', '/image/versions', { token: null })).statusCode, 200);

  const listed = json(await f.call('GET', '/image/v2/images'));
  assert.deepEqual(listed.images.map((i: Json) => i.name), ['cirros']);
  assert.equal(listed.first, '/v2/images');
  const image = listed.images[0];
  assert.deepEqual([image.id, image.status, image.visibility, image.disk_format, image.container_format], [cirros.id, 'active', 'public', 'qcow2', 'bare']);
  assert.equal(image.virtual_size, 112 * 1024 * 1024);
  assert.match(image.checksum, /^[0-9a-f]{32}$/);
  assert.equal(image.os_hash_algo, 'sha512');
  assert.equal(image.os_distro, 'cirros');
  assert.deepEqual(json(await f.call('GET', '/image/v2/images?name=cirros')).images.map((i: Json) => i.id), [cirros.id]);
  assert.deepEqual(json(await f.call('GET', '/image/v2/images?name=other')).images, []);
  assert.deepEqual(json(await f.call('GET', '/image/v2/images?status=queued')).images, []);
  assert.equal((await f.call('GET', '/image/v2/images?sort=name:sideways')).statusCode, 400);
  assert.equal(json(await f.call('GET', `/image/v2/images/${cirros.id}`)).name, 'cirros');
  const byName = await f.call('GET', '/image/v2/images/cirros');
  assert.equal(byName.statusCode, 404);
  assert.equal(json(byName).code, '404 Not Found');
  assert.equal((await f.call('GET', '/image/v2/images/6b1c7e5a-0000-4000-8000-000000000000')).statusCode, 404);

  const created = await f.call('POST', '/compute/v2.1/servers', { headers: { 'openstack-api-version': 'compute 2.37' }, body: { server: { name: 'from-cirros', imageRef: cirros.id, flavorRef: '1', networks: 'none' } } });
  assert.equal(created.statusCode, 202, created.body);
  const cloud = await Cloud.attach(f.fabric);
  t.after(() => cloud.stop());
  const server = await cloud.compute.waitForServer(json(created).server.id as string);
  assert.equal(server.imageId, cirros.id);
});
