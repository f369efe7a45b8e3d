// Fault injection: the broker restarts under live clients (in-process: bus.fail()/restore();
// aedes and mosquitto: the process or server stops and starts on the same port). Proves that a
// transport reconnects and re-subscribes all of its filters without any action by its user,
// that QoS 1 publishes issued while offline are queued, sent after the re-subscription and
// resolved at PUBACK, and that QoS 0 publishes issued while offline are dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transport, TransportStatus } from '../../transports/transport.js';
import { ALL_KINDS, Inbox, bytes, startFixture } from '../helpers/brokers.js';

const TIMEOUT = { timeout: 10_000 };

/** Resolves at the transport's next change to this status. */
function nextStatus(t: Transport, wanted: TransportStatus): Promise<void> {
  return new Promise((resolve) => {
    const off = t.onStatus((s) => {
      if (s !== wanted) return;
      off();
      resolve();
    });
  });
}

for (const kind of ALL_KINDS) {
  void test(`${kind}: after a broker restart mid-traffic the subscriber is re-subscribed by itself and gets what follows`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [publisher, subscriber] = [await fx.connect(), await fx.connect()];
    const exact = new Inbox();
    const wild = new Inbox();
    await subscriber.subscribe('rc/data', exact.handler);
    await subscriber.subscribe('rc/w/#', wild.handler);
    const statuses: TransportStatus[] = [];
    let resubscribed = false;
    subscriber.onStatus((s) => {
      statuses.push(s);
      if (s === 'connected') resubscribed = true; // status 'connected' comes after the SUBACK
    });

    // Publishes started after the subscriber re-subscribed must arrive. (A publish merely
    // *resolved* after it may have reached the broker before the SUBSCRIBE did, so the sound
    // line is drawn at the start of the publish; each publish is awaited before the next.)
    const mustArrive: number[] = [];
    let restart: Promise<void> | undefined;
    for (let i = 0; i < 200 || mustArrive.length < 50; i++) {
      if (i === 50) restart = fx.restartBroker();
      const startedAfter = resubscribed;
      await publisher.publish(i % 2 === 0 ? 'rc/data' : `rc/w/${i}`, bytes(String(i)));
      if (startedAfter) mustArrive.push(i);
    }
    await restart;
    await publisher.publish('rc/data', bytes('end'));
    await exact.received('end');

    assert.deepEqual(statuses.slice(0, 2), ['disconnected', 'connected']);
    const got = new Set([...exact.texts(), ...wild.texts()]);
    const missing = mustArrive.filter((i) => !got.has(String(i)));
    assert.deepEqual(missing, [], `lost after re-subscription: ${missing.join(',')}`);
    assert.ok(mustArrive.some((i) => i % 2 === 1), 'the wildcard filter was re-subscribed too');
  });

  void test(`${kind}: publishes and subscribes issued while offline complete after the reconnect, subscription first`, TIMEOUT, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const client = await fx.connect();
    const a = new Inbox();
    const b = new Inbox();
    await client.subscribe('off/a', a.handler);

    let offline: Promise<unknown> | undefined;
    const off = client.onStatus((s) => {
      if (s !== 'disconnected') return;
      off();
      // All issued while disconnected: the QoS 1 publishes wait for the reconnect, and go out
      // after the re-subscription (which now includes off/b), so the client gets them back.
      offline = Promise.all([
        client.publish('off/a', bytes('held-1')),
        client.publish('off/a', bytes('dropped'), { qos: 0 }),
        client.subscribe('off/b', b.handler),
        client.publish('off/b', bytes('held-2')),
      ]);
    });
    const back = nextStatus(client, 'connected');
    await fx.restartBroker();
    await back;
    assert.ok(offline, 'the transport reported the outage');
    await offline;
    await a.received('held-1');
    await b.received('held-2');
    await client.publish('off/a', bytes('barrier'));
    await a.received('barrier');
    assert.deepEqual(a.texts(), ['held-1', 'barrier']); // the QoS 0 one was dropped, not queued
  });
}
