// Hostile input on a live served mailbox, on the in-process bus and on aedes. Proves that 10,000
// random, truncated, corrupted, invalid and oversized payloads never reach the served handler and
// never crash the endpoint; each one whose reply address can be salvaged gets an error reply
// (BAD_ENVELOPE or PAYLOAD_TOO_LARGE, in its own encoding), every other one is a counted drop;
// and correct requests keep being served throughout and afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WallClock } from '../../transports/clock.js';
import { MAX_PAYLOAD_BYTES, decodeEnvelope, salvageReplyAddress } from '../../transports/codec.js';
import { createEndpoint, type ServeHandler } from '../../transports/endpoint.js';
import { matches } from '../../transports/topic-matcher.js';
import { topics } from '../../transports/topics.js';
import { startFixture, type TransportKind } from '../helpers/brokers.js';
import { garbage, prng } from '../helpers/garbage.js';

const SERVED = topics.mailbox(42);
const REPLIES = topics.reply('garbage');
const TOTAL = 10_000;

/**
 * The served receiver. Today an echo; once the actor runtime lands, an actor's mailbox handler
 * goes here, and the test stays the same: garbage must never reach it.
 */
function servedHandler(seen: { count: number }): ServeHandler {
  return (d) => {
    seen.count++;
    void d.reply({ echo: d.envelope.body });
  };
}

for (const kind of ['inproc', 'aedes'] as const satisfies readonly TransportKind[]) {
  void test(`${kind}: 10,000 malformed payloads are answered or counted, and correct requests keep being served`, { timeout: 60_000 }, async (t) => {
    const fx = await startFixture(kind);
    t.after(() => fx.close());
    const clock = new WallClock();
    const server = await createEndpoint({ transport: await fx.connect(), clock });
    const client = await fx.connect();
    const asker = await createEndpoint({ transport: client, clock });
    t.after(() => Promise.all([server.close(), asker.close()]));
    const seen = { count: 0 };
    await server.serve(SERVED, servedHandler(seen));

    const replies: Uint8Array[] = [];
    let wake: (() => void) | undefined;
    await client.subscribe(REPLIES, (_topic, payload) => {
      replies.push(payload);
      wake?.();
    });

    const random = prng(0x5eed);
    let answerable = 0;
    let toOurTopic = 0;
    let jsonToOurTopic = 0;
    let oversized = 0;
    let sent = 0;
    let batch: Array<Promise<void>> = [];
    for (const payload of garbage(random, REPLIES, TOTAL)) {
      const salvaged = salvageReplyAddress(payload);
      // Only reply topics of the scheme are answered: see InboxOptions.replyTopics.
      if (salvaged && matches('cumulo/reply/+', salvaged.replyTo)) answerable++;
      if (salvaged?.replyTo === REPLIES) toOurTopic++;
      if (salvaged?.replyTo === REPLIES && salvaged.format === 'json') jsonToOurTopic++;
      if (payload.length > MAX_PAYLOAD_BYTES) oversized++;
      batch.push(client.publish(SERVED, payload));
      if (++sent % 1_000 === 0) {
        await Promise.all(batch);
        batch = [];
        // The mailbox still serves correct requests in the middle of the garbage.
        assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'echo', { sent }), { ok: true, value: { echo: { sent } } });
      }
    }
    await Promise.all(batch);
    assert.deepEqual(await asker.ask(SERVED, 'svc/1', 'echo', 'after'), { ok: true, value: { echo: 'after' } });

    assert.equal(sent, TOTAL);
    assert.ok(answerable >= TOTAL / 3, `enough payloads carry a salvageable reply address (${answerable})`);
    assert.equal(seen.count, TOTAL / 1_000 + 1, 'the handler saw only the correct requests');
    const stats = server.stats();
    assert.equal(stats.malformedAnswered, answerable);
    assert.equal(stats.malformedDropped, TOTAL - answerable);
    assert.equal(stats.handlerErrors, 0);

    while (replies.length < toOurTopic) await new Promise<void>((resolve) => (wake = resolve));
    assert.equal(replies.length, toOurTopic);
    const codes = new Map<string, number>();
    let jsonReplies = 0;
    for (const payload of replies) {
      const decoded = decodeEnvelope(payload);
      assert.ok(decoded.ok, 'every error reply is a valid envelope');
      const { envelope, format } = decoded.value;
      if (format === 'json') jsonReplies++;
      assert.equal(envelope.type, 'reply');
      const body = envelope.body as { type: string; error: { code: string } };
      assert.equal(body.type, 'error');
      codes.set(body.error.code, (codes.get(body.error.code) ?? 0) + 1);
    }
    assert.equal(codes.get('PAYLOAD_TOO_LARGE'), oversized);
    assert.equal(codes.get('BAD_ENVELOPE'), toOurTopic - oversized);
    assert.deepEqual([...codes.keys()].sort(), ['BAD_ENVELOPE', 'PAYLOAD_TOO_LARGE']);
    assert.equal(jsonReplies, jsonToOurTopic, 'a JSON payload is answered in JSON, a CBOR one in CBOR');
    assert.ok(jsonReplies > 0 && jsonReplies < toOurTopic);
    t.diagnostic(`answerable ${answerable} (to our topic ${toOurTopic}, JSON ${jsonToOurTopic}), dropped ${stats.malformedDropped}`);
  });
}
