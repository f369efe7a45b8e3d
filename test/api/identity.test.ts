// Keystone v3 through fastify.inject() on a real fabric: the version documents as keystoneauth
// probes them, password logins with each scope, token validation and revocation (a revoked token
// is refused by every service), the token method, the catalog (only the services that exist),
// projects, users, roles and role assignments, and GET /v3/auth/projects.
/* eslint-disable @typescript-eslint/no-unsafe-return -- response bodies are untyped JSON, read field by field */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiFixture, type ApiFixture } from './fixture.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
const json = (res: { body: string }): Json => JSON.parse(res.body) as Json;

async function passwordLogin(f: ApiFixture, name: string, password: string, scope?: unknown) {
  return f.call('POST', '/identity/v3/auth/tokens', {
    token: null,
    body: { auth: { identity: { methods: ['password'], password: { user: { name, password, domain: { name: 'Default' } } } }, ...(scope === undefined ? {} : { scope }) } },
  });
}

test('version documents: 300 with the list at /identity, 200 at /identity/v3, self links keystoneauth follows', async (t) => {
  const f = await startApiFixture(t);
  for (const path of ['/identity', '/identity/']) {
    const res = await f.call('GET', path, { token: null });
    assert.equal(res.statusCode, 300);
    const v = json(res).versions.values[0];
    assert.equal(v.id, 'v3.14');
    assert.equal(v.status, 'stable');
    assert.equal(v.links[0].href, 'http://localhost:80/identity/v3/');
  }
  for (const path of ['/identity/v3', '/identity/v3/']) {
    const res = await f.call('GET', path, { token: null });
    assert.equal(res.statusCode, 200);
    assert.equal(json(res).version.id, 'v3.14');
    assert.match(res.headers['x-openstack-request-id'] as string, /^req-[0-9a-f-]{36}$/);
  }
});

test('password login scoped to a project: 201, X-Subject-Token, roles, and a catalog of only identity, compute and image', async (t) => {
  const f = await startApiFixture(t);
  const res = await passwordLogin(f, 'admin', f.fabric.adminPassword, { project: { name: 'admin', domain: { name: 'Default' } } });
  assert.equal(res.statusCode, 201);
  const token = res.headers['x-subject-token'] as string;
  assert.ok(token.length >= 40);
  const body = json(res).token;
  assert.deepEqual(body.methods, ['password']);
  assert.equal(body.user.name, 'admin');
  assert.deepEqual(body.user.domain, { id: 'default', name: 'Default' });
  assert.equal(body.project.name, 'admin');
  assert.match(body.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.ok(Date.parse(body.expires_at) - Date.parse(body.issued_at) > 120_000);
  assert.deepEqual(body.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
  assert.deepEqual(body.catalog.map((s: { type: string }) => s.type).sort(), ['compute', 'identity', 'image']);
  for (const service of body.catalog) {
    assert.deepEqual(service.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
    for (const e of service.endpoints) assert.equal(e.region_id, 'RegionOne');
  }
  const compute = body.catalog.find((s: { type: string }) => s.type === 'compute');
  assert.equal(compute.endpoints[0].url, 'http://localhost:80/compute/v2.1');
  const noCatalog = await f.call('POST', '/identity/v3/auth/tokens?nocatalog', {
    token: null,
    body: { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: f.fabric.adminPassword, domain: { id: 'default' } } } }, scope: { project: { id: body.project.id } } } },
  });
  assert.equal(noCatalog.statusCode, 201);
  assert.equal(json(noCatalog).token.catalog, undefined);
  assert.equal(json(noCatalog).token.project.id, body.project.id);
});

test('domain-scoped and unscoped tokens; wrong passwords, unknown users and other domains are 401 alike', async (t) => {
  const f = await startApiFixture(t);
  const domain = await passwordLogin(f, 'admin', f.fabric.adminPassword, { domain: { name: 'Default' } });
  assert.equal(domain.statusCode, 201);
  assert.deepEqual(json(domain).token.domain, { id: 'default', name: 'Default' });
  assert.equal(json(domain).token.project, undefined);
  // A user with no default project gets an unscoped token: no roles, no catalog.
  const user = await f.call('POST', '/identity/v3/users', { body: { user: { name: 'alice', password: 'alice-secret' } } });
  assert.equal(user.statusCode, 201);
  const unscoped = await passwordLogin(f, 'alice', 'alice-secret');
  assert.equal(unscoped.statusCode, 201);
  assert.equal(json(unscoped).token.roles, undefined);
  assert.equal(json(unscoped).token.catalog, undefined);
  for (const bad of [
    await passwordLogin(f, 'admin', 'wrong'),
    await passwordLogin(f, 'nobody', 'x'),
    await passwordLogin(f, ' spaced', 'x'),
    await passwordLogin(f, 'admin', f.fabric.adminPassword, { project: { name: 'admin', domain: { name: 'Other' } } }),
    await passwordLogin(f, 'alice', 'alice-secret', { project: { name: 'admin', domain: { name: 'Default' } } }),
  ]) {
    assert.equal(bad.statusCode, 401, bad.body);
    assert.deepEqual(json(bad), { error: { code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized' } });
  }
});

test('GET/HEAD validate, DELETE revokes (then 404), and a revoked token is refused by every service', async (t) => {
  const f = await startApiFixture(t);
  const victim = await f.login('admin', f.fabric.adminPassword, 'admin');
  const shown = await f.call('GET', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': victim } });
  assert.equal(shown.statusCode, 200);
  assert.equal(shown.headers['x-subject-token'], victim);
  assert.equal(json(shown).token.project.name, 'admin');
  const head = await f.call('HEAD', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': victim } });
  assert.equal(head.statusCode, 200);
  const revoked = await f.call('DELETE', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': victim } });
  assert.equal(revoked.statusCode, 204);
  const gone = await f.call('GET', '/identity/v3/auth/tokens', { headers: { 'x-subject-token': victim } });
  assert.equal(gone.statusCode, 404);
  assert.equal(json(gone).error.code, 404);
  const refused = [
    ['/identity/v3/projects', (b: Json) => b.error.code],
    ['/compute/v2.1/servers', (b: Json) => b.unauthorized.code],
    ['/image/v2/images', (b: Json) => b.code],
  ] as const;
  for (const [path, codeOf] of refused) {
    for (const token of [victim, null, 'not-a-token', 'A'.repeat(43)]) {
      const res = await f.call('GET', path, { token });
      assert.equal(res.statusCode, 401, `${path} with ${token}`);
      assert.ok(String(codeOf(json(res))).startsWith('401'));
      assert.equal(res.headers['x-cumulo-error'], 'UNAUTHORIZED');
    }
  }
});

test('token method: the same token for the same scope; a new one for another scope the user holds a role on (rescoping)', async (t) => {
  const f = await startApiFixture(t);
  const same = await f.call('POST', '/identity/v3/auth/tokens', {
    token: null,
    body: { auth: { identity: { methods: ['token'], token: { id: f.admin } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } },
  });
  assert.equal(same.statusCode, 201);
  assert.equal(same.headers['x-subject-token'], f.admin);
  assert.deepEqual(json(same).token.methods, ['token']);
  const domain = await f.call('POST', '/identity/v3/auth/tokens', {
    token: null,
    body: { auth: { identity: { methods: ['token'], token: { id: f.admin } }, scope: { domain: { id: 'default' } } } },
  });
  assert.equal(domain.statusCode, 201);
  assert.notEqual(domain.headers['x-subject-token'], f.admin);
  assert.deepEqual(json(domain).token.domain, { id: 'default', name: 'Default' });
  assert.equal(json(domain).token.expires_at, json(same).token.expires_at, 'a rescoped token expires with the one it came from');
  const bogus = await f.call('POST', '/identity/v3/auth/tokens', { token: null, body: { auth: { identity: { methods: ['token'], token: { id: 'x'.repeat(43) } } } } });
  assert.equal(bogus.statusCode, 401);

  // A member of two projects (reader on the second) moves between them with its token; a
  // project it holds no role on, the domain (no role there) and an unscoped token are refused.
  const demo = json(await f.call('POST', '/identity/v3/projects', { body: { project: { name: 'demo' } } })).project.id as string;
  const other = json(await f.call('POST', '/identity/v3/projects', { body: { project: { name: 'other' } } })).project.id as string;
  const user = json(await f.call('POST', '/identity/v3/users', { body: { user: { name: 'dana', password: 'dana-pw' } } })).user.id as string;
  assert.equal((await f.call('PUT', `/identity/v3/projects/${demo}/users/${user}/roles/member`)).statusCode, 204);
  assert.equal((await f.call('PUT', `/identity/v3/projects/${other}/users/${user}/roles/reader`)).statusCode, 204);
  const dana = await f.login('dana', 'dana-pw', 'demo');
  const rescope = (scope: unknown) => f.call('POST', '/identity/v3/auth/tokens', { token: null, body: { auth: { identity: { methods: ['token'], token: { id: dana } }, scope } } });
  const moved = await rescope({ project: { name: 'other', domain: { name: 'Default' } } });
  assert.equal(moved.statusCode, 201);
  const token = json(moved).token;
  assert.deepEqual([token.project.id, token.user.name, token.roles.map((r: { name: string }) => r.name).sort()], [other, 'dana', ['reader']]);
  const rescoped = moved.headers['x-subject-token'] as string;
  assert.equal((await f.call('GET', `/identity/v3/projects/${other}`, { token: rescoped })).statusCode, 200);
  assert.equal((await rescope({ project: { id: demo } })).statusCode, 201);
  const admin = json(await f.call('GET', '/identity/v3/projects?name=admin')).projects[0].id as string;
  for (const scope of [{ project: { id: admin } }, { domain: { name: 'Default' } }, 'unscoped']) {
    assert.equal((await rescope(scope)).statusCode, 401, JSON.stringify(scope));
  }
});

test('projects, users, role assignments and /v3/auth/projects as admins and users see them', async (t) => {
  const f = await startApiFixture(t);
  const project = await f.call('POST', '/identity/v3/projects', { body: { project: { name: 'demo', description: 'the demo project', domain_id: 'default' } } });
  assert.equal(project.statusCode, 201);
  const pid = json(project).project.id as string;
  assert.equal(json(project).project.domain_id, 'default');
  const dup = await f.call('POST', '/identity/v3/projects', { body: { project: { name: 'demo' } } });
  assert.equal(dup.statusCode, 409);
  assert.equal(json(dup).error.title, 'Conflict');
  const byName = await f.call('GET', '/identity/v3/projects?name=demo');
  assert.deepEqual(json(byName).projects.map((p: { id: string }) => p.id), [pid]);
  assert.equal((await f.call('GET', '/identity/v3/projects/demo')).statusCode, 404);
  const user = await f.call('POST', '/identity/v3/users', { body: { user: { name: 'bob', password: 'bob-secret', default_project_id: pid } } });
  assert.equal(user.statusCode, 201);
  const uid = json(user).user.id as string;
  assert.equal((await f.call('PUT', `/identity/v3/projects/${pid}/users/${uid}/roles/member`)).statusCode, 204);
  assert.equal((await f.call('PUT', `/identity/v3/projects/${pid}/users/${uid}/roles/member`)).statusCode, 204); // idempotent
  assert.equal((await f.call('HEAD', `/identity/v3/projects/${pid}/users/${uid}/roles/member`)).statusCode, 204);
  assert.equal((await f.call('GET', `/identity/v3/projects/${pid}/users/${uid}/roles/reader`)).statusCode, 404);
  assert.equal((await f.call('PUT', `/identity/v3/projects/${pid}/users/${uid}/roles/superuser`)).statusCode, 404);
  const listed = await f.call('GET', `/identity/v3/role_assignments?user.id=${uid}&include_names=1`);
  const assignments = json(listed).role_assignments;
  assert.equal(assignments.length, 1);
  assert.equal(assignments[0].role.name, 'member');
  assert.equal(assignments[0].user.name, 'bob');
  assert.equal(assignments[0].scope.project.name, 'demo');

  const bob = await f.login('bob', 'bob-secret', 'demo');
  const mine = await f.call('GET', '/identity/v3/auth/projects', { token: bob });
  assert.deepEqual(json(mine).projects.map((p: { name: string }) => p.name), ['demo']);
  const forbidden = await f.call('GET', '/identity/v3/users', { token: bob });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(json(forbidden).error.title, 'Forbidden');
  assert.equal((await f.call('GET', `/identity/v3/users/${uid}`, { token: bob })).statusCode, 200);
  assert.equal((await f.call('GET', `/identity/v3/users/${uid}/projects`)).statusCode, 200);

  const disabled = await f.call('PATCH', `/identity/v3/users/${uid}`, { body: { user: { enabled: false } } });
  assert.equal(json(disabled).user.enabled, false);
  assert.equal((await f.call('GET', '/identity/v3/projects', { token: bob })).statusCode, 401); // disabling ends its tokens
  assert.equal((await f.call('DELETE', `/identity/v3/projects/${pid}/users/${uid}/roles/member`)).statusCode, 204);
  assert.equal((await f.call('DELETE', `/identity/v3/users/${uid}`)).statusCode, 204);
  assert.equal((await f.call('GET', `/identity/v3/users/${uid}`)).statusCode, 404);
  assert.equal((await f.call('DELETE', `/identity/v3/projects/${pid}`)).statusCode, 204);

  const roles = await f.call('GET', '/identity/v3/roles');
  assert.deepEqual(json(roles).roles.map((r: { name: string }) => r.name), ['admin', 'member', 'reader']);
  assert.equal(json(await f.call('GET', '/identity/v3/roles?name=reader')).roles.length, 1);
  const domains = await f.call('GET', '/identity/v3/domains?name=Default');
  assert.equal(json(domains).domains[0].id, 'default');
  const services = await f.call('GET', '/identity/v3/services');
  assert.deepEqual(json(services).services.map((s: { type: string }) => s.type).sort(), ['compute', 'identity', 'image']);
  assert.equal(json(await f.call('GET', '/identity/v3/endpoints')).endpoints.length, 9);
});
