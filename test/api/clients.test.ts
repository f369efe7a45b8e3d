// The real clients against a real `cumulo up` on loopback: Debian's `openstack` command line
// (python3-openstackclient 6.0) runs the whole workflow with the OS_* variables of the data dir's
// openrc (and rescopes a token with token auth), and openstacksdk runs it from a Python script with the data dir's clouds.yaml. Each
// command must exit 0 and print what the fabric holds. One fabric for both; ~1-2 s per command.
/* eslint-disable @typescript-eslint/no-unsafe-return -- the CLI's JSON output is read field by field */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCumulo, type CumuloProcess } from '../helpers/cumulo-process.js';
import { cliEnv, openstack as cli, openstackJson as cliJson, type Row } from '../helpers/openstack-cli.js';

const run = promisify(execFile);
const SOURCE = join(import.meta.dirname, '..', '..', '..', 'test', 'api', 'clients');
let proc: CumuloProcess;
let dataDir: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cumulo-clients-'));
  proc = await startCumulo(dataDir, ['--hosts', '3'], { CUMULO_LOG_LEVEL: 'warn' });
  env = cliEnv(dataDir);
});

after(async () => {
  proc.child.kill('SIGTERM');
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

const openstack = (...args: string[]): Promise<string> => cli(env, ...args);
const openstackJson = (...args: string[]): Promise<Row & Row[]> => cliJson(env, ...args);

/** Polls `server show` (each call takes a second or two) until the status is reached. */
async function untilStatus(name: string, status: string): Promise<void> {
  for (let i = 0; i < 20; i++) if ((await openstackJson('server', 'show', name)).status === status) return;
  assert.fail(`${name} never reached ${status}`);
}

test('the openstack command line: token, flavors, key pairs, images, a server through its life, quotas, groups, hypervisors, services', async () => {
  const token = await openstackJson('token', 'issue');
  assert.equal(token.project_id.length, 32);
  const flavor = await openstackJson('flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', 'cli.flavor');
  assert.equal(flavor.name, 'cli.flavor');
  assert.equal((await openstackJson('flavor', 'show', 'cli.flavor')).ram, 256);
  const flavors = (await openstackJson('flavor', 'list')).map((f) => f.Name as string);
  for (const name of ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large', 'm1.xlarge', 'cli.flavor']) assert.ok(flavors.includes(name), name);
  await openstack('flavor', 'delete', 'cli.flavor');
  assert.ok(!(await openstackJson('flavor', 'list')).some((f) => f.Name === 'cli.flavor'));

  assert.match(await openstack('keypair', 'create', 'cli-key'), /BEGIN OPENSSH PRIVATE KEY/);
  assert.deepEqual((await openstackJson('keypair', 'list')).map((k) => k.Name), ['cli-key']);

  const images = await openstackJson('image', 'list');
  assert.deepEqual(images.map((i) => [i.Name, i.Status]), [['cirros', 'active']]);

  const server = await openstackJson('--os-compute-api-version', '2.37', 'server', 'create', '--image', 'cirros', '--flavor', 'm1.tiny', '--nic', 'none', '--key-name', 'cli-key', '--wait', 'vm1');
  assert.equal(server.status, 'ACTIVE');
  assert.match(server.image, /^cirros \(/);
  assert.match(server.flavor, /^m1\.tiny \(/);
  const listed = await openstackJson('server', 'list');
  assert.deepEqual(listed.map((s) => [s.Name, s.Status, s.Image, s.Flavor]), [['vm1', 'ACTIVE', 'cirros', 'm1.tiny']]);
  const shown = await openstackJson('server', 'show', 'vm1');
  assert.equal(shown.key_name, 'cli-key');
  assert.equal(shown['OS-EXT-STS:vm_state'], 'active');
  await openstack('server', 'stop', 'vm1');
  await untilStatus('vm1', 'SHUTOFF');
  await openstack('server', 'start', 'vm1');
  await untilStatus('vm1', 'ACTIVE');
  await openstack('server', 'reboot', '--wait', 'vm1');
  assert.equal((await openstackJson('server', 'show', 'vm1')).status, 'ACTIVE');
  await openstack('server', 'delete', '--wait', 'vm1');
  assert.deepEqual(await openstackJson('server', 'list'), []);

  const quota = await openstackJson('quota', 'show');
  assert.deepEqual([quota.instances, quota.cores, quota.ram], [10, 20, 51200]);
  const group = await openstackJson('server', 'group', 'create', '--policy', 'anti-affinity', 'cli-group');
  assert.equal(group.name, 'cli-group');
  assert.match(String(group.policies), /anti-affinity/);
  const hypervisors = await openstackJson('hypervisor', 'list');
  assert.deepEqual(hypervisors.map((h) => h['Hypervisor Hostname']), ['host-1', 'host-2', 'host-3']);
  const services = await openstackJson('compute', 'service', 'list');
  assert.deepEqual(services.map((s) => [s.Binary, s.Host, s.State]), [['nova-compute', 'host-1', 'up'], ['nova-compute', 'host-2', 'up'], ['nova-compute', 'host-3', 'up']]);
});

test('the openstack command line rescopes a token (token auth, another project the user holds a role on)', async () => {
  const token = (await openstackJson('token', 'issue')).id as string;
  const other = (await openstackJson('project', 'create', 'cli-other')).id as string;
  await openstack('role', 'add', '--user', 'admin', '--project', 'cli-other', 'member');
  // keystoneauth's token plugin: POST /v3/auth/tokens with methods ["token"] and the new scope.
  const tokenEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !['OS_USERNAME', 'OS_PASSWORD', 'OS_USER_DOMAIN_NAME'].includes(k)));
  const { stdout } = await run('openstack', ['--os-auth-type', 'token', '--os-token', token, '--os-project-name', 'cli-other', 'token', 'issue', '-f', 'json'], { env: tokenEnv, timeout: 90_000 });
  const rescoped = JSON.parse(stdout) as { id: string; project_id: string };
  assert.equal(rescoped.project_id, other);
  assert.notEqual(rescoped.id, token);
});

test('openstacksdk from a Python script with clouds.yaml: the same workflow', async () => {
  let stdout: string;
  try {
    ({ stdout } = await run('/usr/bin/python3', [join(SOURCE, 'sdk-workflow.py')], { env: { ...env, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') }, timeout: 120_000 }));
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string };
    throw new Error(`sdk-workflow.py failed: ${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
  const seen = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(seen.flavors, ['m1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge']);
  assert.equal(seen.flavor_created, 'sdk.flavor');
  assert.deepEqual(seen.flavors_after_delete, seen.flavors);
  assert.equal(seen.keypair_private, true);
  assert.ok((seen.keypairs as string[]).includes('sdk-key'));
  assert.equal(seen.image, 'cirros');
  assert.deepEqual([seen.server_status, seen.server_key, seen.stopped, seen.started], ['ACTIVE', 'sdk-key', 'SHUTOFF', 'ACTIVE']);
  assert.deepEqual(seen.servers, ['sdk-vm']);
  assert.deepEqual(seen.servers_after_delete, []);
  assert.equal(seen.group, 'sdk-group');
  assert.equal(seen.quota_instances, 10);
  assert.deepEqual(seen.hypervisors, ['host-1', 'host-2', 'host-3']);
  assert.deepEqual(seen.services, ['host-1', 'host-2', 'host-3']);
});
