// Password authentication and scopes (Keystone v3 semantics): the right password gets a token,
// a wrong one or an unknown user gets UNAUTHORIZED with the same message; a project scope (by
// name or id) carries the user's roles there (with the implied ones), no role there is 401;
// no scope means the default project; domain scope needs a role on the domain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, identityFixture, unwrap } from './identity-fixture.js';
import { bootstrapAdmin, hashToken, SYSTEM_CALLER, type UserView } from '../../actors/identity/index.js';

test('the right password gets a 256-bit token scoped to the project; wrong password and unknown user get the same 401', async (t) => {
  const f = await identityFixture(t);
  const alpha = await f.project('alpha');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');

  const good = unwrap(await f.login({ userName: 'alice', password: 'alice-pw', projectName: 'alpha' }));
  assert.equal(Buffer.from(good.token, 'base64url').length, 32);
  assert.deepEqual(good.caller, {
    userId: alice.id,
    userName: 'alice',
    domainId: 'default',
    projectId: alpha.id,
    roles: ['member', 'reader'],
    expiresAt: f.clock.now() + 3_600_000,
  });
  assert.equal(good.expiresAt, f.clock.now() + 3_600_000);

  const wrong = await f.login({ userName: 'alice', password: 'alice-PW', projectName: 'alpha' });
  const unknown = await f.login({ userName: 'mallory', password: 'alice-pw', projectName: 'alpha' });
  const wrongDomain = await f.login({ userName: 'alice', password: 'alice-pw', domainName: 'Elsewhere' });
  for (const r of [wrong, unknown, wrongDomain]) {
    assert.equal(r.ok, false);
    if (r.ok) continue;
    assert.equal(r.error.code, 'UNAUTHORIZED');
    assert.equal(r.error.status, 401);
    assert.equal(r.error.message, 'The request you have made requires authentication.');
  }
});

test('two logins give two different tokens; only the hash is an actor address', async (t) => {
  const f = await identityFixture(t);
  const a = unwrap(await f.login({ userName: 'admin', password: ADMIN_PASSWORD, projectName: 'admin' }));
  const b = unwrap(await f.login({ userName: 'admin', password: ADMIN_PASSWORD, projectName: 'admin' }));
  assert.notEqual(a.token, b.token);
  assert.match(hashToken(a.token), /^[0-9a-f]{64}$/);
  const validated = unwrap(await f.system.ref('token', hashToken(a.token)).ask({ type: 'validate' }));
  assert.deepEqual(validated, a.caller);
});

test('scopes: by project id, by name, the default project, unscoped, domain; no role on the project is 401', async (t) => {
  const f = await identityFixture(t);
  const alpha = await f.project('alpha');
  const beta = await f.project('beta');
  const bob = await f.user('bob', 'bob-pw', alpha.id, 'reader');

  const byId = unwrap(await f.login({ userName: 'bob', password: 'bob-pw', projectId: alpha.id }));
  assert.equal(byId.caller.projectId, alpha.id);
  assert.deepEqual(byId.caller.roles, ['reader']);

  // No scope: bob's default project (he holds a role there).
  const implicit = unwrap(await f.login({ userName: 'bob', password: 'bob-pw' }));
  assert.equal(implicit.caller.projectId, alpha.id);

  // A role on beta is what makes beta a scope bob may have.
  const refused = await f.login({ userName: 'bob', password: 'bob-pw', projectName: 'beta' });
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'UNAUTHORIZED');
  unwrap(await f.ask({ type: 'grant', caller: f.admin, userId: bob.id, projectId: beta.id, role: 'member' }));
  const onBeta = unwrap(await f.login({ userName: 'bob', password: 'bob-pw', projectName: 'beta' }));
  assert.deepEqual([onBeta.caller.projectId, onBeta.caller.roles], [beta.id, ['member', 'reader']]);

  // Unscoped: a user without a default project gets a token with no project and no roles.
  const carol = unwrap(await f.ask({ type: 'createUser', caller: f.admin, name: 'carol', password: 'carol-pw' })) as UserView;
  const unscoped = unwrap(await f.login({ userName: 'carol', password: 'carol-pw' }));
  assert.deepEqual([unscoped.caller.userId, unscoped.caller.projectId, unscoped.caller.roles], [carol.id, null, []]);

  // Domain scope: the admin holds admin on the domain; bob does not.
  const domain = unwrap(await f.login({ userName: 'admin', password: ADMIN_PASSWORD, scope: 'domain' }));
  assert.deepEqual([domain.caller.projectId, domain.caller.roles], [null, ['admin', 'member', 'reader']]);
  const bobDomain = await f.login({ userName: 'bob', password: 'bob-pw', scope: 'domain' });
  assert.equal(bobDomain.ok ? 'ok' : bobDomain.error.code, 'UNAUTHORIZED');

  // Unknown project, or two scopes at once.
  const nowhere = await f.login({ userName: 'bob', password: 'bob-pw', projectName: 'gamma' });
  assert.equal(nowhere.ok ? 'ok' : nowhere.error.code, 'UNAUTHORIZED');
  const both = await f.login({ userName: 'bob', password: 'bob-pw', projectName: 'alpha', scope: 'domain' });
  assert.equal(both.ok ? 'ok' : both.error.code, 'BAD_REQUEST');
});

test('a disabled user or project cannot log in; enabling it again lets it', async (t) => {
  const f = await identityFixture(t);
  const alpha = await f.project('alpha');
  const dave = await f.user('dave', 'dave-pw', alpha.id, 'member');
  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: dave.id, enabled: false }));
  const disabled = await f.login({ userName: 'dave', password: 'dave-pw', projectName: 'alpha' });
  assert.equal(disabled.ok ? 'ok' : disabled.error.code, 'UNAUTHORIZED');
  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: dave.id, enabled: true }));
  unwrap(await f.login({ userName: 'dave', password: 'dave-pw', projectName: 'alpha' }));

  unwrap(await f.ask({ type: 'updateProject', caller: f.admin, projectId: alpha.id, enabled: false }));
  const projectOff = await f.login({ userName: 'dave', password: 'dave-pw', projectName: 'alpha' });
  assert.equal(projectOff.ok ? 'ok' : projectOff.error.code, 'UNAUTHORIZED');
});

test('bootstrap is idempotent, keeps the admin password it has, and is for the fabric only', async (t) => {
  const f = await identityFixture(t);
  const again = unwrap(await bootstrapAdmin(f.system, { password: 'some-other-password' }));
  assert.deepEqual(again, { projectId: f.adminProjectId, userId: f.admin.userId, created: false });
  unwrap(await f.login({ userName: 'admin', password: ADMIN_PASSWORD, projectName: 'admin' }));
  const other = await f.login({ userName: 'admin', password: 'some-other-password', projectName: 'admin' });
  assert.equal(other.ok, false);

  const byAdmin = await f.ask({ type: 'bootstrap', caller: f.admin, adminPassword: 'x' });
  assert.equal(byAdmin.ok ? 'ok' : byAdmin.error.code, 'FORBIDDEN');
  const anonymous = await f.ask({ type: 'bootstrap', adminPassword: 'x' });
  assert.equal(anonymous.ok ? 'ok' : anonymous.error.code, 'UNAUTHORIZED');
  const system = await f.ask({ type: 'bootstrap', caller: SYSTEM_CALLER, adminPassword: 'x' });
  assert.equal(system.ok, true);
});
