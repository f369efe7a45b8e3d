// The raw Transport contract, run against all three implementations (in-process bus, embedded
// aedes, external mosquitto): delivery, MQTT wildcards, overlapping filters, unsubscribe,
// per-publisher order under a large in-flight window, retained messages, payload ownership,
// and how a first connect fails (bad credentials, unreachable broker).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startBroker } from '../../transports/broker.js';
import { Unauthorized, FabricError } from '../../transports/errors.js';
import { InProcessBus, createInProcessTransport } from '../../transports/inproc-transport.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';
import { ALL_KINDS, Inbox, bytes, startFixture } from '../helpers/brokers.js';
import { freePort, startMosquitto } from '../helpers/mosquitto.js';

const TIMEOUT = { timeout: 10_000 };

for (const kind of ALL_KINDS) {
  void test(`${kind}: publish/subscribe round trip delivers the bytes`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const inbox = new Inbox();
    await b.subscribe('rt/x', inbox.handler);
    await a.publish('rt/x', bytes('hello'));
    await a.publish('rt/x', new Uint8Array(0), { qos: 0 });
    await inbox.until((i) => i.messages.length === 2);
    assert.deepEqual(inbox.messages, [
      { topic: 'rt/x', text: 'hello' },
      { topic: 'rt/x', text: '' },
    ]);
  });

  void test(`${kind}: wildcard filters match by MQTT rules`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const plus = new Inbox();
    const hash = new Inbox();
    await b.subscribe('w/+/x', plus.handler);
    await b.subscribe('w/a/#', hash.handler);
    for (const topic of ['w/a/x', 'w/b/x', 'w/a/y/x', 'w/a', 'w/x', 'v/a/x']) await a.publish(topic, bytes(topic));
    await a.publish('w/end/x', bytes('end'));
    await plus.received('end');
    assert.deepEqual(plus.texts(), ['w/a/x', 'w/b/x', 'end']);
    await hash.until((i) => i.messages.length === 3);
    assert.deepEqual(hash.texts(), ['w/a/x', 'w/a/y/x', 'w/a']); // `#` also matches its parent level
  });

  void test(`${kind}: a topic matching several filters reaches each handler exactly once`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const inboxes = [new Inbox(), new Inbox(), new Inbox()];
    const barrier = new Inbox();
    await b.subscribe('m/+/c', inboxes[0]!.handler);
    await b.subscribe('m/b/+', inboxes[1]!.handler);
    await b.subscribe('m/#', inboxes[2]!.handler);
    await b.subscribe('barrier', barrier.handler);
    await a.publish('m/b/c', bytes('one'));
    await a.publish('barrier', bytes('done')); // same publisher→subscriber: arrives after 'one'
    await barrier.received('done');
    for (const inbox of inboxes) assert.deepEqual(inbox.texts(), ['one']);
  });

  void test(`${kind}: each handler owns its payload; writing into one does not change another's`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const seen: string[] = [];
    const sent = bytes('abc');
    const both = new Inbox();
    await b.subscribe('own/#', (_topic, payload) => {
      payload.fill(0x7a); // 'z'
      both.handler('own/1', bytes('first'));
    });
    await b.subscribe('own/+', (_topic, payload) => {
      seen.push(Buffer.from(payload).toString());
      both.handler('own/2', bytes('second'));
    });
    await a.publish('own/x', sent);
    sent.fill(0x79); // the publisher reuses its buffer at once
    await both.until((i) => i.messages.length === 2);
    assert.deepEqual(seen, ['abc']);
  });

  void test(`${kind}: unsubscribe stops delivery`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const inbox = new Inbox();
    const barrier = new Inbox();
    await b.subscribe('u/a', inbox.handler);
    await b.subscribe('u/barrier', barrier.handler);
    await a.publish('u/a', bytes('before'));
    await inbox.received('before');
    await b.unsubscribe('u/a');
    await a.publish('u/a', bytes('after'));
    await a.publish('u/barrier', bytes('done'));
    await barrier.received('done');
    assert.deepEqual(inbox.texts(), ['before']);
  });

  void test(`${kind}: 1,000 QoS 1 messages in flight at once arrive in publish order`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const inbox = new Inbox();
    await b.subscribe('order/#', inbox.handler);
    const n = 1000;
    // Two topics under one filter: order holds per publisher→subscriber, not only per topic.
    await Promise.all(Array.from({ length: n }, (_, i) => a.publish(`order/${i % 2}`, bytes(String(i)))));
    await inbox.until((i) => i.messages.length >= n);
    assert.deepEqual(inbox.texts(), Array.from({ length: n }, (_, i) => String(i)));
  });

  void test(`${kind}: a retained message reaches a later subscriber; an empty one clears it`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    await a.publish('ret/lease', bytes('epoch-1'), { retain: true });
    const first = new Inbox();
    await b.subscribe('ret/+', first.handler);
    await first.received('epoch-1');
    await a.publish('ret/lease', new Uint8Array(0), { retain: true });
    await first.received('');
    await b.unsubscribe('ret/+');
    const later = new Inbox();
    const barrier = new Inbox();
    await b.subscribe('ret/#', later.handler);
    await b.subscribe('ret-barrier', barrier.handler);
    await a.publish('ret-barrier', bytes('done'));
    await barrier.received('done');
    assert.deepEqual(later.texts(), []);
  });

  void test(`${kind}: close() lets a QoS 1 publish already under way finish, then ends`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    const inbox = new Inbox();
    await b.subscribe('cl/x', inbox.handler);
    const underway = a.publish('cl/x', bytes('last words'));
    await a.close();
    await underway;
    await inbox.received('last words');
  });

  void test(`${kind}: invalid topics and filters are refused with BAD_REQUEST; a closed transport with UNAVAILABLE`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const a = await fx.connect();
    await assert.rejects(a.publish('a/+/b', bytes('x')), { code: 'BAD_REQUEST' });
    await assert.rejects(a.subscribe('a/#/b', () => undefined), { code: 'BAD_REQUEST' });
    await assert.rejects(a.subscribe('a/b+', () => undefined), { code: 'BAD_REQUEST' });
    const statuses: string[] = [];
    a.onStatus((s) => statuses.push(s));
    await a.close();
    assert.deepEqual(statuses, ['closed']);
    await assert.rejects(a.publish('a/b', bytes('x')), { code: 'UNAVAILABLE' });
    await assert.rejects(a.subscribe('a/b', () => undefined), { code: 'UNAVAILABLE' });
  });
}

void test('inproc: subscriberCount counts matching subscriptions, and closing a transport removes its own', TIMEOUT, async () => {
  const bus = new InProcessBus();
  const [a, b] = [createInProcessTransport(bus, 'a'), createInProcessTransport(bus, 'b')];
  await a.subscribe('cnt/+', () => undefined);
  await a.subscribe('cnt/x', () => undefined);
  await b.subscribe('cnt/#', () => undefined);
  assert.equal(bus.subscriberCount('cnt/x'), 3);
  assert.equal(bus.subscriberCount('cnt/y'), 2);
  assert.throws(() => createInProcessTransport(bus, 'a'), { code: 'CONFLICT' });
  await a.close();
  assert.equal(bus.subscriberCount('cnt/x'), 1);
  await b.close();
  assert.equal(bus.subscriberCount('cnt/x'), 0);
});

// A guard on the index: scanning all filters, even with a plain string compare per exact filter,
// 10,000 publishes against 50,000 filters take ~9 s; with the Map, ~0.1 s. (Routing runs
// synchronously, so it is timed here: a test timeout could not interrupt it.)
void test('inproc: routing stays fast with 50,000 exact filters', TIMEOUT, async (t) => {
  const bus = new InProcessBus();
  const [a, b] = [createInProcessTransport(bus), createInProcessTransport(bus)];
  const inbox = new Inbox();
  for (let i = 0; i < 50_000; i++) await b.subscribe(`cumulo/mbox/${i}`, inbox.handler);
  await b.subscribe('cumulo/events/#', inbox.handler);
  const start = performance.now();
  await Promise.all(Array.from({ length: 10_000 }, (_, i) => a.publish(`cumulo/mbox/${i * 5}`, bytes(String(i)))));
  await inbox.until((i) => i.messages.length === 10_000);
  const elapsed = performance.now() - start;
  t.diagnostic(`10,000 publishes over 50,000 filters: ${elapsed.toFixed(0)} ms`);
  assert.ok(elapsed < 3_000, `routing took ${elapsed.toFixed(0)} ms`);
  assert.equal(inbox.messages[9_999]?.topic, 'cumulo/mbox/49995');
  await Promise.all([a.close(), b.close()]);
});

void test('aedes: an authenticator that refuses makes the first connect fail with UNAUTHORIZED', TIMEOUT, async (t) => {
  const broker = await startBroker({
    port: 0,
    authenticator: { authenticate: async (_id, username, password) => (username === 'alice' && password?.toString() === 'right' ? { id: 'alice', publish: ['#'], subscribe: ['#'] } : Unauthorized('bad credentials')) },
  });
  t.after(() => broker.close());
  const error = await connectMqtt({ url: broker.url, username: 'alice', password: 'wrong' }).then(
    () => assert.fail('connected with a wrong password'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FabricError);
  assert.equal(error.code, 'UNAUTHORIZED');
  const ok = await connectMqtt({ url: broker.url, username: 'alice', password: 'right' });
  await ok.close();
});

void test('mosquitto: wrong or missing credentials fail the first connect with UNAUTHORIZED', TIMEOUT, async (t) => {
  const broker = await startMosquitto({ users: { alice: 'right' } });
  t.after(() => broker.stop());
  await assert.rejects(connectMqtt({ url: broker.url, username: 'alice', password: 'wrong' }), { code: 'UNAUTHORIZED' });
  await assert.rejects(connectMqtt({ url: broker.url }), { code: 'UNAUTHORIZED' });
  const ok = await connectMqtt({ url: broker.url, username: 'alice', password: 'right' });
  await ok.close();
});

void test('mqtt: an unreachable broker fails the first connect with UNAVAILABLE', TIMEOUT, async () => {
  const port = await freePort(); // nothing listens there
  const error = await connectMqtt({ url: `mqtt://127.0.0.1:${port}` }).then(
    () => assert.fail('connected to nothing'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FabricError);
  assert.equal(error.code, 'UNAVAILABLE');
  assert.equal(error.value.retryable, true);
});
