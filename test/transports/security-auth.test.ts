// Proves that every connection is authenticated: with mqtt.js, a CONNECT without credentials or
// with a wrong password is refused, and the right ones are accepted, both on the embedded aedes
// broker (with the static authenticator) and on mosquitto set up as docs/mqtt-security.md says.
// The refusal codes differ (aedes: 4 bad username or password; mosquitto 2.0: 5 not authorised).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker } from '../../transports/broker.js';
import { createStaticAuthenticator, type StaticUser } from '../../transports/static-authenticator.js';
import { mosquittoAclFile } from '../../transports/acl.js';
import { startMosquitto } from '../helpers/mosquitto.js';

const USERS: Record<string, StaticUser> = {
  'node-1': { password: 'node-secret', role: 'node' },
  alice: { password: 'alice-secret', role: 'client', projectId: 'p1', clientIds: ['alice-1', 'alice-2'] },
};

interface Credentials {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
}

/** Connects once (no reconnect); resolves 'ok' or the CONNACK refusal code. */
async function tryConnect(url: string, who: Credentials): Promise<number | 'ok'> {
  try {
    const client = await mqtt.connectAsync(url, { ...who, reconnectPeriod: 0, protocolVersion: 4 });
    await client.endAsync();
    return 'ok';
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'number') throw e;
    return code;
  }
}

/** mosquitto with the password file and ACL file of docs/mqtt-security.md; resolves its URL. */
async function startSecuredMosquitto(t: TestContext): Promise<string> {
  const users = Object.fromEntries(Object.entries(USERS).map(([name, u]) => [name, u.password]));
  const mosquitto = await startMosquitto({ users, acl: mosquittoAclFile(USERS) });
  t.after(() => mosquitto.stop());
  return mosquitto.url;
}

void test('the embedded broker refuses missing and wrong credentials and accepts the right ones', async (t) => {
  const broker = await startBroker({ port: 0, authenticator: await createStaticAuthenticator(USERS, { cost: 1024 }) });
  t.after(() => broker.close());
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-1' }), 4);
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-1', username: 'alice' }), 4);
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-1', username: 'alice', password: 'node-secret' }), 4);
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-1', username: 'mallory', password: 'alice-secret' }), 4);
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-1', username: 'alice', password: 'alice-secret' }), 'ok');
  assert.equal(await tryConnect(broker.url, { clientId: 'node-a', username: 'node-1', password: 'node-secret' }), 'ok');
});

void test('the embedded broker refuses client ids that are not one topic level, or not the user’s', async (t) => {
  const broker = await startBroker({ port: 0, authenticator: await createStaticAuthenticator(USERS, { cost: 1024 }) });
  t.after(() => broker.close());
  const alice = { username: 'alice', password: 'alice-secret' };
  for (const clientId of ['alice/1', 'alice+', 'alice#']) {
    assert.equal(await tryConnect(broker.url, { clientId, ...alice }), 2, clientId); // identifier rejected
  }
  // A wildcard id is refused before any authenticator runs, whatever the role.
  assert.equal(await tryConnect(broker.url, { clientId: 'n/+', username: 'node-1', password: 'node-secret' }), 2);
  // alice may use only her pinned ids: another id would name someone else's reply topic.
  assert.equal(await tryConnect(broker.url, { clientId: 'bob-1', ...alice }), 5);
  assert.equal(await tryConnect(broker.url, { clientId: 'alice-2', ...alice }), 'ok');
});

void test('mosquitto with the password file refuses missing and wrong credentials and accepts the right ones', async (t) => {
  const url = await startSecuredMosquitto(t);
  assert.equal(await tryConnect(url, { clientId: 'alice-1' }), 5);
  assert.equal(await tryConnect(url, { clientId: 'alice-1', username: 'alice' }), 5);
  assert.equal(await tryConnect(url, { clientId: 'alice-1', username: 'alice', password: 'node-secret' }), 5);
  assert.equal(await tryConnect(url, { clientId: 'alice-1', username: 'mallory', password: 'alice-secret' }), 5);
  assert.equal(await tryConnect(url, { clientId: 'alice-1', username: 'alice', password: 'alice-secret' }), 'ok');
  assert.equal(await tryConnect(url, { clientId: 'node-a', username: 'node-1', password: 'node-secret' }), 'ok');
});
