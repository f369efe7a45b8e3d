// MQTT clients log in with a token (username `token`, password the token) on the embedded broker
// through real mqtt.js connections: a member's token connects as a client of its project (it
// may publish requests, read its project's events and not another's), a reader's too (the
// actors refuse its changes: test/sdk/isolation.test.ts); wrong, expired and revoked tokens are refused (CONNACK 4), unscoped ones too
// (CONNACK 5), and the principal is named without the token.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { identityFixture, unwrap, type IdentityFixture } from './identity-fixture.js';
import { hashToken, tokenAuthenticator, tokenVerifier, type UserView } from '../../actors/identity/index.js';
import { startBroker, type EmbeddedBroker } from '../../transports/broker.js';
import { FabricError } from '../../transports/errors.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';

async function setUp(t: TestContext): Promise<{ f: IdentityFixture; broker: EmbeddedBroker; a: string; b: string }> {
  const f = await identityFixture(t, { tokenTtlMs: 60_000 });
  const broker = await startBroker({ port: 0, authenticator: tokenAuthenticator(tokenVerifier(f.system)) });
  t.after(() => broker.close());
  const a = (await f.project('project-a')).id;
  const b = (await f.project('project-b')).id;
  await f.user('member-a', 'pw-m', a, 'member');
  await f.user('reader-a', 'pw-r', a, 'reader');
  return { f, broker, a, b };
}

/** Connects with a token; 'ok' (and closes) or the CONNACK code of the refusal. */
async function connectWith(t: TestContext, url: string, clientId: string, password: string, username = 'token'): Promise<'ok' | number> {
  try {
    const transport = await connectMqtt({ url, clientId, username, password, reconnectPeriodMs: 0 });
    t.after(() => transport.close());
    return 'ok';
  } catch (e) {
    if (!(e instanceof FabricError)) throw e;
    assert.equal(e.code, 'UNAUTHORIZED');
    return e.value.details?.returnCode as number;
  }
}

test('a member’s token connects as a client of its project: requests out, its own events in, not another project’s', async (t) => {
  const { f, broker, a, b } = await setUp(t);
  const login = unwrap(await f.login({ userName: 'member-a', password: 'pw-m' }));
  const transport = await connectMqtt({ url: broker.url, clientId: 'cli-member', username: 'token', password: login.token });
  t.after(() => transport.close());
  const principal = broker.principal('cli-member')!;
  assert.deepEqual(principal, {
    id: `member-a@${a}`,
    publish: ['cumulo/mbox/+'],
    subscribe: ['cumulo/reply/cli-member', `cumulo/events/${a}/#`],
  });
  assert.ok(!principal.id.includes(login.token));
  await transport.subscribe(`cumulo/events/${a}/#`, () => undefined);
  // The refused SUBACK is checked with mqtt.js itself: MqttTransport.subscribe never settles on
  // a 0x80 SUBACK under mqtt.js 5 (it reports it as an error, which the transport takes for a
  // lost connection).
  const raw = await mqtt.connectAsync(broker.url, { clientId: 'raw-member', username: 'token', password: login.token, reconnectPeriod: 0 });
  t.after(() => raw.endAsync());
  await raw.subscribeAsync(`cumulo/events/${a}/#`);
  await assert.rejects(raw.subscribeAsync(`cumulo/events/${b}/#`), (e: Error & { packet?: { granted?: number[] } }) => e.packet?.granted?.[0] === 128);
});

test('a reader’s token connects as a client of its project: its requests reach the actors, which judge them', async (t) => {
  const { f, broker, a } = await setUp(t);
  const login = unwrap(await f.login({ userName: 'reader-a', password: 'pw-r' }));
  assert.equal(await connectWith(t, broker.url, 'cli-reader', login.token), 'ok');
  assert.deepEqual(broker.principal('cli-reader'), {
    id: `reader-a@${a}`,
    publish: ['cumulo/mbox/+'],
    subscribe: ['cumulo/reply/cli-reader', `cumulo/events/${a}/#`],
  });
});

test('wrong, expired and revoked tokens and other usernames are refused with CONNACK 4; unscoped tokens with 5', async (t) => {
  const { f, broker } = await setUp(t);
  const good = unwrap(await f.login({ userName: 'member-a', password: 'pw-m' }));
  assert.equal(await connectWith(t, broker.url, 'c1', good.token), 'ok');
  assert.equal(await connectWith(t, broker.url, 'c2', good.token, 'member-a'), 4);
  assert.equal(await connectWith(t, broker.url, 'c3', good.token.slice(0, -2) + (good.token.endsWith('AA') ? 'BB' : 'AA')), 4);
  assert.equal(await connectWith(t, broker.url, 'c4', 'not-a-token'), 4);

  const toRevoke = unwrap(await f.login({ userName: 'member-a', password: 'pw-m' }));
  unwrap(await f.system.ref('token', hashToken(toRevoke.token)).ask({ type: 'revoke', caller: toRevoke.caller } as { type: string }));
  assert.equal(await connectWith(t, broker.url, 'c5', toRevoke.token), 4);

  const carol = unwrap(await f.ask({ type: 'createUser', caller: f.admin, name: 'carol', password: 'pw-c' })) as UserView;
  const unscoped = unwrap(await f.login({ userName: 'carol', password: 'pw-c' }));
  assert.equal(unscoped.caller.userId, carol.id);
  assert.equal(await connectWith(t, broker.url, 'c6', unscoped.token), 5);

  await f.clock.advanceAsync(60_000);
  assert.equal(await connectWith(t, broker.url, 'c7', good.token), 4);
});
