// The endpoint's fault handling, deterministic: the in-process bus with a lossy wrapper and the
// virtual clock. Proves that a lost request is sent again by the retransmit timer; a lost reply is
// answered again from the reply window without handling twice; a lost one-way message holds the
// stream back only until the gap timeout; a receiver joining a stream late delivers at once; a repeat arriving while its request is being handled
// waits for the same reply; handler failures come back as INTERNAL; close settles what is pending.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, settle } from '../../transports/clock.js';
import { encodeEnvelope } from '../../transports/codec.js';
import { createEndpoint, type Delivery, type Endpoint, type EndpointOptions } from '../../transports/endpoint.js';
import { Conflict, FabricError } from '../../transports/errors.js';
import { newId } from '../../transports/ids.js';
import { InProcessBus, createInProcessTransport } from '../../transports/inproc-transport.js';
import { LocalDirectory } from '../../transports/local-directory.js';
import { topics } from '../../transports/topics.js';
import type { Transport } from '../../transports/transport.js';

const SERVED = topics.mailbox(3);

/** A transport that drops the publishes a predicate picks (a broker that loses them). */
function lossy(inner: Transport, drop: (topic: string, n: number) => boolean): Transport {
  let n = 0;
  return {
    kind: inner.kind,
    clientId: inner.clientId,
    publish: (topic, payload, options) => (drop(topic, n++) ? Promise.resolve() : inner.publish(topic, payload, options)),
    subscribe: (filter, handler, options) => inner.subscribe(filter, handler, options),
    unsubscribe: (filter) => inner.unsubscribe(filter),
    onStatus: (listener) => inner.onStatus(listener),
    close: () => inner.close(),
  };
}

async function setup(
  t: TestContext,
  options: { dropAsker?: (topic: string, n: number) => boolean; dropServer?: (topic: string, n: number) => boolean; extra?: Partial<EndpointOptions> } = {},
) {
  const bus = new InProcessBus();
  const clock = new VirtualClock(1_000_000);
  const keep = () => false;
  const ta = lossy(createInProcessTransport(bus), options.dropAsker ?? keep);
  const tb = lossy(createInProcessTransport(bus), options.dropServer ?? keep);
  const base = { clock, retransmitIntervalMs: 100, order: { gapTimeoutMs: 500 }, ...options.extra };
  const asker = await createEndpoint({ transport: ta, ...base });
  const server = await createEndpoint({ transport: tb, ...base });
  t.after(async () => {
    await asker.close();
    await server.close();
    await ta.close();
    await tb.close();
  });
  return { bus, clock, ta, tb, asker, server };
}

function serveCounter(server: Endpoint) {
  const seen: unknown[] = [];
  const served = server.serve(SERVED, (d) => {
    seen.push(d.envelope.body);
    void d.reply({ count: seen.length });
  });
  return { seen, served };
}

void test('a lost request is sent again by the retransmit timer and answered', async (t) => {
  const { clock, asker, server } = await setup(t, { dropAsker: (topic, n) => topic === SERVED && n === 0 });
  const { seen, served } = serveCounter(server);
  await served;
  let result: unknown;
  const answer = asker.ask(SERVED, 'svc/1', 'add', 'x', { timeoutMs: 5_000 }).then((r) => (result = r));
  await settle();
  assert.equal(result, undefined, 'the first copy was lost');
  await clock.advanceAsync(100);
  await answer;
  assert.deepEqual(result, { ok: true, value: { count: 1 } });
  assert.equal(asker.stats().retransmits, 1);
  assert.deepEqual(seen, ['x']);
});

void test('a lost reply is answered again from the reply window, without handling the request twice', async (t) => {
  const { clock, asker, server } = await setup(t, { dropServer: (topic, n) => topic.startsWith('cumulo/reply/') && n === 0 });
  const { seen, served } = serveCounter(server);
  await served;
  const answer = asker.ask(SERVED, 'svc/1', 'add', 'x', { timeoutMs: 5_000 });
  await settle();
  assert.deepEqual(seen, ['x']);
  await clock.advanceAsync(100);
  assert.deepEqual(await answer, { ok: true, value: { count: 1 } });
  assert.deepEqual(seen, ['x'], 'handled once');
  assert.equal(server.stats().duplicatesAnswered, 1);
});

void test('a lost one-way message holds later ones back until the gap timeout, then the stream goes on', async (t) => {
  const { clock, asker, server } = await setup(t, { dropAsker: (topic, n) => topic === SERVED && n === 1 });
  const { seen, served } = serveCounter(server);
  await served;
  await asker.tell(SERVED, 'svc/1', 'add', 'first');
  await asker.tell(SERVED, 'svc/1', 'add', 'lost');
  await asker.tell(SERVED, 'svc/1', 'add', 'third');
  await asker.tell(SERVED, 'svc/1', 'add', 'fourth');
  await settle();
  assert.deepEqual(seen, ['first'], 'the rest held behind the gap');
  assert.equal(server.stats().order.held, 2);
  await clock.advanceAsync(499);
  assert.deepEqual(seen, ['first']);
  await clock.advanceAsync(1);
  assert.deepEqual(seen, ['first', 'third', 'fourth']);
  assert.equal(server.stats().order.skipped, 1);
});

void test('a receiver that joins a stream late delivers its first message at once, then keeps order and drops repeats', async (t) => {
  const { ta, server } = await setup(t);
  const { seen, served } = serveCounter(server);
  await served;
  const inc = newId();
  const tell = (seq: number) =>
    ta.publish(SERVED, encodeEnvelope({ v: 1, type: 'add', to: 'svc/1', from: 'raw', replyTo: null, corr: null, inc, seq, deadline: null, token: null, body: seq }));
  // Seqs 1-40 went to the shard's former owner: this receiver first hears seq 41.
  await tell(41);
  await settle();
  assert.deepEqual(seen, [41], 'no gap timeout: nothing on the virtual clock has moved');
  await tell(43);
  await settle();
  assert.deepEqual(seen, [41], 'a gap after the first message holds the stream as usual');
  await tell(42);
  await tell(41);
  await tell(43);
  await tell(7); // a straggler from before the join: delivered once, as late
  await tell(7);
  await settle();
  assert.deepEqual(seen, [41, 42, 43, 7]);
  assert.equal(server.stats().order.late, 1);
  assert.equal(server.stats().duplicatesDropped, 3);
});

void test('a given-up message that arrives after all is still handled, once', async (t) => {
  const { clock, ta, server } = await setup(t);
  const { seen, served } = serveCounter(server);
  await served;
  const inc = newId();
  const tell = (seq: number) =>
    ta.publish(SERVED, encodeEnvelope({ v: 1, type: 'add', to: 'svc/1', from: 'raw', replyTo: null, corr: null, inc, seq, deadline: null, token: null, body: seq }));
  await tell(2);
  await settle();
  await clock.advanceAsync(500);
  assert.deepEqual(seen, [2]);
  await tell(1);
  await tell(1);
  await settle();
  assert.deepEqual(seen, [2, 1]);
  assert.equal(server.stats().order.late, 1);
  assert.equal(server.stats().duplicatesDropped, 1);
});

void test('a repeat arriving while the request is being handled gets the same reply when it comes', async (t) => {
  const { ta, server } = await setup(t);
  const deliveries: Delivery[] = [];
  await server.serve(SERVED, (d) => void deliveries.push(d));
  const replies: Uint8Array[] = [];
  await ta.subscribe('cumulo/reply/raw', (_topic, payload) => replies.push(payload));
  const request = encodeEnvelope({ v: 1, type: 'slow', to: 'svc/1', from: 'raw', replyTo: 'cumulo/reply/raw', corr: newId(), inc: newId(), seq: 1, deadline: null, token: null, body: null });
  await ta.publish(SERVED, request);
  await ta.publish(SERVED, request);
  await settle();
  assert.equal(deliveries.length, 1, 'handled once');
  assert.equal(replies.length, 0);
  await deliveries[0]!.reply('done');
  await settle();
  assert.equal(replies.length, 2);
  assert.deepEqual(replies[0], replies[1]);
});

void test('messages with seq 0 (foreign clients) are handled as they come, without de-duplication', async (t) => {
  const { ta, server } = await setup(t);
  const { seen, served } = serveCounter(server);
  await served;
  const inc = newId();
  const message = encodeEnvelope({ v: 1, type: 'add', to: 'svc/1', from: 'raw', replyTo: null, corr: null, inc, seq: 0, deadline: null, token: null, body: 'same' });
  await ta.publish(SERVED, message);
  await ta.publish(SERVED, message);
  await settle();
  assert.deepEqual(seen, ['same', 'same']);
});

void test('a handler that throws or rejects is answered INTERNAL (a FabricError: its own code) and reported', async (t) => {
  const reported: unknown[] = [];
  const { asker, server } = await setup(t, { extra: { onHandlerError: (e) => reported.push(e) } });
  await server.serve(SERVED, (d) => {
    if (d.envelope.type === 'throw') throw new Error('boom');
    if (d.envelope.type === 'reject') return Promise.reject(new Error('async boom'));
    throw new FabricError(Conflict('thrown with a code'));
  });
  for (const [type, code] of [['throw', 'INTERNAL'], ['reject', 'INTERNAL'], ['fabric', 'CONFLICT']] as const) {
    const r = await asker.ask(SERVED, 'svc/1', type, null);
    assert.equal(!r.ok && r.error.code, code, type);
  }
  assert.equal(reported.length, 3);
  assert.equal(server.stats().handlerErrors, 3);
});

void test('only the first reply of a delivery counts, and one-way messages cannot be answered', async (t) => {
  const { asker, server } = await setup(t);
  const expects: boolean[] = [];
  await server.serve(SERVED, async (d) => {
    expects.push(d.expectsReply);
    await d.reply('first');
    await d.fail(Conflict('second'));
  });
  await asker.tell(SERVED, 'svc/1', 'note', null);
  assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'q', null), { ok: true, value: 'first' });
  assert.deepEqual(expects, [false, true]);
  assert.equal(asker.stats().unmatchedReplies, 0, 'the second answer was never sent');
});

void test('close settles pending asks with UNAVAILABLE, and later asks too', async (t) => {
  const { asker, server } = await setup(t);
  await server.serve(SERVED, () => undefined);
  const pending = asker.ask(SERVED, 'svc/1', 'q', null);
  await settle();
  await asker.close();
  const r = await pending;
  assert.equal(!r.ok && r.error.code, 'UNAVAILABLE');
  const later = await asker.ask(SERVED, 'svc/1', 'q', null);
  assert.equal(!later.ok && later.error.code, 'UNAVAILABLE');
  await assert.rejects(asker.tell(SERVED, 'svc/1', 'q', null), /UNAVAILABLE/);
});

void test('an invalid message is refused at once as a value, not sent', async (t) => {
  const { asker } = await setup(t);
  const r = await asker.ask(SERVED, 'svc/1', 'bad type with spaces', null);
  assert.equal(!r.ok && r.error.code, 'BAD_ENVELOPE');
  const big = await asker.ask(SERVED, 'svc/1', 'big', 'x'.repeat(2 * 1024 * 1024));
  assert.equal(!big.ok && big.error.code, 'PAYLOAD_TOO_LARGE');
  assert.equal(asker.stats().pending, 0);
});

void test('a refused message takes no seq: what follows is not held behind a gap', async (t) => {
  const { asker, server } = await setup(t);
  const { seen, served } = serveCounter(server);
  await served;
  const big = await asker.ask(SERVED, 'svc/1', 'big', 'x'.repeat(2 * 1024 * 1024));
  assert.equal(!big.ok && big.error.code, 'PAYLOAD_TOO_LARGE');
  await assert.rejects(asker.tell(SERVED, 'svc/1', 'bad type', null), /BAD_ENVELOPE/);
  // The virtual clock never moves: a gap would hold these until the gap timeout.
  await asker.tell(SERVED, 'svc/1', 'add', 'one');
  assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'add', 'two'), { ok: true, value: { count: 2 } });
  assert.deepEqual(seen, ['one', 'two']);
  assert.equal(server.stats().order.held, 0);
});

void test('a reply that cannot be encoded reaches the asker as INTERNAL instead of a timeout', async (t) => {
  const { asker, server } = await setup(t);
  await server.serve(SERVED, (d) => void d.reply({ when: new Date(0) }));
  const r = await asker.ask(SERVED, 'svc/1', 'q', null);
  assert.equal(!r.ok && r.error.code, 'INTERNAL');
  assert.equal(!r.ok && r.error.details?.cause, 'BAD_ENVELOPE');
});

void test('local delivery needs no broker: it works while the bus is down', async (t) => {
  const bus = new InProcessBus();
  const clock = new VirtualClock(0);
  const directory = new LocalDirectory();
  const asker = await createEndpoint({ transport: createInProcessTransport(bus), clock, directory });
  const server = await createEndpoint({ transport: createInProcessTransport(bus), clock, directory });
  t.after(() => Promise.all([asker.close(), server.close()]));
  await server.serve(SERVED, (d) => void d.reply(`${d.via}:${String(d.envelope.body)}`));
  bus.fail();
  assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'echo', 'hi'), { ok: true, value: 'local:hi' });
  bus.restore();
  assert.equal(asker.stats().sentLocally, 1);
  assert.equal(server.stats().sentLocally, 1, 'the reply went in memory too');
});

void test('events always go through the transport, in JSON, to every listener, in order', async (t) => {
  const bus = new InProcessBus();
  const clock = new VirtualClock(0);
  const directory = new LocalDirectory();
  const publisher = await createEndpoint({ transport: createInProcessTransport(bus), clock, directory });
  const listener = await createEndpoint({ transport: createInProcessTransport(bus), clock, directory });
  t.after(() => Promise.all([publisher.close(), listener.close()]));
  const heard: Array<{ type: string; body: unknown; seq: number; topic: string }> = [];
  await listener.listen('cumulo/events/p1/#', ({ envelope, topic }) => heard.push({ type: envelope.type, body: envelope.body, seq: envelope.seq, topic }));
  const foreign = createInProcessTransport(bus);
  t.after(() => foreign.close());
  const raw: string[] = [];
  await foreign.subscribe('cumulo/events/#', (_topic, payload) => raw.push(Buffer.from(payload).toString()));
  const topic = topics.event('p1', 'server', 's1');
  await publisher.publishEvent(topic, 'server.active', { status: 'ACTIVE' });
  await publisher.publishEvent(topic, 'server.deleted', {});
  await settle();
  assert.deepEqual(heard, [
    { type: 'server.active', body: { status: 'ACTIVE' }, seq: 1, topic },
    { type: 'server.deleted', body: {}, seq: 2, topic },
  ]);
  assert.equal(publisher.stats().sentLocally, 0);
  assert.equal(raw.length, 2);
  assert.equal((JSON.parse(raw[0]!) as { type: string }).type, 'server.active', 'events are JSON, readable by any client');
});

void test('when the transport closes, pending and later asks settle UNAVAILABLE at once', async (t) => {
  const { ta, asker, server } = await setup(t);
  await server.serve(SERVED, () => undefined);
  const pending = asker.ask(SERVED, 'svc/1', 'q', null, { timeoutMs: 60_000 });
  await settle();
  await ta.close();
  const r = await pending;
  assert.equal(!r.ok && r.error.code, 'UNAVAILABLE');
  const later = await asker.ask(SERVED, 'svc/1', 'q', null, { timeoutMs: 60_000 });
  assert.equal(!later.ok && later.error.code, 'UNAVAILABLE');
});
