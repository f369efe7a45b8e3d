// Bad input changes nothing: every route that takes a body answers 400 (415 for a body that is
// not JSON) with its service's fault body to malformed bodies, and the fabric's state (flavors,
// servers, key pairs, groups, projects, users, quotas) is the same afterwards; a missing
// resource is 404 itemNotFound; every response carries x-openstack-request-id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud } from '../../sdk/index.js';
import type { ApiFixture } from './fixture.js';
import { startApiFixture } from './fixture.js';
import { realCirros } from './images-real.js';
import { faultStatus, fill, routesOf } from './routes.js';

async function snapshot(f: ApiFixture): Promise<string> {
  const paths = [
    '/compute/v2.1/flavors/detail?is_public=None',
    '/compute/v2.1/servers/detail?all_tenants=1',
    '/compute/v2.1/os-keypairs',
    '/compute/v2.1/os-server-groups?all_projects=1',
    '/compute/v2.1/limits',
    '/compute/v2.1/os-services',
    '/identity/v3/projects',
    '/identity/v3/users',
    '/identity/v3/role_assignments',
  ];
  const bodies = await Promise.all(paths.map(async (p) => (await f.call('GET', p)).body));
  // updated_at of services moves with heartbeats; everything else must not move at all.
  return bodies.join('\n').replace(/"updated_at":"[^"]*"/g, '');
}

test('malformed bodies on every body route: 400 in the service fault format, 415 for non-JSON, and nothing changes', async (t) => {
  const f = await startApiFixture(t);
  const cirros = await realCirros(f.fabric);
  // Real ids, so the body (not the id) is what is wrong.
  const server = JSON.parse((await f.call('POST', '/compute/v2.1/servers', { body: { server: { name: 'keep', imageRef: cirros.id, flavorRef: '1' } } })).body).server.id as string;
  const cloud = await Cloud.attach(f.fabric);
  t.after(() => cloud.stop());
  await cloud.compute.waitForServer(server);
  const project = JSON.parse((await f.call('GET', '/identity/v3/projects?name=admin')).body).projects[0].id as string;
  const user = JSON.parse((await f.call('GET', '/identity/v3/users?name=admin')).body).users[0].id as string;
  const values: Record<string, string> = { id: server, key: 'k', project, target: project, userId: user, roleId: 'member', action: 'disable' };
  const routes = (await routesOf(f.app)).filter((r) => r.hasBody);
  assert.ok(routes.length >= 20, `${routes.length} body routes`);
  const before = await snapshot(f);
  const malformed: readonly [string, string][] = [
    ['[]', 'application/json'],
    ['"text"', 'application/json'],
    ['42', 'application/json'],
    ['{}', 'application/json'],
    ['{"unexpected": {"nested": [1, 2, 3]}}', 'application/json'],
    ['{"a":', 'application/json'],
    ['{"__proto__": {"admin": true}}', 'application/json'],
  ];
  for (const route of routes) {
    const values2 = route.path.includes('/flavors/') ? { ...values, id: '1' } : route.path.includes('os-server-groups') || route.path.includes('os-keypairs') ? { ...values, id: 'nope' } : values;
    const url = fill(route.path, values2);
    for (const [payload, type] of malformed) {
      const res = await f.app.inject({ method: route.method as 'POST', url, payload, headers: { 'x-auth-token': f.admin, 'content-type': type } });
      assert.equal(res.statusCode, 400, `${route.method} ${url} ${payload}: ${res.body}`);
      assert.equal(faultStatus(route.style, JSON.parse(res.body)), 400, `${route.method} ${url} ${payload}: ${res.body}`);
      assert.match(res.headers['x-openstack-request-id'] as string, /^req-/);
    }
    const text = await f.app.inject({ method: route.method as 'POST', url, payload: 'name=x', headers: { 'x-auth-token': f.admin, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(text.statusCode, 415, `${route.method} ${url}: ${text.body}`);
    assert.equal(faultStatus(route.style, JSON.parse(text.body)), 415);
  }
  assert.equal(await snapshot(f), before);
});

test('missing resources are 404 itemNotFound with Nova wording; unknown paths 404 in the service format', async (t) => {
  const f = await startApiFixture(t);
  await realCirros(f.fabric);
  const uuid = '5a5a5a5a-0000-4000-8000-000000000000';
  const cases: readonly [string, RegExp][] = [
    [`/compute/v2.1/servers/${uuid}`, /^Instance 5a5a5a5a-0000-4000-8000-000000000000 could not be found\.$/],
    ['/compute/v2.1/servers/vm%20one', /^Instance vm one could not be found\.$/],
    [`/compute/v2.1/servers/${uuid}/metadata`, /could not be found/],
    ['/compute/v2.1/flavors/m1.huge', /^Flavor m1\.huge could not be found\.$/],
    ['/compute/v2.1/flavors/99/os-extra_specs', /Flavor 99 could not be found/],
    ['/compute/v2.1/os-keypairs/none', /Keypair none not found/],
    [`/compute/v2.1/os-server-groups/${uuid}`, /Server group .* could not be found/],
    ['/compute/v2.1/os-hypervisors/42', /Hypervisor with ID 42 could not be found/],
    ['/compute/v2.1/no-such-thing', /not a resource/],
  ];
  for (const [path, message] of cases) {
    const res = await f.call('GET', path);
    assert.equal(res.statusCode, 404, `${path}: ${res.body}`);
    const body = JSON.parse(res.body) as { itemNotFound?: { code: number; message: string } };
    assert.equal(body.itemNotFound?.code, 404, path);
    assert.match(body.itemNotFound.message, message);
  }
  const keystone = await f.call('GET', '/identity/v3/nothing');
  assert.equal(JSON.parse(keystone.body).error.code, 404);
  const image = await f.call('GET', `/image/v2/images/${uuid}`);
  assert.equal(image.statusCode, 404);
  assert.equal(JSON.parse(image.body).code, '404 Not Found');
  assert.equal((await f.call('GET', '/image/v2/images/cirros')).statusCode, 404, 'a name is not an id: clients fall back to ?name=');
});
