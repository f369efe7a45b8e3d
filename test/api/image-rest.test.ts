// Glance v2's write and data routes through fastify.inject() (and one real socket), over the real
// image actors and the fabric's image service: create, JSON-patch update and its errors (415 for
// another media type, 400/403/409 as Glance), tags, protected delete, upload (415, streamed, 413
// over quota), download (whole with Content-MD5, byte ranges, 416, 204 without data), an upload
// that fails (bad bytes, client gone) leaving the image queued and never active, deactivation
// making the data 403 to non-admins, the schemas, and 501 for data when the API has no service.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi, endpointGateway } from '../../api/server.js';
import { IMAGE_INDEX_ID, IMAGE_INDEX_KIND } from '../../actors/image/index.js';
import { Fabric } from '../../sdk/fabric.js';
import { startApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;
const PATCH = 'application/openstack-images-v2.1-json-patch';
const OCTETS = 'application/octet-stream';

interface Rig {
  readonly fabric: Fabric;
  readonly app: FastifyInstance;
  readonly admin: string;
  /** A member of project `demo` (not admin). */
  readonly member: string;
  readonly memberProject: string;
  call(method: string, url: string, token: string, body?: unknown, type?: string): Promise<LightMyRequestResponse>;
}

async function rig(t: TestContext): Promise<Rig> {
  const fabric = await Fabric.start({ transport: 'inproc', apiPort: null, hosts: 1, passwordCost: 1024 });
  t.after(() => fabric.stop());
  const app = await buildApi({ metrics: fabric.metrics, logger: fabric.log, ready: () => true, actors: endpointGateway(fabric.endpoint), images: fabric.images });
  t.after(() => app.close());
  const call = (method: string, url: string, token: string, body?: unknown, type?: string) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': type ?? 'application/json' }) },
      ...(body === undefined ? {} : { payload: body instanceof Uint8Array ? Buffer.from(body) : typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const login = async (user: string, password: string, project: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: { auth: { identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } }, scope: { project: { name: project, domain: { name: 'Default' } } } } },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.headers['x-subject-token'] as string;
  };
  const admin = await login('admin', fabric.adminPassword, 'admin');
  const project = json(await call('POST', '/identity/v3/projects', admin, { project: { name: 'demo' } })).project.id as string;
  const user = json(await call('POST', '/identity/v3/users', admin, { user: { name: 'dee', password: 'dee-secret', default_project_id: project } })).user.id as string;
  assert.equal((await call('PUT', `/identity/v3/projects/${project}/users/${user}/roles/member`, admin)).statusCode, 204);
  return { fabric, app, admin, member: await login('dee', 'dee-secret', 'demo'), memberProject: project, call };
}

async function createImage(r: Rig, token: string, body: Json): Promise<Json> {
  const res = await r.call('POST', '/image/v2/images', token, body);
  assert.equal(res.statusCode, 201, res.body);
  return json(res);
}

const bytes = (n: number, seed: number): Buffer => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 64) createHash('sha512').update(`${seed}:${i}`).digest().copy(out, i);
  return out;
};
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

test('create (201, Location, Glance fields), patch with its media type and errors, tags, protected delete', async (t) => {
  const r = await rig(t);
  const created = await r.call('POST', '/image/v2/images', r.member, { name: 'img', disk_format: 'raw', container_format: 'bare', min_ram: 64, tags: ['a'], os_distro: 'debian' });
  assert.equal(created.statusCode, 201, created.body);
  const image = json(created);
  assert.equal(created.headers.location, `http://localhost:80/image/v2/images/${image.id}`);
  assert.deepEqual([image.name, image.status, image.visibility, image.min_ram, image.tags, image.os_distro, image.owner, image.size], ['img', 'queued', 'shared', 64, ['a'], 'debian', r.memberProject, null]);
  assert.equal(image.file, `/v2/images/${image.id}/file`);
  assert.equal((await r.call('POST', '/image/v2/images', r.member, { status: 'active' })).statusCode, 403, 'read-only attribute');
  assert.equal((await r.call('POST', '/image/v2/images', r.member, { disk_format: 'floppy' })).statusCode, 400);
  assert.equal((await r.call('POST', '/image/v2/images', r.member, { extra: 42 })).statusCode, 400, 'extra properties are strings');
  assert.equal((await r.call('POST', '/image/v2/images', r.member, { id: 'not-a-uuid' })).statusCode, 400);
  assert.equal((await r.call('POST', '/image/v2/images', r.member, { id: image.id })).statusCode, 409, 'an id is never reused');
  assert.equal((await r.call('POST', '/image/v2/images', r.member, [1, 2])).statusCode, 400);

  const url = `/image/v2/images/${image.id}`;
  const patch = [
    { op: 'replace', path: '/name', value: 'renamed' },
    { op: 'add', path: '/k', value: 'v' },
    { op: 'add', path: '/tags', value: ['a', 'b'] },
  ];
  const json415 = await r.call('PATCH', url, r.member, patch);
  assert.equal(json415.statusCode, 415);
  assert.equal(json(json415).code, '415 Unsupported Media Type');
  const patched = await r.call('PATCH', url, r.member, patch, PATCH);
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual([json(patched).name, json(patched).k, json(patched).tags], ['renamed', 'v', ['a', 'b']]);
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'replace', path: '/checksum', value: 'x' }], PATCH)).statusCode, 403);
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'remove', path: '/name' }], PATCH)).statusCode, 403);
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'replace', path: '/missing', value: 'x' }], PATCH)).statusCode, 409);
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'move', path: '/name', from: '/k' }], PATCH)).statusCode, 400);
  assert.equal((await r.call('PATCH', url, r.member, '{"op":', PATCH)).statusCode, 400);
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'add', path: '/visibility', value: 'public' }], PATCH)).statusCode, 403, 'only admins publish');
  assert.equal((await r.call('PATCH', '/image/v2/images/5a5a5a5a-0000-4000-8000-000000000000', r.member, [], PATCH)).statusCode, 404);
  assert.equal(json(await r.call('GET', url, r.member)).name, 'renamed', 'refused patches changed nothing');

  assert.equal((await r.call('PUT', `${url}/tags/c`, r.member)).statusCode, 204);
  assert.equal((await r.call('DELETE', `${url}/tags/a`, r.member)).statusCode, 204);
  assert.equal((await r.call('DELETE', `${url}/tags/zz`, r.member)).statusCode, 404);
  assert.deepEqual(json(await r.call('GET', url, r.member)).tags.sort(), ['b', 'c']);

  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'replace', path: '/protected', value: true }], PATCH)).statusCode, 200);
  const refused = await r.call('DELETE', url, r.member);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.headers['x-cumulo-error'], 'IMAGE_PROTECTED');
  assert.equal((await r.call('PATCH', url, r.member, [{ op: 'replace', path: '/protected', value: false }], PATCH)).statusCode, 200);
  assert.equal((await r.call('DELETE', url, r.member)).statusCode, 204);
  assert.equal((await r.call('GET', url, r.member)).statusCode, 404);
  assert.equal((await r.call('DELETE', url, r.member)).statusCode, 404);

  const schema = await r.call('GET', '/image/v2/schemas/image', r.member);
  assert.equal(json(schema).name, 'image');
  assert.deepEqual(json(schema).additionalProperties, { type: 'string' });
  assert.equal(json(await r.call('GET', '/image/v2/schemas/images', r.member)).name, 'images');
  assert.equal((await r.app.inject({ method: 'GET', url: '/image/v2/schemas/image' })).statusCode, 401);
});

test('upload (415 for other types), download whole with Content-MD5, ranges (206, 416), 204 without data, deactivation', async (t) => {
  const r = await rig(t);
  const image = await createImage(r, r.admin, { name: 'data', disk_format: 'raw', container_format: 'bare', visibility: 'public' });
  const file = `/image/v2/images/${image.id}/file`;
  assert.equal((await r.call('GET', file, r.member)).statusCode, 204, 'no data yet');
  const data = bytes(3 * 1024 * 1024 + 17, 1);
  assert.equal((await r.call('PUT', file, r.admin, data, 'application/json')).statusCode, 415);
  assert.equal((await r.call('PUT', file, r.admin, data, 'text/plain')).statusCode, 415);
  assert.equal(json(await r.call('GET', `/image/v2/images/${image.id}`, r.admin)).status, 'queued');
  const put = await r.call('PUT', file, r.admin, data, OCTETS);
  assert.equal(put.statusCode, 204, put.body);
  const shown = json(await r.call('GET', `/image/v2/images/${image.id}`, r.member));
  assert.deepEqual([shown.status, shown.size, shown.virtual_size, shown.checksum], ['active', data.length, data.length, md5(data)]);
  assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
  assert.equal((await r.call('PUT', file, r.admin, data, OCTETS)).statusCode, 409, 'an active image takes no second upload');

  const whole = await r.call('GET', file, r.member);
  assert.equal(whole.statusCode, 200);
  assert.deepEqual([whole.headers['content-type'], whole.headers['content-md5'], whole.headers['content-length']], [OCTETS, md5(data), String(data.length)]);
  assert.ok(whole.rawPayload.equals(data));
  const ranged = await r.app.inject({ method: 'GET', url: file, headers: { 'x-auth-token': r.member, range: 'bytes=1048570-1048589' } });
  assert.equal(ranged.statusCode, 206);
  assert.equal(ranged.headers['content-range'], `bytes 1048570-1048589/${data.length}`);
  assert.equal(ranged.headers['content-md5'], undefined);
  assert.ok(ranged.rawPayload.equals(data.subarray(1048570, 1048590)));
  const tail = await r.app.inject({ method: 'GET', url: file, headers: { 'x-auth-token': r.member, range: 'bytes=-5' } });
  assert.ok(tail.statusCode === 206 && tail.rawPayload.equals(data.subarray(data.length - 5)));
  const open = await r.app.inject({ method: 'GET', url: file, headers: { 'x-auth-token': r.member, range: `bytes=${data.length - 3}-` } });
  assert.ok(open.statusCode === 206 && open.rawPayload.equals(data.subarray(data.length - 3)));
  for (const range of [`bytes=${data.length}-`, 'bytes=5-2', 'bytes=0-1,4-5', 'items=0-1']) {
    const bad = await r.app.inject({ method: 'GET', url: file, headers: { 'x-auth-token': r.member, range } });
    assert.equal(bad.statusCode, 416, range);
  }

  assert.equal((await r.call('POST', `/image/v2/images/${image.id}/actions/deactivate`, r.member)).statusCode, 403, 'admins deactivate');
  assert.equal((await r.call('POST', `/image/v2/images/${image.id}/actions/deactivate`, r.admin)).statusCode, 204);
  assert.equal(json(await r.call('GET', `/image/v2/images/${image.id}`, r.member)).status, 'deactivated');
  const forbidden = await r.call('GET', file, r.member);
  assert.equal(forbidden.statusCode, 403);
  assert.equal(forbidden.headers['x-cumulo-error'], 'IMAGE_DEACTIVATED');
  assert.equal((await r.call('GET', file, r.admin)).statusCode, 200, 'admins still read it');
  assert.equal((await r.call('POST', `/image/v2/images/${image.id}/actions/reactivate`, r.admin)).statusCode, 204);
  assert.ok((await r.call('GET', file, r.member)).rawPayload.equals(data));
});

test('failed uploads leave the image queued, never active: bad bytes, over quota (413), the client gone mid-body', async (t) => {
  const r = await rig(t);
  const status = async (id: string): Promise<string> => json(await r.call('GET', `/image/v2/images/${id}`, r.member)).status as string;

  const garbage = await createImage(r, r.member, { name: 'garbage', disk_format: 'qcow2', container_format: 'bare' });
  const bad = await r.call('PUT', `/image/v2/images/${garbage.id}/file`, r.member, bytes(200_000, 2), OCTETS);
  assert.equal(bad.statusCode, 400, bad.body);
  assert.equal(await status(garbage.id), 'queued');

  const limited = await endpointGateway(r.fabric.endpoint).ask(IMAGE_INDEX_KIND, IMAGE_INDEX_ID, 'setLimits', { projectId: r.memberProject, limits: { storageBytes: 100_000 } }, r.admin);
  assert.ok(limited.ok);
  const big = await createImage(r, r.member, { name: 'big', disk_format: 'raw', container_format: 'bare' });
  const over = await r.call('PUT', `/image/v2/images/${big.id}/file`, r.member, bytes(150_000, 3), OCTETS);
  assert.equal(over.statusCode, 413, over.body);
  assert.equal(over.headers['x-cumulo-error'], 'IMAGE_QUOTA_EXCEEDED');
  assert.equal(await status(big.id), 'queued');
  assert.equal((await r.call('PUT', `/image/v2/images/${big.id}/file`, r.member, bytes(90_000, 3), OCTETS)).statusCode, 204, 'within the quota it goes through');
  assert.equal(await status(big.id), 'active');

  // Over a real socket: the client sends a quarter of its declared body and goes away; and a
  // client refused mid-body (over quota) reads its 413 while the rest of its body is dropped.
  await r.app.listen({ port: 0, host: '127.0.0.1' });
  const address = r.app.server.address();
  assert.ok(typeof address === 'object' && address !== null);
  const serverSockets: Promise<void>[] = [];
  r.app.server.on('connection', (socket: Socket) => serverSockets.push(new Promise((resolve) => socket.once('close', () => resolve()))));
  const put = (id: string, token: string, declared: number) =>
    request({ host: '127.0.0.1', port: address.port, method: 'PUT', path: `/image/v2/images/${id}/file`, agent: false, headers: { 'x-auth-token': token, 'content-type': OCTETS, 'content-length': String(declared) } });

  const cut = await createImage(r, r.admin, { name: 'cut', disk_format: 'raw', container_format: 'bare' });
  const adminStatus = async (): Promise<string> => json(await r.call('GET', `/image/v2/images/${cut.id}`, r.admin)).status as string;
  const req = put(cut.id, r.admin, 4 * 1024 * 1024);
  const failed = new Promise<void>((resolve) => req.on('error', () => resolve()));
  req.write(bytes(1024 * 1024, 4));
  // Saving once the server has begun reading the body (each look is one request, no timer).
  let seen = await adminStatus();
  for (let i = 0; i < 10_000 && seen === 'queued'; i++) seen = await adminStatus();
  assert.equal(seen, 'saving');
  req.destroy();
  await failed;
  for (let i = 0; i < 10_000 && seen === 'saving'; i++) seen = await adminStatus();
  assert.equal(seen, 'queued');
  assert.equal((await r.call('GET', `/image/v2/images/${cut.id}/file`, r.admin)).statusCode, 204, 'no data kept');
  await Promise.all(serverSockets);

  const refused = await createImage(r, r.member, { name: 'refused', disk_format: 'raw', container_format: 'bare' });
  const quotaPut = put(refused.id, r.member, 2 * 1024 * 1024);
  const answered = new Promise<number>((resolve, reject) => {
    quotaPut.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    quotaPut.on('error', reject);
  });
  quotaPut.write(bytes(1024 * 1024, 5));
  quotaPut.end(bytes(1024 * 1024, 6));
  assert.equal(await answered, 413);
  assert.equal(await status(refused.id), 'queued');
  await Promise.all(serverSockets);
});

test('without the image data service the data routes answer 501 (404 first for unknown images)', async (t) => {
  const f = await startApiFixture(t);
  const cirros = await realCirros(f.fabric);
  const res = await f.call('GET', `/image/v2/images/${cirros.id}/file`);
  assert.equal(res.statusCode, 501);
  assert.equal(res.headers['x-cumulo-error'], 'IMAGE_DATA_UNAVAILABLE');
  assert.equal((await f.call('GET', '/image/v2/images/5a5a5a5a-0000-4000-8000-000000000000/file')).statusCode, 404);
  assert.equal((await f.call('PUT', `/image/v2/images/${cirros.id}/file`, { body: 'x', headers: { 'content-type': OCTETS } })).statusCode, 501);
});
