// The image workflow with the real `openstack` command line (python3-openstackclient 6.0) against
// a real `cumulo up`: create from a qcow2 file qemu-img wrote, list, show (checksum = md5sum of the
// file), set (property, tag, name), save (the same bytes back), a server booted from it, delete;
// and isolation through REST: another project's member gets 404 for a private image and its data.
/* eslint-disable @typescript-eslint/no-unsafe-return -- the CLI's JSON output is read field by field */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCumulo, type CumuloProcess } from '../helpers/cumulo-process.js';
import { cliEnv, openstack as cli, openstackJson as cliJson, type Row } from '../helpers/openstack-cli.js';

let proc: CumuloProcess;
let dataDir: string;
let work: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cumulo-image-cli-'));
  work = mkdtempSync(join(tmpdir(), 'cumulo-image-cli-files-'));
  proc = await startCumulo(dataDir, ['--hosts', '1'], { CUMULO_LOG_LEVEL: 'warn' });
  env = cliEnv(dataDir);
});

after(async () => {
  proc.child.kill('SIGTERM');
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const openstack = (...args: string[]): Promise<string> => cli(env, ...args);
const openstackJson = (...args: string[]): Promise<Row & Row[]> => cliJson(env, ...args);

/** A sparse 8 MiB disk with 300 kB of random data at 1 MiB, as qcow2 by qemu-img. */
function qcow2File(): string {
  const raw = join(work, 'disk.raw');
  const data = Buffer.alloc(8 * 1024 * 1024);
  createHash('sha512').update('seed').digest().copy(data, 0);
  for (let i = 0; i < 300_000; i += 64) createHash('sha512').update(String(i)).digest().copy(data, 1024 * 1024 + i);
  writeFileSync(raw, data);
  const qcow2 = join(work, 'disk.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  return qcow2;
}

const md5sum = (path: string): string => execFileSync('md5sum', [path], { encoding: 'utf8' }).split(' ')[0]!;

test('openstack image create/list/show/set/save/delete, and server create --image from the upload', async () => {
  const file = qcow2File();
  const created = await openstackJson('image', 'create', '--file', file, '--disk-format', 'qcow2', '--container-format', 'bare', 'cli-image');
  assert.equal(created.name, 'cli-image');
  assert.deepEqual([created.disk_format, created.container_format], ['qcow2', 'bare']);

  const listed = await openstackJson('image', 'list');
  assert.deepEqual(listed.map((i) => [i.Name, i.Status]).sort(), [['cirros', 'active'], ['cli-image', 'active']]);

  const shown = await openstackJson('image', 'show', 'cli-image');
  assert.equal(shown.status, 'active');
  assert.equal(shown.checksum, md5sum(file));
  assert.equal(shown.size, readFileSync(file).length);
  assert.equal(shown.virtual_size, 8 * 1024 * 1024);
  assert.equal(shown.id, created.id);

  await openstack('image', 'set', '--property', 'k=v', '--tag', 't', '--name', 'cli-renamed', 'cli-image');
  const changed = await openstackJson('image', 'show', 'cli-renamed');
  assert.equal(changed.properties.k, 'v');
  assert.deepEqual(changed.tags, ['t']);
  assert.equal(changed.id, created.id);

  const saved = join(work, 'saved.qcow2');
  await openstack('image', 'save', '--file', saved, 'cli-renamed');
  assert.ok(readFileSync(saved).equals(readFileSync(file)), 'image save gives the uploaded bytes');

  const server = await openstackJson('server', 'create', '--image', 'cli-renamed', '--flavor', 'm1.tiny', '--wait', 'from-upload');
  assert.equal(server.status, 'ACTIVE');
  assert.equal(server.image, `cli-renamed (${created.id})`);
  await openstack('server', 'delete', '--wait', 'from-upload');

  await openstack('image', 'delete', 'cli-renamed');
  assert.deepEqual((await openstackJson('image', 'list')).map((i) => i.Name), ['cirros']);
});

/** A JSON request to the real API; answers the status, headers and parsed body. */
async function rest(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: Row }> {
  const res = await fetch(`${proc.apiUrl}${path}`, {
    method,
    headers: { ...(token === null ? {} : { 'x-auth-token': token }), ...(body === undefined || body instanceof Uint8Array ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: (text === '' ? {} : JSON.parse(text)) as Row };
}

async function login(user: string, password: string, project: string): Promise<string> {
  const res = await rest('POST', '/identity/v3/auth/tokens', null, {
    auth: { identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } }, scope: { project: { name: project, domain: { name: 'Default' } } } },
  });
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.headers.get('x-subject-token')!;
}

test('isolation over REST: a private image of project A is invisible to a member of project B, data included', async () => {
  const admin = await login(proc.credentials.userName, proc.credentials.password, proc.credentials.projectName);
  const project = await rest('POST', '/identity/v3/projects', admin, { project: { name: 'project-b' } });
  assert.equal(project.status, 201);
  const user = await rest('POST', '/identity/v3/users', admin, { user: { name: 'user-b', password: 'b-secret', default_project_id: project.json.project.id } });
  assert.equal(user.status, 201);
  assert.equal((await rest('PUT', `/identity/v3/projects/${project.json.project.id}/users/${user.json.user.id}/roles/member`, admin)).status, 204);
  const b = await login('user-b', 'b-secret', 'project-b');

  const image = await rest('POST', '/image/v2/images', admin, { name: 'a-private', visibility: 'private', disk_format: 'raw', container_format: 'bare' });
  assert.equal(image.status, 201);
  const id = image.json.id as string;
  const bytes = new Uint8Array(65_536).fill(7);
  assert.equal((await rest('PUT', `/image/v2/images/${id}/file`, admin, bytes, { 'content-type': 'application/octet-stream' })).status, 204);
  const mine = await fetch(`${proc.apiUrl}/image/v2/images/${id}/file`, { headers: { 'x-auth-token': admin } });
  assert.equal(mine.status, 200);
  assert.ok(Buffer.from(await mine.arrayBuffer()).equals(bytes));

  assert.equal((await rest('GET', `/image/v2/images/${id}`, b)).status, 404);
  assert.equal((await rest('GET', `/image/v2/images/${id}/file`, b)).status, 404);
  assert.equal((await rest('PUT', `/image/v2/images/${id}/file`, b, bytes, { 'content-type': 'application/octet-stream' })).status, 404);
  assert.equal((await rest('DELETE', `/image/v2/images/${id}`, b)).status, 404);
  const seen = await rest('GET', '/image/v2/images', b);
  assert.deepEqual(seen.json.images.map((i: Row) => i.name), ['cirros']);
  assert.equal((await rest('GET', `/image/v2/images/${id}`, admin)).json.status, 'active', 'still there for its owner');
});
