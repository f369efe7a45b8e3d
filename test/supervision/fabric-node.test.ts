// The fabric node bridges mailbox topics to actors. Proves: envelopes reach the actor they name
// and malformed addresses or bodies get coded errors while the actor keeps serving; shard leases
// are retained for late readers; and a shard handed to a newer node is let go by the old one,
// whose writes are then fenced, while requests flow to the new owner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FabricNode, type ShardLease } from '../../supervision/fabric-node.js';
import { createActorSystem, createMemoryStore, defineKind, refuse, type ActorStore } from '../../supervision/index.js';
import { BadRequest, err, ok, Unauthorized } from '../../transports/errors.js';
import { wallClock } from '../../transports/clock.js';
import { createEndpoint } from '../../transports/endpoint.js';
import { InProcessBus, createInProcessTransport } from '../../transports/inproc-transport.js';
import { LocalDirectory } from '../../transports/local-directory.js';
import { shardOf, topics } from '../../transports/topics.js';

/** A persisted counter: `add {n}` (n a number, else BAD_REQUEST) and `get`. */
const tally = defineKind({
  name: 'tally',
  messageTypes: { add: true, get: true },
  initialState: 0,
  async handle(ctx, msg: { type: 'add'; n?: unknown } | { type: 'get' }) {
    if (msg.type === 'get') return ctx.state;
    if (typeof msg.n !== 'number') return refuse(BadRequest('n must be a number', { field: 'n' }));
    const next = ctx.state + msg.n;
    await ctx.persist(next);
    return next;
  },
});

async function startNode(bus: InProcessBus, store: ActorStore, nodeId: string, shards?: number[]) {
  let node: FabricNode | undefined;
  const system = createActorSystem({ store, clock: wallClock, shardEpoch: (s) => node?.epochOf(s) ?? 0 });
  assert.ok(system.register(tally).ok);
  const transport = createInProcessTransport(bus, nodeId);
  const endpoint = await createEndpoint({ transport, clock: wallClock, directory: new LocalDirectory() });
  const lost: number[] = [];
  node = await FabricNode.start({ nodeId, system, endpoint, transport, store, clock: wallClock, ...(shards ? { shards } : {}), onShardLost: (s) => lost.push(s) });
  return { system, node, lost, stop: async () => { await node.drain(); await system.stop(); await endpoint.close(); await transport.close(); } };
}

async function startClient(bus: InProcessBus, clientId: string) {
  const transport = createInProcessTransport(bus, clientId);
  const endpoint = await createEndpoint({ transport, clock: wallClock, defaultTimeoutMs: 2000 });
  return {
    transport,
    endpoint,
    ask: (to: string, type: string, body: unknown = {}) => {
      const [kind = '', id = ''] = to.split('/');
      return endpoint.ask(topics.mailboxOf(kind, id), to, type, body);
    },
  };
}

test('envelopes reach their actor; bad addresses and bodies get coded errors', async (t) => {
  const bus = new InProcessBus();
  const a = await startNode(bus, createMemoryStore(), 'node-a');
  t.after(() => a.stop());
  const c = await startClient(bus, 'client-1');
  t.after(() => c.transport.close());

  assert.deepEqual(await c.ask('tally/h1', 'add', { n: 2 }), { ok: true, value: 2 });
  const shard = shardOf('tally', 'h1');
  const cases: Array<[string, string, unknown, string]> = [
    ['tally', 'get', {}, 'BAD_ADDRESS'],
    ['tally/h1/extra', 'get', {}, 'BAD_ADDRESS'],
    ['/h1', 'get', {}, 'BAD_ADDRESS'],
    ['tally/h1', 'get', [1, 2], 'BAD_REQUEST'],
    ['tally/h1', 'get', 'text', 'BAD_REQUEST'],
    ['tally/h1', 'explode', {}, 'BAD_MESSAGE'],
    ['tally/h1', 'add', { n: 'two' }, 'BAD_REQUEST'],
    ['nosuchkind/h1', 'get', {}, 'UNKNOWN_KIND'],
  ];
  for (const [to, type, body, code] of cases) {
    const r = await c.endpoint.ask(topics.mailbox(shard), to, type, body);
    assert.equal(r.ok ? 'ok' : r.error.code, code, `${to} ${type}`);
  }
  assert.deepEqual(await c.ask('tally/h1', 'add', { n: 1 }), { ok: true, value: 3 });
});

test('leases are retained; a newer owner takes a shard, the old one lets it go and is fenced', async (t) => {
  const bus = new InProcessBus();
  const store = createMemoryStore();
  const a = await startNode(bus, store, 'node-a');
  t.after(() => a.stop());
  const c = await startClient(bus, 'client-2');
  t.after(() => c.transport.close());
  assert.ok((await c.ask('tally/h2', 'add', { n: 1 })).ok);
  const shard = shardOf('tally', 'h2');
  assert.equal(a.node.leases.length, 256);

  // A late reader gets the retained lease.
  const heard = new Promise<ShardLease>((resolve) => {
    void c.transport.subscribe(topics.lease(shard), (_t, payload) => resolve(JSON.parse(Buffer.from(payload).toString()) as ShardLease));
  });
  assert.deepEqual({ ...(await heard), since: 0 }, { shard, owner: 'node-a', epoch: 1, since: 0 });

  const lostByA = new Promise<void>((resolve) => {
    const check = () => (a.lost.includes(shard) ? resolve() : setImmediate(check));
    check();
  });
  const b = await startNode(bus, store, "node-b", [shard]);
  t.after(() => b.stop());
  await lostByA;
  assert.equal(a.node.leases.length, 255);
  assert.equal(store.shardEpoch(shard), 2);

  // A still has h2 active in memory, but every write it tries under its old epoch is refused.
  const direct = await a.system.ref(tally, 'h2').ask({ type: 'add', n: 10 });
  assert.equal(direct.ok ? 'ok' : direct.error.code, 'STORE_FENCED');

  // Requests now reach B only; B recovers h2's state from the store. (A fresh client: one that
  // sent to this shard before waits one gap timeout at B, see transports/sequencer.ts.)
  const c2 = await startClient(bus, 'client-3');
  t.after(() => c2.transport.close());
  assert.deepEqual(await c2.ask('tally/h2', 'add', { n: 1 }), { ok: true, value: 2 });
  assert.deepEqual(await c2.ask('tally/h2', 'get'), { ok: true, value: 2 }, "A's fenced write left nothing behind");
});

test('the token decides the caller; a caller sent by the client is discarded', async (t) => {
  const bus = new InProcessBus();
  const store = createMemoryStore();
  const system = createActorSystem({ store, clock: wallClock });
  const whoami = defineKind({
    name: 'whoami',
    messageTypes: { who: true },
    initialState: null,
    handle: (_ctx, msg: { type: 'who'; caller?: unknown }) => ({ caller: msg.caller ?? null }),
  });
  assert.ok(system.register(whoami).ok);
  const transport = createInProcessTransport(bus, 'node-t');
  const endpoint = await createEndpoint({ transport, clock: wallClock });
  const node = await FabricNode.start({
    nodeId: 'node-t',
    system,
    endpoint,
    transport,
    store,
    clock: wallClock,
    // Like identity's verifier: no token is an anonymous request (identity's `authenticate` needs them).
    authenticate: async (token) => (token === null ? ok(undefined) : token === 'good' ? ok({ userId: 'alice' }) : err(Unauthorized('bad token'))),
  });
  t.after(async () => {
    await node.drain();
    await system.stop();
    await transport.close();
  });
  const c = await startClient(bus, 'client-4');
  t.after(() => c.transport.close());
  const ask = (token: string | undefined, body: unknown) =>
    c.endpoint.ask(topics.mailboxOf('whoami', 'x'), 'whoami/x', 'who', body, token === undefined ? {} : { token });
  assert.deepEqual(await ask('good', { caller: { userId: 'mallory', roles: ['admin'] } }), { ok: true, value: { caller: { userId: 'alice' } } });
  const refused = await ask('bad', {});
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'UNAUTHORIZED');
  // Anonymous: the actor sees `caller: null`, never one the client chose, and never "no caller"
  // at all, which is what messages sent inside the fabric look like.
  assert.deepEqual(await ask(undefined, { caller: { userId: 'mallory' } }), { ok: true, value: { caller: null } });

});

test("token checks of uneven duration keep one sender's messages in order", async (t) => {
  const bus = new InProcessBus();
  const store = createMemoryStore();
  const system = createActorSystem({ store, clock: wallClock });
  assert.ok(system.register(tally).ok);
  const transport = createInProcessTransport(bus, 'node-o');
  const endpoint = await createEndpoint({ transport, clock: wallClock });
  let calls = 0;
  // Every third check is slow (as a cache miss that asks the token actor would be).
  const slow = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  const node = await FabricNode.start({
    nodeId: 'node-o',
    system,
    endpoint,
    transport,
    store,
    clock: wallClock,
    authenticate: async () => {
      if (++calls % 3 === 0) await slow();
      return ok({ userId: 'alice' });
    },
  });
  t.after(async () => {
    await node.drain();
    await system.stop();
    await transport.close();
  });
  const c = await startClient(bus, 'client-o');
  t.after(() => c.transport.close());
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => c.endpoint.ask(topics.mailboxOf('tally', 'o'), 'tally/o', 'add', { n: i + 1 }, { token: 't' })));
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.error.code)),
    results.map(() => 'ok'),
  );
  // In order: each reply is the running sum 1 + 2 + … + (i + 1).
  assert.deepEqual(
    results.map((r) => (r.ok ? r.value : null)),
    results.map((_, i) => ((i + 1) * (i + 2)) / 2),
  );
});
