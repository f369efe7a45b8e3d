// No password and no token reaches a log line: the whole identity flow (bootstrap, users,
// logins right and wrong, bad input carrying a password, validation, revocation, sweeps, a
// broker login) runs with the actor system's inspection stream logged by pino at trace level
// into an array, and no line holds any of the secrets used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { identityFixture, unwrap, ADMIN_PASSWORD } from './identity-fixture.js';
import { hashToken, tokenAuthenticator, tokenVerifier } from '../../actors/identity/index.js';
import { createActorSystem, createMemoryStore, logInspection } from '../../supervision/index.js';
import { startBroker } from '../../transports/broker.js';
import { VirtualClock } from '../../transports/clock.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';

test('no password or token appears in any log line of the identity flow', async (t) => {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const system = createActorSystem({ store: createMemoryStore(), clock: new VirtualClock(1_700_000_000_000) });
  system.inspect(logInspection(log));
  const f = await identityFixture(t, {}, system);
  const secrets = [ADMIN_PASSWORD, 'alice-secret-pw', 'alice-new-secret', 'wrong-secret-pw'];

  const alpha = await f.project('alpha');
  const alice = await f.user('alice', 'alice-secret-pw', alpha.id, 'member');
  const good = unwrap(await f.login({ userName: 'alice', password: 'alice-secret-pw' }));
  const admin = unwrap(await f.login({ userName: 'admin', password: ADMIN_PASSWORD }));
  secrets.push(good.token, admin.token);
  assert.equal((await f.login({ userName: 'alice', password: 'wrong-secret-pw' })).ok, false);
  assert.equal((await f.login({ userName: 'nobody', password: 'wrong-secret-pw' })).ok, false);
  // Bad input that carries a password: the refusal names the field, not the value.
  const bad = await f.ask({ type: 'createUser', caller: f.admin, name: ' padded ', password: 'alice-secret-pw' });
  assert.equal(bad.ok ? 'ok' : bad.error.code, 'BAD_REQUEST');
  assert.ok(!bad.ok && !bad.error.message.includes('alice-secret-pw'));

  const verify = tokenVerifier(system);
  unwrap(await verify(good.token));
  const broker = await startBroker({ port: 0, authenticator: tokenAuthenticator(verify) });
  t.after(() => broker.close());
  const transport = await connectMqtt({ url: broker.url, clientId: 'log-check', username: 'token', password: good.token });
  await transport.close();
  await assert.rejects(connectMqtt({ url: broker.url, clientId: 'log-check-2', username: 'token', password: 'wrong-secret-pw', reconnectPeriodMs: 0 }));

  unwrap(await system.ref('token', hashToken(admin.token)).ask({ type: 'revoke', caller: admin.caller } as { type: string }));
  unwrap(await f.ask({ type: 'updateUser', caller: f.admin, userId: alice.id, password: 'alice-new-secret' }));
  assert.equal((await verify(good.token)).ok, false);
  // Let idle actors passivate and come back, so those events are logged too.
  await f.clock.advanceAsync(600_000);
  unwrap(await f.login({ userName: 'alice', password: 'alice-new-secret' }));

  assert.ok(lines.length > 50, `only ${lines.length} log lines`);
  for (const line of lines) {
    for (const secret of secrets) assert.ok(!line.includes(secret), `a log line holds a secret: ${line.slice(0, 200)}`);
  }
});
