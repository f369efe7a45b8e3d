// Fault injection: the broker restarts (aedes and mosquitto: stopped and started on the same
// port; in-process: bus.fail()/restore()) while one-way messages (tells, QoS 1) are in flight.
// Proves that every tell whose tell() was called reaches the receiver once the clients are back,
// in the order sent and once each: a broker restart loses QoS 1 messages it had acknowledged but
// not yet delivered, and publishes released before the receiver re-subscribed, so the sender
// keeps its recent tells and sends them again after a reconnect (the receiver drops repeats).
// An ask sent after the tells, on the same topic, is the barrier: it is handled after every
// tell before it has been delivered or given up as lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WallClock } from '../../transports/clock.js';
import { createEndpoint } from '../../transports/endpoint.js';
import { topics } from '../../transports/topics.js';
import { ALL_KINDS, startFixture } from '../helpers/brokers.js';

const SERVED = topics.mailbox(11);

for (const kind of ALL_KINDS) {
  void test(`${kind}: tells in flight during a broker restart all arrive after the reconnect, in order, once`, { timeout: 20_000 }, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const clock = new WallClock();
    // A long gap timeout: a tell that arrives only after it has been given up would count as
    // delivered here, out of order, and the test checks the order.
    const order = { gapTimeoutMs: 5_000 };
    const asker = await createEndpoint({ transport: await fx.connect(), clock, order });
    const server = await createEndpoint({ transport: await fx.connect(), clock, order });
    t.after(() => Promise.all([asker.close(), server.close()]));
    const seen: number[] = [];
    await server.serve(SERVED, (d) => {
      seen.push(d.envelope.body as number);
      void d.reply('ok');
    });

    const N = 400;
    const told: Array<Promise<void>> = [];
    let restart: Promise<void> | undefined;
    for (let i = 0; i < N; i++) {
      told.push(asker.tell(SERVED, 'svc/1', 'step', i));
      if (i === 100) {
        await told[90]; // traffic is flowing
        restart = fx.restartBroker();
      }
      // Batches of ten in flight: some are under way when the broker goes, some are issued while it is down.
      if (i % 10 === 9) await told[i];
    }
    await restart;
    await Promise.all(told);
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'step', N, { timeoutMs: 15_000 }), { ok: true, value: 'ok' });
    const missing = [...Array(N).keys()].filter((i) => !seen.includes(i));
    assert.deepEqual(missing, [], `tells lost in the restart: ${missing.length}`);
    assert.deepEqual(seen, [...Array(N + 1).keys()], 'in order, each once');
    assert.equal(server.stats().order.skipped, 0);
    assert.ok(asker.stats().tellsResent > 0, 'recent tells were sent again after the reconnect');
  });
}
