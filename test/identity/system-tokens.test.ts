// Tokens without a password, and the admin's bootstrap off the critical path: mintToken gives the
// fabric itself a token for a named user and is refused for every other caller (admins included);
// a login that arrives while the bootstrap's scrypt hash is still being computed waits for it and
// succeeds; a start that died before the hash was stored leaves no usable password, and the next
// bootstrap (with openrc's password) repairs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityFixture, unwrap } from './identity-fixture.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import {
  bootstrapAdmin,
  hashToken,
  issueToken,
  mintToken,
  registerIdentity,
  startBootstrap,
  IDENTITY_KIND,
  SYSTEM_CALLER,
  type IdentityMessage,
} from '../../actors/identity/index.js';

test('mintToken: the fabric gets a token for a user without its password; any other caller is refused', async (t) => {
  const f = await identityFixture(t);
  const alpha = await f.project('alpha');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');

  const minted = unwrap(await mintToken(f.system, { userName: 'alice', projectName: 'alpha' }));
  assert.deepEqual(minted.caller, { userId: alice.id, userName: 'alice', domainId: 'default', projectId: alpha.id, roles: ['member', 'reader'], expiresAt: f.clock.now() + 3_600_000 });
  assert.deepEqual(unwrap(await f.system.ref('token', hashToken(minted.token)).ask({ type: 'validate' })), minted.caller);
  // The rules of a scope still hold: no role on the project, no token; no such user, none either.
  assert.equal((await mintToken(f.system, { userName: 'alice', projectName: 'admin' })).ok, false);
  assert.equal((await mintToken(f.system, { userName: 'mallory', projectName: 'alpha' })).ok, false);

  const aliceCaller = unwrap(await f.login({ userName: 'alice', password: 'alice-pw', projectName: 'alpha' })).caller;
  const asks: Array<[unknown, string]> = [
    [f.admin, 'FORBIDDEN'],
    [aliceCaller, 'FORBIDDEN'],
    [undefined, 'UNAUTHORIZED'],
    [null, 'UNAUTHORIZED'],
  ];
  for (const [caller, code] of asks) {
    const r = await f.ask({ type: 'mintToken', caller, userName: 'admin', projectName: 'admin' });
    assert.equal(r.ok ? 'ok' : r.error.code, code, `caller ${JSON.stringify(caller)}`);
  }
  // Only the fabric's own SYSTEM_CALLER passes (no token carries it: the fabric node puts the
  // token's caller on every remote request; test/sdk/system-token.test.ts sends one remotely).
  assert.equal((await f.ask({ type: 'mintToken', caller: SYSTEM_CALLER, userName: 'admin', projectName: 'admin' })).ok, true);
});

test('a login arriving before the bootstrap hash is stored waits for it and succeeds; the hash is then durable', async (t) => {
  const clock = new VirtualClock(1_700_000_000_000);
  const store = createMemoryStore();
  const system = createActorSystem({ store, clock });
  t.after(() => system.stop());
  // The full cost, so the hash is still running when the login arrives.
  unwrap(registerIdentity(system, { passwordCost: 16_384 }));
  const started = unwrap(await startBootstrap(system, { password: 'openrc-password' }));
  assert.equal(adminHash(store), null, 'the bootstrap answered before its hash was stored');

  const [login, wrong] = await Promise.all([
    issueToken(system, { userName: 'admin', password: 'openrc-password', projectName: 'admin' }),
    issueToken(system, { userName: 'admin', password: 'not-it', projectName: 'admin' }),
  ]);
  assert.equal(unwrap(login).caller.projectId, started.admin.projectId);
  assert.equal(wrong.ok ? 'ok' : wrong.error.code, 'UNAUTHORIZED');

  unwrap(await started.settle());
  assert.equal(adminHash(store)?.cost, 16_384);
  // Settling again finds nothing left to store.
  const settle: IdentityMessage = { type: 'settlePasswords', caller: SYSTEM_CALLER };
  assert.deepEqual(unwrap(await system.ref(IDENTITY_KIND, 'default').ask(settle)), { settled: 0 });
});

test('a start that died before storing the admin hash: no password logs in until the next bootstrap stores openrc’s', async (t) => {
  const clock = new VirtualClock(1_700_000_000_000);
  const store = createMemoryStore();
  const first = createActorSystem({ store, clock });
  unwrap(registerIdentity(first, { passwordCost: 1024 }));
  unwrap(await startBootstrap(first, { password: 'openrc-password' }));
  await first.stop(); // dies before settle()

  const second = createActorSystem({ store, clock });
  t.after(() => second.stop());
  unwrap(registerIdentity(second, { passwordCost: 1024 }));
  const before = await issueToken(second, { userName: 'admin', password: 'openrc-password', projectName: 'admin' });
  assert.equal(before.ok ? 'ok' : before.error.code, 'UNAUTHORIZED', 'a null password matches nothing');
  const again = unwrap(await bootstrapAdmin(second, { password: 'openrc-password' }));
  assert.equal(again.created, false);
  assert.equal(adminHash(store)?.cost, 1024);
  assert.equal((await issueToken(second, { userName: 'admin', password: 'openrc-password', projectName: 'admin' })).ok, true);
});

/** The admin's stored password hash, straight from the store (null while it is computed). */
function adminHash(store: ActorStore): { cost: number } | null | undefined {
  const record = store.load<{ users: Record<string, { name: string; password: { cost: number } | null }> }>(`${IDENTITY_KIND}/default`);
  return Object.values(record?.state.users ?? {}).find((u) => u.name === 'admin')?.password;
}
