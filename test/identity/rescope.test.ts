// Token rescoping (Keystone's token method) inside identity/<d>: a valid token's user gets a new
// token on another project it holds a role on (or the domain), with that scope's roles and the
// presented token's expiry; no role there, a disabled user, the fabric's own caller or no caller
// at all get nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityFixture, unwrap } from './identity-fixture.js';
import { SYSTEM_CALLER, type AuthResult } from '../../actors/identity/index.js';

test('rescope: another project the user holds a role on, expiring with the presented token', async (t) => {
  const f = await identityFixture(t);
  const alpha = await f.project('alpha');
  const beta = await f.project('beta');
  const gamma = await f.project('gamma');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');
  unwrap(await f.ask({ type: 'grant', caller: f.admin, userId: alice.id, projectId: beta.id, role: 'reader' }));
  const onAlpha = unwrap(await f.login({ userName: 'alice', password: 'alice-pw', projectName: 'alpha' }));
  f.clock.advance(600_000);

  const onBeta = unwrap(await f.ask({ type: 'rescope', caller: onAlpha.caller, projectName: 'beta' })) as AuthResult;
  assert.notEqual(onBeta.token, onAlpha.token);
  assert.deepEqual(onBeta.caller, { ...onAlpha.caller, projectId: beta.id, roles: ['reader'] });
  assert.equal(onBeta.expiresAt, onAlpha.expiresAt);
  // And back by id; the domain (no role there) and gamma (none either) are refused like Keystone.
  assert.equal((unwrap(await f.ask({ type: 'rescope', caller: onBeta.caller, projectId: alpha.id })) as AuthResult).caller.projectId, alpha.id);
  for (const scope of [{ projectId: gamma.id }, { scope: 'domain' as const }]) {
    const r = await f.ask({ type: 'rescope', caller: onAlpha.caller, ...scope });
    assert.equal(r.ok ? 'ok' : r.error.code, 'UNAUTHORIZED', JSON.stringify(scope));
  }
  const both = await f.ask({ type: 'rescope', caller: onAlpha.caller, projectId: beta.id, scope: 'domain' });
  assert.equal(both.ok ? 'ok' : both.error.code, 'BAD_REQUEST');
  for (const caller of [SYSTEM_CALLER, undefined]) {
    const r = await f.ask({ type: 'rescope', caller, projectName: 'beta' });
    assert.equal(r.ok ? 'ok' : r.error.code, 'UNAUTHORIZED');
  }
  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: alice.id, enabled: false }));
  const disabled = await f.ask({ type: 'rescope', caller: onAlpha.caller, projectName: 'beta' });
  assert.equal(disabled.ok ? 'ok' : disabled.error.code, 'UNAUTHORIZED');
});
