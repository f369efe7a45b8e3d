// The endpoint's contract, run on every transport (in-process bus, embedded aedes, external
// mosquitto): request/reply in both encodings, deadlines on both sides, a redelivered duplicate
// applied once, order per sender→receiver pair, a broker restart mid-traffic that loses no
// acknowledged ask and applies none twice, and local delivery that bypasses the broker.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, WallClock, type Clock } from '../../transports/clock.js';
import { decodeEnvelope, encodeEnvelope } from '../../transports/codec.js';
import { createEndpoint, type Delivery, type Endpoint, type EndpointOptions } from '../../transports/endpoint.js';
import type { Envelope } from '../../transports/envelope.js';
import { Conflict } from '../../transports/errors.js';
import { newId } from '../../transports/ids.js';
import { LocalDirectory } from '../../transports/local-directory.js';
import { topics } from '../../transports/topics.js';
import type { Transport } from '../../transports/transport.js';
import { ALL_KINDS, startFixture, type TransportFixture, type TransportKind } from '../helpers/brokers.js';

const TIMEOUT = { timeout: 20_000 };
const SERVED = topics.mailbox(7);

/** Resolves when a condition holds, re-checked by check() (no sleeps). */
class Waiter {
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }
  check(): void {
    this.waiters = this.waiters.filter((w) => (w.done() ? (w.resolve(), false) : true));
  }
}

/** Raw payloads received on a topic, for the tests that play a foreign client. */
class RawInbox {
  readonly payloads: Uint8Array[] = [];
  private readonly waiter = new Waiter();
  readonly handler = (_topic: string, payload: Uint8Array): void => {
    this.payloads.push(payload);
    this.waiter.check();
  };
  count(n: number): Promise<void> {
    return this.waiter.until(() => this.payloads.length >= n);
  }
}

interface Pair {
  fx: TransportFixture;
  ta: Transport;
  tb: Transport;
  asker: Endpoint;
  server: Endpoint;
}

async function pair(t: TestContext, kind: TransportKind, clock: Clock, extra: Partial<EndpointOptions> = {}): Promise<Pair> {
  const fx = await startFixture(kind);
  t.after(() => fx.close());
  const [ta, tb] = [await fx.connect(), await fx.connect()];
  const asker = await createEndpoint({ transport: ta, clock, ...extra });
  const server = await createEndpoint({ transport: tb, clock, ...extra });
  t.after(() => Promise.all([asker.close(), server.close()]));
  return { fx, ta, tb, asker, server };
}

function envelope(fields: Partial<Envelope>): Envelope {
  return { v: 1, type: 'test', to: 'svc/1', from: 'tester', replyTo: null, corr: null, inc: newId(), seq: 0, deadline: null, token: null, body: null, ...fields };
}

for (const kind of ALL_KINDS) {
  void test(`${kind}: an ask gets its reply, and a failure comes back as an error value`, TIMEOUT, async (t) => {
    const { asker, server } = await pair(t, kind, new WallClock());
    await server.serve(SERVED, (d) => {
      const body = d.envelope.body as { n: number };
      if (body.n < 0) void d.fail(Conflict('negative', { n: body.n }));
      else void d.reply({ doubled: body.n * 2, type: d.envelope.type, to: d.envelope.to });
    });
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'double', { n: 21 }), { ok: true, value: { doubled: 42, type: 'double', to: 'svc/1' } });
    const failed = await asker.ask(SERVED, 'svc/1', 'double', { n: -1 });
    assert.equal(failed.ok, false);
    assert.deepEqual(!failed.ok && failed.error, Conflict('negative', { n: -1 }));
    assert.equal(server.stats().handled, 2);
  });

  void test(`${kind}: a JSON request from a foreign client gets a JSON reply`, TIMEOUT, async (t) => {
    const { ta, server } = await pair(t, kind, new WallClock());
    await server.serve(SERVED, (d) => void d.reply({ echo: d.envelope.body, format: d.format }));
    const replies = new RawInbox();
    await ta.subscribe('cumulo/reply/foreign', replies.handler);
    const corr = newId();
    // What mosquitto_pub would send: hand-written JSON, seq 0 (unsequenced).
    const json = `{"v":1,"type":"echo","to":"svc/1","from":"cli","replyTo":"cumulo/reply/foreign","corr":"${corr}","inc":"${newId()}","seq":0,"deadline":null,"token":null,"body":{"x":1}}`;
    await ta.publish(SERVED, new TextEncoder().encode(json));
    await replies.count(1);
    const text = Buffer.from(replies.payloads[0]!).toString();
    assert.equal(text[0], '{', 'the reply is JSON text');
    const reply = JSON.parse(text) as Envelope;
    assert.equal(reply.type, 'reply');
    assert.equal(reply.corr, corr);
    assert.deepEqual(reply.body, { type: 'ok', body: { echo: { x: 1 }, format: 'json' } });
  });

  void test(`${kind}: an unanswered ask resolves TIMEOUT at its deadline, on the virtual clock`, TIMEOUT, async (t) => {
    const clock = new VirtualClock(1_000_000);
    const { asker, server } = await pair(t, kind, clock);
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    await server.serve(SERVED, () => received()); // never replies
    let settled = false;
    const answer = asker.ask(SERVED, 'svc/1', 'silence', {}, { timeoutMs: 5_000 }).finally(() => (settled = true));
    await arrived;
    await clock.advanceAsync(4_999);
    assert.equal(settled, false, 'not before the deadline');
    await clock.advanceAsync(1);
    const result = await answer;
    assert.equal(!result.ok && result.error.code, 'TIMEOUT');
    assert.equal(asker.stats().timeouts, 1);
    assert.equal(asker.stats().pending, 0);
  });

  void test(`${kind}: a request arriving after its deadline is answered TIMEOUT without being handled`, TIMEOUT, async (t) => {
    const clock = new VirtualClock(1_000_000);
    const { asker, server } = await pair(t, kind, clock);
    let handled = 0;
    await server.serve(SERVED, (d) => {
      handled++;
      void d.reply('handled');
    });
    // The deadline is already past; the virtual clock does not move, so the asker's own timer
    // cannot fire: the TIMEOUT can only be the receiver's answer.
    const result = await asker.ask(SERVED, 'svc/1', 'late', {}, { deadline: clock.now() - 1 });
    assert.equal(!result.ok && result.error.code, 'TIMEOUT');
    assert.equal(!result.ok && result.error.details?.deadline, clock.now() - 1);
    assert.equal(handled, 0);
    assert.equal(server.stats().expired, 1);
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'on-time', {}), { ok: true, value: 'handled' }, 'the stream goes on');
  });

  void test(`${kind}: a redelivered request is applied once and both copies get the same reply`, TIMEOUT, async (t) => {
    const { ta, server } = await pair(t, kind, new WallClock());
    let applied = 0;
    await server.serve(SERVED, (d) => void d.reply({ applied: ++applied }));
    const replies = new RawInbox();
    await ta.subscribe('cumulo/reply/raw', replies.handler);
    const inc = newId();
    const request = encodeEnvelope(envelope({ type: 'apply', replyTo: 'cumulo/reply/raw', corr: newId(), inc, seq: 1 }));
    await ta.publish(SERVED, request);
    await ta.publish(SERVED, request);
    await replies.count(2);
    assert.equal(applied, 1);
    const [first, second] = replies.payloads.map((p) => {
      const decoded = decodeEnvelope(p);
      assert.ok(decoded.ok);
      return decoded.value.envelope.body;
    });
    assert.deepEqual(first, { type: 'ok', body: { applied: 1 } });
    assert.deepEqual(second, first);
    // A repeated one-way message is dropped, and counted.
    const oneWay = encodeEnvelope(envelope({ type: 'apply', inc, seq: 2 }));
    await ta.publish(SERVED, oneWay);
    await ta.publish(SERVED, oneWay);
    await ta.publish(SERVED, encodeEnvelope(envelope({ type: 'apply', replyTo: 'cumulo/reply/raw', corr: newId(), inc, seq: 3 })));
    await replies.count(3);
    assert.equal(applied, 3);
    assert.equal(server.stats().duplicatesAnswered, 1);
    assert.equal(server.stats().duplicatesDropped, 1);
  });

  void test(`${kind}: 1,000 tells, with asks interleaved, arrive in the order they were sent`, TIMEOUT, async (t) => {
    const { asker, server } = await pair(t, kind, new WallClock());
    const seen: number[] = [];
    await server.serve(SERVED, (d) => {
      seen.push((d.envelope.body as { i: number }).i);
      void d.reply('ok');
    });
    const sent: Array<Promise<unknown>> = [];
    for (let i = 0; i < 1_000; i++) {
      sent.push(i % 7 === 0 ? asker.ask(SERVED, 'svc/1', 'step', { i }) : asker.tell(SERVED, 'svc/1', 'step', { i }));
    }
    const results = await Promise.all(sent);
    for (const r of results) if (r !== undefined) assert.deepEqual(r, { ok: true, value: 'ok' });
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'step', { i: 1_000 }), { ok: true, value: 'ok' });
    assert.deepEqual(seen, [...Array(1_001).keys()]);
    assert.equal(server.stats().order.skipped, 0);
  });

  void test(`${kind}: a broker restart mid-traffic loses no ask and applies none twice`, TIMEOUT, async (t) => {
    // Proves: asks pending when the broker goes down are sent again after it is back (on
    // reconnect and by the retransmit timer) and resolve; the receiver's de-duplication keeps
    // a resent ask whose first copy was applied from being applied again.
    const { fx, asker, server } = await pair(t, kind, new WallClock(), { retransmitIntervalMs: 150, defaultTimeoutMs: 15_000 });
    const applied = new Map<number, number>();
    await server.serve(SERVED, (d) => {
      const { n } = d.envelope.body as { n: number };
      applied.set(n, (applied.get(n) ?? 0) + 1);
      void d.reply({ n });
    });
    const M = 300;
    const answers: Array<Promise<unknown>> = [];
    let restart: Promise<void> | undefined;
    for (let n = 0; n < M; n++) {
      answers.push(asker.ask(SERVED, 'svc/1', 'count', { n }));
      if (n === 100) {
        await answers[50]; // traffic is flowing
        restart = fx.restartBroker();
      }
      if (n % 25 === 0) await Promise.resolve();
    }
    await restart;
    const results = await Promise.all(answers);
    results.forEach((r, n) => assert.deepEqual(r, { ok: true, value: { n } }, `ask ${n}`));
    for (let n = 0; n < M; n++) assert.equal(applied.get(n), 1, `ask ${n} applied exactly once`);
    assert.equal(asker.stats().pending, 0);
    // The in-process bus holds QoS 1 publishes through its outage; real brokers lose them.
    if (kind !== 'inproc') assert.ok(asker.stats().retransmits > 0, 'asks pending at the restart were sent again');
  });

  void test(`${kind}: a receiver in the same process is reached in memory, never through the broker`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const directory = new LocalDirectory();
    const clock = new WallClock();
    const [ta, tb, tc] = [countPublishes(await fx.connect()), countPublishes(await fx.connect()), await fx.connect()];
    const asker = await createEndpoint({ transport: ta.transport, clock, directory });
    const server = await createEndpoint({ transport: tb.transport, clock, directory });
    t.after(() => Promise.all([asker.close(), server.close()]));
    const vias: Array<Delivery['via']> = [];
    await server.serve(SERVED, (d) => {
      vias.push(d.via);
      void d.reply(d.envelope.body);
    });
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'echo', 'hello'), { ok: true, value: 'hello' });
    await asker.tell(SERVED, 'svc/1', 'note', 'one-way');
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'echo', 'again'), { ok: true, value: 'again' });
    assert.equal(ta.count(), 0, 'the asker published nothing');
    assert.equal(tb.count(), 0, 'the replies went in memory too');
    assert.deepEqual(vias, ['local', 'local', 'local']);
    // The topic is still the address: a client elsewhere reaches the same receiver via the broker.
    const outsider = await createEndpoint({ transport: tc, clock });
    t.after(() => outsider.close());
    assert.deepEqual(await outsider.ask(SERVED, 'svc/1', 'echo', 'from afar'), { ok: true, value: 'from afar' });
    assert.deepEqual(vias.at(-1), 'transport');
  });

  void test(`${kind}: order per pair holds when a sender switches between the broker and local delivery`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const directory = new SwitchableDirectory();
    const clock = new WallClock();
    const asker = await createEndpoint({ transport: await fx.connect(), clock, directory });
    const server = await createEndpoint({ transport: await fx.connect(), clock, directory });
    t.after(() => Promise.all([asker.close(), server.close()]));
    const seen: number[] = [];
    const vias = new Set<string>();
    await server.serve(SERVED, (d) => {
      seen.push(d.envelope.body as number);
      vias.add(d.via);
      void d.reply('ok');
    });
    const sent: Array<Promise<unknown>> = [];
    directory.enabled = false; // the first half goes through the broker...
    for (let i = 0; i < 200; i++) sent.push(asker.tell(SERVED, 'svc/1', 'step', i));
    directory.enabled = true; // ...the second half in memory, overtaking what is still in flight
    for (let i = 200; i < 400; i++) sent.push(asker.tell(SERVED, 'svc/1', 'step', i));
    await Promise.all(sent);
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'step', 400), { ok: true, value: 'ok' });
    assert.deepEqual(seen, [...Array(401).keys()]);
    assert.deepEqual([...vias].sort(), ['local', 'transport']);
  });
}

/** A directory that can be switched off, to make a sender go through the broker for a while. */
class SwitchableDirectory extends LocalDirectory {
  enabled = true;
  override lookup(topic: string) {
    return this.enabled ? super.lookup(topic) : [];
  }
}

/** Wraps a transport to count what it publishes. */
function countPublishes(inner: Transport): { transport: Transport; count: () => number } {
  let n = 0;
  const transport: Transport = {
    kind: inner.kind,
    clientId: inner.clientId,
    publish: (topic, payload, options) => {
      n++;
      return inner.publish(topic, payload, options);
    },
    subscribe: (filter, handler, options) => inner.subscribe(filter, handler, options),
    unsubscribe: (filter) => inner.unsubscribe(filter),
    onStatus: (listener) => inner.onStatus(listener),
    close: () => inner.close(),
  };
  return { transport, count: () => n };
}
