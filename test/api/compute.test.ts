// Nova v2.1 through fastify.inject() on a real fabric: microversion negotiation (echoed headers,
// 406 above 2.37, shapes that change with the version), the server lifecycle (create → ACTIVE,
// stop, start, reboot, rename, metadata, delete → 404), flavors with extra specs and access,
// key pairs, server groups, zones, limits, quota sets, os-services and os-hypervisors, and the
// paging of lists. Waits are event-driven (the SDK's waitForServer), never sleeps.
/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON, read field by field */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud } from '../../sdk/index.js';
import { startApiFixture, type ApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;
const V237 = { 'openstack-api-version': 'compute 2.37' };

async function computeFixture(t: TestContext) {
  const f = await startApiFixture(t);
  const cirros = await realCirros(f.fabric);
  const cloud = await Cloud.attach(f.fabric);
  t.after(() => cloud.stop());
  return { f, cirros, cloud };
}

async function memberOf(f: ApiFixture, name: string): Promise<{ token: string; projectId: string }> {
  const p = json(await f.call('POST', '/identity/v3/projects', { body: { project: { name: `${name}-project` } } })).project.id as string;
  const u = json(await f.call('POST', '/identity/v3/users', { body: { user: { name, password: `${name}-pw` } } })).user.id as string;
  assert.equal((await f.call('PUT', `/identity/v3/projects/${p}/users/${u}/roles/member`)).statusCode, 204);
  return { token: await f.login(name, `${name}-pw`, `${name}-project`), projectId: p };
}

async function createServer(f: ApiFixture, imageId: string, name: string, token?: string): Promise<string> {
  const res = await f.call('POST', '/compute/v2.1/servers', { ...(token === undefined ? {} : { token }), headers: V237, body: { server: { name, imageRef: imageId, flavorRef: '1', networks: 'none' } } });
  assert.equal(res.statusCode, 202, res.body);
  return json(res).server.id as string;
}

test('microversions: 2.1 by default, echoed, "latest" is 2.37, 406 above it, 400 for a malformed one', async (t) => {
  const { f } = await computeFixture(t);
  const doc = json(await f.call('GET', '/compute/v2.1', { token: null })).version;
  assert.deepEqual([doc.min_version, doc.version, doc.status], ['2.1', '2.37', 'CURRENT']);
  assert.equal(json(await f.call('GET', '/compute/', { token: null })).versions[0].links[0].href, 'http://localhost:80/compute/v2.1/');
  const plain = await f.call('GET', '/compute/v2.1/flavors');
  assert.equal(plain.headers['openstack-api-version'], 'compute 2.1');
  assert.equal(plain.headers['x-openstack-nova-api-version'], '2.1');
  assert.match(plain.headers.vary as string, /OpenStack-API-Version/);
  const legacy = await f.call('GET', '/compute/v2.1/flavors', { headers: { 'x-openstack-nova-api-version': '2.10' } });
  assert.equal(legacy.headers['openstack-api-version'], 'compute 2.10');
  const latest = await f.call('GET', '/compute/v2.1/flavors', { headers: { 'openstack-api-version': 'volume 3.0, compute latest' } });
  assert.equal(latest.headers['x-openstack-nova-api-version'], '2.37');
  const above = await f.call('GET', '/compute/v2.1/flavors', { headers: { 'openstack-api-version': 'compute 2.38' } });
  assert.equal(above.statusCode, 406);
  assert.equal(json(above).computeFault.code, 406);
  const bad = await f.call('GET', '/compute/v2.1/flavors', { headers: { 'openstack-api-version': 'compute two' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(json(bad).badRequest.code, 400);
});

test('a server from create to delete: 202 BUILD, ACTIVE, stop, start, reboot, rename, metadata, 204 then itemNotFound', async (t) => {
  const { f, cirros, cloud } = await computeFixture(t);
  const created = await f.call('POST', '/compute/v2.1/servers', { headers: V237, body: { server: { name: 'vm1', imageRef: cirros.id, flavorRef: '1', networks: 'none', metadata: { role: 'web' } } } });
  assert.equal(created.statusCode, 202);
  const id = json(created).server.id as string;
  assert.equal(created.headers.location, `http://localhost:80/compute/v2.1/servers/${id}`);
  assert.equal(json(created).server['OS-DCF:diskConfig'], 'MANUAL');
  assert.ok(json(created).server.adminPass.length >= 8);
  await cloud.compute.waitForServer(id);

  const shown = json(await f.call('GET', `/compute/v2.1/servers/${id}`)).server;
  assert.equal(shown.status, 'ACTIVE');
  assert.equal(shown['OS-EXT-STS:vm_state'], 'active');
  assert.equal(shown['OS-EXT-STS:task_state'], null);
  assert.equal(shown['OS-EXT-STS:power_state'], 1);
  assert.equal(shown.image.id, cirros.id);
  assert.equal(shown.flavor.id, '1');
  assert.deepEqual(shown.metadata, { role: 'web' });
  assert.match(shown['OS-SRV-USG:launched_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(shown['OS-EXT-SRV-ATTR:host'], /^host-\d$/);
  assert.equal(shown.locked, undefined, '2.1 has no locked');
  const at237 = json(await f.call('GET', `/compute/v2.1/servers/${id}`, { headers: V237 })).server;
  assert.equal(at237.locked, false);
  assert.deepEqual(at237.tags, []);
  assert.equal(at237.description, null);
  assert.equal(at237.host_status, 'UP');

  const listed = json(await f.call('GET', '/compute/v2.1/servers?name=vm1')).servers;
  assert.deepEqual(listed.map((s: Json) => s.id), [id]);
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/servers?name=^vm$')).servers, []);
  assert.equal(json(await f.call('GET', '/compute/v2.1/servers/detail?status=ACTIVE')).servers[0].status, 'ACTIVE');

  assert.equal(json(await f.call('PUT', `/compute/v2.1/servers/${id}`, { body: { server: { name: 'vm1-renamed' } } })).server.name, 'vm1-renamed');
  assert.deepEqual(json(await f.call('POST', `/compute/v2.1/servers/${id}/metadata`, { body: { metadata: { tier: 'a' } } })).metadata, { role: 'web', tier: 'a' });
  assert.deepEqual(json(await f.call('PUT', `/compute/v2.1/servers/${id}/metadata/tier`, { body: { meta: { tier: 'b' } } })).meta, { tier: 'b' });
  assert.deepEqual(json(await f.call('GET', `/compute/v2.1/servers/${id}/metadata/tier`)).meta, { tier: 'b' });
  assert.equal((await f.call('DELETE', `/compute/v2.1/servers/${id}/metadata/tier`)).statusCode, 204);
  assert.equal((await f.call('GET', `/compute/v2.1/servers/${id}/metadata/tier`)).statusCode, 404);
  assert.deepEqual(json(await f.call('PUT', `/compute/v2.1/servers/${id}/metadata`, { body: { metadata: { only: '1' } } })).metadata, { only: '1' });

  assert.equal((await f.call('POST', `/compute/v2.1/servers/${id}/action`, { body: { 'os-stop': null } })).statusCode, 202);
  await cloud.compute.waitForServer(id, { status: 'SHUTOFF' });
  const conflict = await f.call('POST', `/compute/v2.1/servers/${id}/action`, { body: { 'os-stop': null } });
  assert.equal(conflict.statusCode, 409);
  assert.match(json(conflict).conflictingRequest.message, /Cannot 'stop' instance .* while it is in vm_state stopped/);
  assert.equal((await f.call('POST', `/compute/v2.1/servers/${id}/action`, { body: { 'os-start': null } })).statusCode, 202);
  await cloud.compute.waitForServer(id, { status: 'ACTIVE' });
  assert.equal((await f.call('POST', `/compute/v2.1/servers/${id}/action`, { body: { reboot: { type: 'HARD' } } })).statusCode, 202);
  await cloud.compute.waitForServer(id, { status: 'ACTIVE' });

  assert.equal((await f.call('DELETE', `/compute/v2.1/servers/${id}`)).statusCode, 204);
  await cloud.compute.waitForDelete(id);
  const gone = await f.call('GET', `/compute/v2.1/servers/${id}`);
  assert.equal(gone.statusCode, 404);
  assert.deepEqual(json(gone), { itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/servers')).servers, []);
});

test('create refuses what it cannot do: no networks at 2.37, unknown image, flavor, zone or key, networks; quota over is 403', async (t) => {
  const { f, cirros } = await computeFixture(t);
  const create = (server: Json, headers: Record<string, string> = V237) => f.call('POST', '/compute/v2.1/servers', { headers, body: { server } });
  const base = { name: 'x', imageRef: cirros.id, flavorRef: '1', networks: 'none' };
  const cases: [Json, Record<string, string> | undefined, RegExp][] = [
    [{ name: 'x', imageRef: cirros.id, flavorRef: '1' }, undefined, /'networks' is a required property/],
    [base, { 'openstack-api-version': 'compute 2.1' }, /needs microversion 2\.37/],
    [{ ...base, imageRef: '6b1c7e5a-0000-4000-8000-000000000000' }, undefined, /Image .* could not be found/],
    [{ ...base, flavorRef: '99' }, undefined, /Flavor 99 could not be found/],
    [{ ...base, availability_zone: 'mars' }, undefined, /availability zone/],
    [{ ...base, key_name: 'missing' }, undefined, /key_name/],
    [{ ...base, networks: [{ uuid: 'b0b0b0b0-0000-4000-8000-000000000000' }] }, undefined, /Network .* could not be found/],
    [{ ...base, min_count: 2, max_count: 2 }, undefined, /min_count/],
    [{ ...base, surprise: 1 }, undefined, /Invalid input/],
  ];
  for (const [server, headers, message] of cases) {
    const body = JSON.parse(JSON.stringify(server)) as Json;
    const res = await create(body, headers);
    assert.equal(res.statusCode, 400, `${JSON.stringify(server)}: ${res.body}`);
    assert.match(json(res).badRequest.message, message);
  }
  // Networks as a list at 2.1 (empty: no ports) is fine there.
  const at21 = await create({ ...base, networks: [] }, {});
  assert.equal(at21.statusCode, 202);
  const project = json(await f.call('GET', '/identity/v3/projects?name=admin')).projects[0].id as string;
  const setQuota = await f.call('PUT', `/compute/v2.1/os-quota-sets/${project}`, { body: { quota_set: { instances: 1 } } });
  assert.equal(setQuota.statusCode, 200, setQuota.body);
  assert.equal(json(setQuota).quota_set.instances, 1);
  const over = await create(base);
  assert.equal(over.statusCode, 403);
  assert.match(json(over).forbidden.message, /quota|instances/i);
});

test('flavors: create as the SDK sends it, show by id only, extra specs, access to a private flavor, delete; users may not create', async (t) => {
  const { f } = await computeFixture(t);
  const made = await f.call('POST', '/compute/v2.1/flavors', {
    body: { flavor: { id: null, rxtx_factor: 1.0, swap: 0, 'OS-FLV-EXT-DATA:ephemeral': 0, ram: 256, 'os-flavor-access:is_public': false, disk: 2, name: 'small.private', vcpus: 1 } },
  });
  assert.equal(made.statusCode, 200, made.body);
  const flavor = json(made).flavor;
  assert.equal(flavor.swap, '');
  assert.equal(flavor['os-flavor-access:is_public'], false);
  const id = flavor.id as string;
  assert.equal((await f.call('GET', '/compute/v2.1/flavors/small.private')).statusCode, 404);
  assert.equal(json(await f.call('GET', `/compute/v2.1/flavors/${id}`)).flavor.name, 'small.private');
  assert.deepEqual(json(await f.call('POST', `/compute/v2.1/flavors/${id}/os-extra_specs`, { body: { extra_specs: { 'hw:cpu_policy': 'shared' } } })).extra_specs, { 'hw:cpu_policy': 'shared' });
  assert.deepEqual(json(await f.call('GET', `/compute/v2.1/flavors/${id}/os-extra_specs`)).extra_specs, { 'hw:cpu_policy': 'shared' });
  assert.deepEqual(json(await f.call('GET', `/compute/v2.1/flavors/${id}/os-extra_specs/hw:cpu_policy`)), { 'hw:cpu_policy': 'shared' });
  assert.equal((await f.call('DELETE', `/compute/v2.1/flavors/${id}/os-extra_specs/hw:cpu_policy`)).statusCode, 200);
  assert.equal((await f.call('GET', `/compute/v2.1/flavors/${id}/os-extra_specs/hw:cpu_policy`)).statusCode, 404);

  const user = await memberOf(f, 'carol');
  const hidden = await f.call('GET', '/compute/v2.1/flavors/detail', { token: user.token });
  assert.ok(!json(hidden).flavors.some((x: Json) => x.id === id));
  const added = await f.call('POST', `/compute/v2.1/flavors/${id}/action`, { body: { addTenantAccess: { tenant: user.projectId } } });
  assert.deepEqual(json(added).flavor_access, [{ flavor_id: id, tenant_id: user.projectId }]);
  assert.ok(json(await f.call('GET', '/compute/v2.1/flavors/detail', { token: user.token })).flavors.some((x: Json) => x.id === id));
  assert.equal(json(await f.call('GET', `/compute/v2.1/flavors/${id}/os-flavor-access`)).flavor_access.length, 1);
  assert.equal((await f.call('POST', '/compute/v2.1/flavors', { token: user.token, body: { flavor: { name: 'mine', ram: 1, vcpus: 1, disk: 0 } } })).statusCode, 403);

  const adminAll = json(await f.call('GET', '/compute/v2.1/flavors?is_public=None')).flavors.map((x: Json) => x.id);
  assert.ok(adminAll.includes(id));
  assert.ok(!json(await f.call('GET', '/compute/v2.1/flavors')).flavors.some((x: Json) => x.id === id), 'is_public defaults to true for admins');
  assert.equal((await f.call('DELETE', `/compute/v2.1/flavors/${id}`)).statusCode, 202);
  assert.equal((await f.call('GET', `/compute/v2.1/flavors/${id}`)).statusCode, 404);
});

test('lists page with limit and marker, sort by sort_key/sort_dir, and a missing marker is 400', async (t) => {
  const { f, cirros } = await computeFixture(t);
  const first = json(await f.call('GET', '/compute/v2.1/flavors?limit=2'));
  assert.deepEqual(first.flavors.map((x: Json) => x.id), ['1', '2']);
  assert.match(first.flavors_links[0].href, /marker=2/);
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/flavors?limit=2&marker=2')).flavors.map((x: Json) => x.id), ['3', '4']);
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/flavors/detail?sort_key=memory_mb&sort_dir=desc&limit=1')).flavors.map((x: Json) => x.name), ['m1.xlarge']);
  const missing = await f.call('GET', '/compute/v2.1/flavors?marker=nope');
  assert.equal(missing.statusCode, 400);
  assert.match(json(missing).badRequest.message, /marker \[nope\] not found/);
  assert.equal((await f.call('GET', '/compute/v2.1/flavors?sort_key=colour')).statusCode, 400);
  const ids = [];
  for (const name of ['a', 'b', 'c']) ids.push(await createServer(f, cirros.id, name));
  const page = json(await f.call('GET', '/compute/v2.1/servers?limit=2&sort_key=display_name&sort_dir=asc'));
  assert.deepEqual(page.servers.map((s: Json) => s.name), ['a', 'b']);
  const next = new URL(page.servers_links[0].href as string);
  assert.deepEqual(json(await f.call('GET', `/compute/v2.1/servers${next.search}`)).servers.map((s: Json) => s.name), ['c']);
  assert.equal(json(await f.call('GET', '/compute/v2.1/servers')).servers[0].name, 'c', 'newest first by default');
});

test('key pairs: generated at 2.1 (200, no type) and 2.2 (201, ssh), imported, listed, shown, deleted (202 / 204)', async (t) => {
  const { f } = await computeFixture(t);
  const v21 = await f.call('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'k1' } } });
  assert.equal(v21.statusCode, 200);
  assert.equal(json(v21).keypair.type, undefined);
  assert.match(json(v21).keypair.private_key, /BEGIN OPENSSH PRIVATE KEY/);
  const v22 = await f.call('POST', '/compute/v2.1/os-keypairs', { headers: { 'openstack-api-version': 'compute 2.2' }, body: { keypair: { name: 'k2', type: 'ssh' } } });
  assert.equal(v22.statusCode, 201);
  assert.equal(json(v22).keypair.type, 'ssh');
  const publicKey = json(v22).keypair.public_key as string;
  const imported = await f.call('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'k3', public_key: publicKey } } });
  assert.equal(json(imported).keypair.private_key, undefined);
  assert.equal(json(imported).keypair.fingerprint, json(v22).keypair.fingerprint);
  assert.equal((await f.call('POST', '/compute/v2.1/os-keypairs', { body: { keypair: { name: 'k1' } } })).statusCode, 409);
  const listed = json(await f.call('GET', '/compute/v2.1/os-keypairs', { headers: V237 })).keypairs;
  assert.deepEqual(listed.map((k: Json) => k.keypair.name), ['k1', 'k2', 'k3']);
  assert.equal(listed[0].keypair.type, 'ssh');
  const shown = json(await f.call('GET', '/compute/v2.1/os-keypairs/k1')).keypair;
  assert.equal(shown.deleted, false);
  assert.equal(typeof shown.id, 'number');
  assert.equal((await f.call('GET', '/compute/v2.1/os-keypairs/nope')).statusCode, 404);
  assert.equal((await f.call('DELETE', '/compute/v2.1/os-keypairs/k1')).statusCode, 202);
  assert.equal((await f.call('DELETE', '/compute/v2.1/os-keypairs/k2', { headers: V237 })).statusCode, 204);
  assert.equal((await f.call('GET', '/compute/v2.1/os-keypairs/k1')).statusCode, 404);
});

test('server groups, zones, limits, quota sets, compute services and hypervisors; users are kept to their own', async (t) => {
  const { f, cirros, cloud } = await computeFixture(t);
  const soft = await f.call('POST', '/compute/v2.1/os-server-groups', { body: { server_group: { name: 'g0', policies: ['soft-affinity'] } } });
  assert.equal(soft.statusCode, 400);
  const group = await f.call('POST', '/compute/v2.1/os-server-groups', { headers: V237, body: { server_group: { name: 'g1', policies: ['anti-affinity'] } } });
  assert.equal(group.statusCode, 200);
  const g = json(group).server_group;
  assert.deepEqual([g.policies, g.members, typeof g.project_id], [['anti-affinity'], [], 'string']);
  const member = await f.call('POST', '/compute/v2.1/servers', { headers: V237, body: { server: { name: 'in-group', imageRef: cirros.id, flavorRef: '1', networks: 'none' }, 'os:scheduler_hints': { group: g.id } } });
  assert.equal(member.statusCode, 202);
  await cloud.compute.waitForServer(json(member).server.id as string);
  assert.deepEqual(json(await f.call('GET', `/compute/v2.1/os-server-groups/${g.id}`)).server_group.members, [json(member).server.id]);
  assert.equal(json(await f.call('GET', '/compute/v2.1/os-server-groups')).server_groups.length, 1);

  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/os-availability-zone')).availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
  assert.deepEqual(Object.keys(json(await f.call('GET', '/compute/v2.1/os-availability-zone/detail')).availabilityZoneInfo[0].hosts).sort(), ['host-1', 'host-2']);
  const limits = json(await f.call('GET', '/compute/v2.1/limits')).limits.absolute;
  assert.deepEqual([limits.totalInstancesUsed, limits.totalCoresUsed, limits.totalRAMUsed, limits.totalServerGroupsUsed], [1, 1, 512, 1]);
  const project = json(await f.call('GET', '/identity/v3/projects?name=admin')).projects[0].id as string;
  const detail = json(await f.call('GET', `/compute/v2.1/os-quota-sets/${project}/detail`)).quota_set;
  assert.deepEqual(detail.instances, { limit: 10, in_use: 1, reserved: 0 });
  const at236 = json(await f.call('GET', `/compute/v2.1/os-quota-sets/${project}`, { headers: V237 })).quota_set;
  assert.equal(at236.floating_ips, undefined, 'nova-network quotas are gone at 2.36');
  assert.equal(json(await f.call('GET', `/compute/v2.1/os-quota-sets/${project}/defaults`)).quota_set.cores, 20);
  assert.equal(json(await f.call('PUT', `/compute/v2.1/os-quota-sets/${project}`, { body: { quota_set: { cores: 40 } } })).quota_set.cores, 40);
  assert.equal((await f.call('DELETE', `/compute/v2.1/os-quota-sets/${project}`)).statusCode, 202);
  assert.equal(json(await f.call('GET', `/compute/v2.1/os-quota-sets/${project}`)).quota_set.cores, 20);
  assert.equal((await f.call('PUT', `/compute/v2.1/os-quota-sets/${project}`, { body: { quota_set: { key_pairs: 5 } } })).statusCode, 400);

  const services = json(await f.call('GET', '/compute/v2.1/os-services')).services;
  assert.deepEqual(services.map((s: Json) => [s.id, s.host, s.binary, s.state]), [[1, 'host-1', 'nova-compute', 'up'], [2, 'host-2', 'nova-compute', 'up']]);
  const disabled = await f.call('PUT', '/compute/v2.1/os-services/disable-log-reason', { body: { host: 'host-2', binary: 'nova-compute', disabled_reason: 'maintenance' } });
  assert.deepEqual(json(disabled).service, { host: 'host-2', binary: 'nova-compute', status: 'disabled', disabled_reason: 'maintenance' });
  const after = json(await f.call('GET', '/compute/v2.1/os-services?host=host-2', { headers: V237 })).services[0];
  assert.deepEqual([after.status, after.disabled_reason, after.forced_down], ['disabled', 'maintenance', false]);
  assert.equal((await f.call('PUT', '/compute/v2.1/os-services/enable', { body: { host: 'host-2', binary: 'nova-compute' } })).statusCode, 200);
  const hyper = json(await f.call('GET', '/compute/v2.1/os-hypervisors/detail')).hypervisors;
  assert.equal(hyper.length, 2);
  assert.equal(hyper.reduce((n: number, h: Json) => n + (h.running_vms as number), 0), 1);
  assert.equal(hyper[0].cpu_info, '{}');
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/os-hypervisors/1', { headers: V237 })).hypervisor.cpu_info, {});
  assert.equal(json(await f.call('GET', '/compute/v2.1/os-hypervisors/statistics')).hypervisor_statistics.count, 2);
  assert.equal((await f.call('GET', '/compute/v2.1/os-hypervisors/9')).statusCode, 404);

  const user = await memberOf(f, 'dave');
  for (const path of ['/compute/v2.1/os-services', '/compute/v2.1/os-hypervisors', `/compute/v2.1/os-quota-sets/${project}`]) {
    const res = await f.call('GET', path, { token: user.token });
    assert.equal(res.statusCode, 403, path);
    assert.equal(json(res).forbidden.code, 403);
  }
  assert.deepEqual(json(await f.call('GET', '/compute/v2.1/servers', { token: user.token })).servers, []);
  assert.equal((await f.call('GET', `/compute/v2.1/servers/${json(member).server.id}`, { token: user.token })).statusCode, 404);
  assert.equal(json(await f.call('GET', '/compute/v2.1/servers?all_tenants=1')).servers.length, 1);
});
