// Token lifetime: expiry on the injected clock (default one hour, configurable), explicit
// revocation (by its user or an admin, idempotent), and the revocations that follow identity
// changes (user disabled, password changed, user deleted, role revoked, project deleted). The
// verifier's cache bounds how long a revoked token lives; a sweep cut short by a crash is
// finished when identity/<d> is activated again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityFixture, unwrap } from './identity-fixture.js';
import { hashToken, registerIdentity, tokenVerifier, IDENTITY_KIND, type Caller, type TokenVerifier } from '../../actors/identity/index.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';

async function codeOf(verify: TokenVerifier, token: string): Promise<string> {
  const r = await verify(token);
  return r.ok ? 'ok' : r.error.code;
}

test('a token expires on the clock: valid until expiresAt, UNAUTHORIZED from then on', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  const login = unwrap(await f.login({ userName: 'admin', password: 'first-start-secret-3b1f', projectName: 'admin' }));
  assert.equal(login.expiresAt - f.clock.now(), 3_600_000);
  await f.clock.advanceAsync(3_600_000 - 1);
  assert.equal(await codeOf(verify, login.token), 'ok');
  await f.clock.advanceAsync(1);
  assert.equal(await codeOf(verify, login.token), 'UNAUTHORIZED');
});

test('the token lifetime is configurable', async (t) => {
  const f = await identityFixture(t, { tokenTtlMs: 60_000 });
  const verify = tokenVerifier(f.system);
  const login = unwrap(await f.login({ userName: 'admin', password: 'first-start-secret-3b1f', projectName: 'admin' }));
  assert.equal(login.expiresAt - f.clock.now(), 60_000);
  await f.clock.advanceAsync(60_000);
  assert.equal(await codeOf(verify, login.token), 'UNAUTHORIZED');
});

test('the verifier: no token is anonymous, a malformed or unknown one is UNAUTHORIZED', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  assert.deepEqual(await verify(null), { ok: true, value: undefined });
  assert.equal(await codeOf(verify, 'not a token'), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, Buffer.alloc(32, 7).toString('base64url')), 'UNAUTHORIZED');
});

test('revoke: by the token’s user or an admin, not by another user; idempotent', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  const alpha = await f.project('alpha');
  await f.user('alice', 'alice-pw', alpha.id, 'member');
  await f.user('bob', 'bob-pw', alpha.id, 'member');
  const alice1 = unwrap(await f.login({ userName: 'alice', password: 'alice-pw' }));
  const alice2 = unwrap(await f.login({ userName: 'alice', password: 'alice-pw' }));
  const bob = unwrap(await f.login({ userName: 'bob', password: 'bob-pw' }));
  const tokenRef = (token: string) => f.system.ref('token', hashToken(token));

  const byBob = await tokenRef(alice1.token).ask({ type: 'revoke', caller: bob.caller } as { type: string });
  assert.equal(byBob.ok ? 'ok' : byBob.error.code, 'FORBIDDEN');
  const anonymous = await tokenRef(alice1.token).ask({ type: 'revoke' });
  assert.equal(anonymous.ok ? 'ok' : anonymous.error.code, 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, alice1.token), 'ok');

  unwrap(await tokenRef(alice1.token).ask({ type: 'revoke', caller: alice1.caller } as { type: string }));
  unwrap(await tokenRef(alice1.token).ask({ type: 'revoke', caller: alice1.caller } as { type: string }));
  unwrap(await tokenRef(alice2.token).ask({ type: 'revoke', caller: f.admin } as { type: string }));
  assert.equal(await codeOf(verify, alice1.token), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, alice2.token), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, bob.token), 'ok');
});

test('disabling a user, changing its password or deleting it revokes its tokens', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  const alpha = await f.project('alpha');
  const users = await Promise.all(['u1', 'u2', 'u3'].map((n) => f.user(n, `${n}-pw`, alpha.id, 'member')));
  const tokens = await Promise.all(['u1', 'u2', 'u3'].map(async (n) => unwrap(await f.login({ userName: n, password: `${n}-pw` })).token));
  const bystander = unwrap(await f.login({ userName: 'admin', password: 'first-start-secret-3b1f' })).token;

  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: users[0]!.id, enabled: false }));
  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: users[1]!.id, password: 'new-pw' }));
  unwrap(await f.ask({ type: 'deleteUser', caller: f.admin, userId: users[2]!.id }));
  for (const token of tokens) assert.equal(await codeOf(verify, token), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, bystander), 'ok');
  // The changed password works, the old one does not; the deleted user is gone.
  unwrap(await f.login({ userName: 'u2', password: 'new-pw' }));
  assert.equal((await f.login({ userName: 'u2', password: 'u2-pw' })).ok, false);
  assert.equal((await f.login({ userName: 'u3', password: 'u3-pw' })).ok, false);
});

test('revoking a role ends the user’s tokens on that project only; deleting a project ends all tokens on it', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  const alpha = await f.project('alpha');
  const beta = await f.project('beta');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');
  unwrap(await f.ask({ type: 'grant', caller: f.admin, userId: alice.id, projectId: beta.id, role: 'member' }));
  const onAlpha = unwrap(await f.login({ userName: 'alice', password: 'alice-pw', projectName: 'alpha' })).token;
  const onBeta = unwrap(await f.login({ userName: 'alice', password: 'alice-pw', projectName: 'beta' })).token;

  unwrap(await f.ask({ type: 'revoke', caller: f.admin, userId: alice.id, projectId: alpha.id, role: 'member' }));
  assert.equal(await codeOf(verify, onAlpha), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, onBeta), 'ok');
  const again = await f.ask({ type: 'revoke', caller: f.admin, userId: alice.id, projectId: alpha.id, role: 'member' });
  assert.equal(again.ok ? 'ok' : again.error.code, 'ASSIGNMENT_NOT_FOUND');

  unwrap(await f.ask({ type: 'deleteProject', caller: f.admin, projectId: beta.id }));
  assert.equal(await codeOf(verify, onBeta), 'UNAUTHORIZED');
  const assignments = unwrap(await f.ask({ type: 'listAssignments', caller: f.admin, userId: alice.id }));
  assert.deepEqual(assignments, []);
});

test('with a cache, a revoked token lives at most cacheMs more, and never past its expiry', async (t) => {
  const f = await identityFixture(t, { tokenTtlMs: 10_000 });
  const cached = tokenVerifier(f.system, { cacheMs: 5_000 });
  const exact = tokenVerifier(f.system);
  const login = unwrap(await f.login({ userName: 'admin', password: 'first-start-secret-3b1f' }));
  assert.equal(await codeOf(cached, login.token), 'ok');
  unwrap(await f.system.ref('token', hashToken(login.token)).ask({ type: 'revoke', caller: login.caller } as { type: string }));
  assert.equal(await codeOf(exact, login.token), 'UNAUTHORIZED');
  assert.equal(await codeOf(cached, login.token), 'ok');
  await f.clock.advanceAsync(5_000);
  assert.equal(await codeOf(cached, login.token), 'UNAUTHORIZED');

  // A cache longer than the token's life still ends at its expiry.
  const long = tokenVerifier(f.system, { cacheMs: 60_000 });
  const second = unwrap(await f.login({ userName: 'admin', password: 'first-start-secret-3b1f' }));
  assert.equal(await codeOf(long, second.token), 'ok');
  await f.clock.advanceAsync(10_000);
  assert.equal(await codeOf(long, second.token), 'UNAUTHORIZED');
});

/** A store whose writes to keys under `prefix` never complete once hold(prefix) is called ('' holds all). */
function holdingStore(inner: ActorStore): { store: ActorStore; hold: (prefix: string) => void } {
  let held: string | undefined;
  const store: ActorStore = {
    load: (key) => inner.load(key),
    persist: (key, record, options) => (held !== undefined && key.startsWith(held) ? new Promise(() => undefined) : inner.persist(key, record, options)),
    remove: (key, options) => inner.remove(key, options),
    shardEpoch: (shard) => inner.shardEpoch(shard),
    acquireShard: (shard, owner) => inner.acquireShard(shard, owner),
    putReminder: (reminder) => inner.putReminder(reminder),
    deleteReminder: (key, name) => inner.deleteReminder(key, name),
    reminders: () => inner.reminders(),
    flushed: () => inner.flushed(),
    close: () => inner.close(),
  };
  return { store, hold: (prefix) => (held = prefix) };
}

test('a crash between disabling a user and revoking its tokens: the next activation of identity/<d> revokes them', async (t) => {
  // Proves the sweep is durable: the change and its pending sweep are persisted together, the
  // token writes never land (the process "dies"), and a new system on the same store finishes it.
  const inner = createMemoryStore();
  const { store, hold } = holdingStore(inner);
  const clock = new VirtualClock(1_700_000_000_000);
  const first = createActorSystem({ store, clock });
  const f = await identityFixture(t, {}, first);
  const alpha = await f.project('alpha');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');
  const login = unwrap(await f.login({ userName: 'alice', password: 'alice-pw' }));

  hold('token/');
  // The identity change is stored (its sweep then pending, blocked on the token's write) when
  // identity/default persists next.
  const stored = new Promise<void>((resolve) => first.inspect((e) => e.type === 'persisted' && e.path === `${IDENTITY_KIND}/default` && resolve()));
  const disabling = f.ask({ type: 'updateUser', caller: f.admin, userId: alice.id, enabled: false });
  await stored;
  hold(''); // the process dies: nothing it would still write lands
  await first.stop();
  assert.equal((await disabling).ok, false); // the asker saw the process die

  const second = createActorSystem({ store: inner, clock });
  t.after(() => second.stop());
  unwrap(registerIdentity(second, { passwordCost: 1024 }));
  const verify = tokenVerifier(second);
  // Before identity/<d> wakes up, the token actor alone still accepts the token...
  assert.equal(await codeOf(verify, login.token), 'ok');
  // ...and any message that activates identity/<d> finishes the sweep first.
  const seen = unwrap(await second.ref(IDENTITY_KIND, 'default').ask({ type: 'showUser', caller: f.admin, userId: alice.id } as { type: string }));
  assert.equal((seen as Caller & { enabled: boolean }).enabled, false);
  assert.equal(await codeOf(verify, login.token), 'UNAUTHORIZED');
});

test('describe: the token record for its user or an admin; a user changing its password ends its tokens', async (t) => {
  const f = await identityFixture(t);
  const verify = tokenVerifier(f.system);
  const alpha = await f.project('alpha');
  const alice = await f.user('alice', 'alice-pw', alpha.id, 'member');
  await f.user('bob', 'bob-pw', alpha.id, 'member');
  const login = unwrap(await f.login({ userName: 'alice', password: 'alice-pw' }));
  const bob = unwrap(await f.login({ userName: 'bob', password: 'bob-pw' }));
  const ref = f.system.ref('token', hashToken(login.token));
  const described = unwrap(await ref.ask({ type: 'describe', caller: login.caller } as { type: string }));
  assert.deepEqual(described, { ...login.caller, domainScoped: false, issuedAt: f.clock.now() });
  assert.equal(unwrap(await ref.ask({ type: 'describe', caller: f.admin } as { type: string })) !== undefined, true);
  const byBob = await ref.ask({ type: 'describe', caller: bob.caller } as { type: string });
  assert.equal(byBob.ok ? 'ok' : byBob.error.code, 'FORBIDDEN');

  const wrongOriginal = await f.ask({ type: 'changePassword', caller: login.caller, userId: alice.id, originalPassword: 'nope', password: 'alice-pw-2' });
  assert.equal(wrongOriginal.ok ? 'ok' : wrongOriginal.error.code, 'UNAUTHORIZED');
  const forBob = await f.ask({ type: 'changePassword', caller: bob.caller, userId: alice.id, originalPassword: 'alice-pw', password: 'x' });
  assert.equal(forBob.ok ? 'ok' : forBob.error.code, 'FORBIDDEN');
  unwrap(await f.ask({ type: 'changePassword', caller: login.caller, userId: alice.id, originalPassword: 'alice-pw', password: 'alice-pw-2' }));
  assert.equal(await codeOf(verify, login.token), 'UNAUTHORIZED');
  assert.equal(await codeOf(verify, bob.token), 'ok');
  unwrap(await f.login({ userName: 'alice', password: 'alice-pw-2' }));
  const described2 = await ref.ask({ type: 'describe', caller: f.admin } as { type: string });
  assert.equal(described2.ok ? 'ok' : described2.error.code, 'NOT_FOUND');
});
