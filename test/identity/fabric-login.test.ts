// The verifier plugged into a fabric node (over the in-process bus, as MQTT would carry it): a
// client with no token logs in by asking identity/default `authenticate`, then its requests
// carrying the token reach actors with the token's caller (a caller the client wrote itself is
// discarded); a bad token is refused before any actor sees the request, and no token at all is
// refused by the actor's own check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapAdmin, mayRead, registerIdentity, tokenVerifier, type AuthResult, type Caller } from '../../actors/identity/index.js';
import { FabricNode } from '../../supervision/fabric-node.js';
import { createActorSystem, createMemoryStore, defineKind, refuse } from '../../supervision/index.js';
import { wallClock } from '../../transports/clock.js';
import { createEndpoint } from '../../transports/endpoint.js';
import { InProcessBus, createInProcessTransport } from '../../transports/inproc-transport.js';
import { topics } from '../../transports/topics.js';
import { unwrap } from './identity-fixture.js';

/** `whoami/<projectId>`: answers the caller it was given, if that caller may read the project. */
const whoami = defineKind({
  name: 'whoami',
  messageTypes: { who: true },
  initialState: null,
  handle: (ctx, msg: { type: 'who'; caller?: unknown }) => {
    const denied = mayRead(msg.caller, ctx.id);
    return denied === undefined ? (msg.caller as Caller) : refuse(denied);
  },
});

test('log in through the fabric, then the token decides the caller of every request', async (t) => {
  const bus = new InProcessBus();
  const store = createMemoryStore();
  const system = createActorSystem({ store, clock: wallClock });
  unwrap(registerIdentity(system, { passwordCost: 1024 }));
  unwrap(system.register(whoami));
  const admin = unwrap(await bootstrapAdmin(system, { password: 'admin-pw' }));
  const transport = createInProcessTransport(bus, 'node-id');
  const endpoint = await createEndpoint({ transport, clock: wallClock });
  const node = await FabricNode.start({ nodeId: 'node-id', system, endpoint, transport, store, clock: wallClock, authenticate: tokenVerifier(system) });
  t.after(async () => {
    await node.drain();
    await system.stop();
    await endpoint.close();
    await transport.close();
  });
  const clientTransport = createInProcessTransport(bus, 'client-1');
  t.after(() => clientTransport.close());
  const client = await createEndpoint({ transport: clientTransport, clock: wallClock, defaultTimeoutMs: 5000 });
  const ask = (kind: string, id: string, type: string, body: Record<string, unknown>, token?: string) =>
    client.ask(topics.mailboxOf(kind, id), `${kind}/${id}`, type, body, token === undefined ? {} : { token });

  const login = unwrap(await ask('identity', 'default', 'authenticate', { userName: 'admin', password: 'admin-pw', projectName: 'admin' })) as AuthResult;
  assert.equal(login.caller.projectId, admin.projectId);
  const wrong = await ask('identity', 'default', 'authenticate', { userName: 'admin', password: 'nope' });
  assert.equal(wrong.ok ? 'ok' : wrong.error.code, 'UNAUTHORIZED');

  const seen = unwrap(await ask('whoami', admin.projectId, 'who', { caller: { userId: 'mallory', roles: ['admin'] } }, login.token));
  assert.deepEqual(seen, login.caller);
  const badToken = await ask('whoami', admin.projectId, 'who', {}, 'A'.repeat(43));
  assert.equal(badToken.ok ? 'ok' : badToken.error.code, 'UNAUTHORIZED');
  const noToken = await ask('whoami', admin.projectId, 'who', { caller: { userId: 'mallory', roles: ['admin'] } });
  assert.equal(noToken.ok ? 'ok' : noToken.error.message, 'this request needs a token');
  // A network request can never be the fabric itself: bootstrap refuses even the admin's token.
  const boot = await ask('identity', 'default', 'bootstrap', { adminPassword: 'x', caller: { system: true } }, login.token);
  assert.equal(boot.ok ? 'ok' : boot.error.code, 'FORBIDDEN');
});
