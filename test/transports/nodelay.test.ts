// Proves that Nagle's algorithm is off on both ends of every MQTT socket: sequential QoS 1
// request/reply round trips (A publishes a request, B answers on another topic, A waits for the
// answer and its own PUBACK) through the embedded aedes and through mosquitto. With Nagle on,
// a round trip stalls on delayed ACKs (~40 ms); with it off, it takes well under a millisecond.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { Inbox, bytes, startFixture, type TransportKind } from '../helpers/brokers.js';

const ROUND_TRIPS = 200;
const WARMUP = 20;

for (const kind of ['aedes', 'mosquitto'] satisfies TransportKind[]) {
  void test(`${kind}: the median QoS 1 request/reply round trip is far below Nagle's 40 ms stall`, { timeout: 10_000 }, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const [a, b] = [await fx.connect(), await fx.connect()];
    await b.subscribe('nd/request', (_topic, payload) => {
      // A failed reply shows up as a missing answer, which times the test out.
      void b.publish('nd/reply', payload).catch(() => undefined);
    });
    const replies = new Inbox();
    await a.subscribe('nd/reply', replies.handler);

    const times: number[] = [];
    for (let i = 0; i < WARMUP + ROUND_TRIPS; i++) {
      const start = performance.now();
      await Promise.all([a.publish('nd/request', bytes(String(i))), replies.received(String(i))]);
      if (i >= WARMUP) times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    const p50 = times[Math.floor(times.length / 2)]!;
    const p99 = times[Math.floor(times.length * 0.99)]!;
    t.diagnostic(`${kind}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms over ${ROUND_TRIPS} round trips`);
    assert.ok(p50 < 10, `median round trip ${p50.toFixed(2)} ms: Nagle is on somewhere`);
  });
}
