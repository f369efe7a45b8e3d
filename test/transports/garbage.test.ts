// Hostile input on a live served mailbox, on the in-process bus and on aedes. Proves that 10,000
// random, truncated, corrupted, invalid and oversized payloads never reach the served handler and
// never crash the endpoint; each one whose reply address can be salvaged gets an error reply
// (BAD_ENVELOPE or PAYLOAD_TOO_LARGE, in its own encoding), every other one is a counted drop;
// and correct requests keep being served throughout and afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode as rawCbor } from 'cbor-x';
import { WallClock } from '../../transports/clock.js';
import { MAX_PAYLOAD_BYTES, decodeEnvelope, encodeEnvelope, salvageReplyAddress } from '../../transports/codec.js';
import { createEndpoint, type ServeHandler } from '../../transports/endpoint.js';
import type { Envelope } from '../../transports/envelope.js';
import { newId } from '../../transports/ids.js';
import { topics } from '../../transports/topics.js';
import { startFixture, type TransportKind } from '../helpers/brokers.js';

const SERVED = topics.mailbox(42);
const REPLIES = 'garbage/replies';
const TOTAL = 10_000;
const OVERSIZED = 12;

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

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validRequest(replyTo: string | null, body: unknown = { n: 1, s: 'text' }): Envelope {
  return { v: 1, type: 'echo', to: 'svc/1', from: 'garbage', replyTo, corr: newId(), inc: newId(), seq: 0, deadline: null, token: null, body };
}

/** Payloads that are not valid envelopes; the odd ones carry a reply address where they can. */
function* garbage(random: () => number): Generator<Uint8Array> {
  const int = (n: number) => Math.floor(random() * n);
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const withReply: Array<() => Uint8Array> = [
    () => encodeEnvelope(validRequest(REPLIES)).subarray(0, 1 + int(60)), // truncated CBOR
    () => {
      const json = Buffer.from(encodeEnvelope(validRequest(REPLIES), 'json'));
      return json.subarray(0, 1 + int(json.length - 2)); // truncated JSON
    },
    () => {
      const bytes = Uint8Array.from(encodeEnvelope(validRequest(REPLIES)));
      for (let i = 0; i < 3; i++) bytes[int(bytes.length)] = int(256); // corrupted CBOR
      return bytes;
    },
    () => rawCbor({ ...validRequest(REPLIES), seq: -1 - int(5) }), // a plain CBOR map, invalid field
    () => rawCbor({ ...validRequest(REPLIES), extra: int(10) }),
    () => Buffer.from(JSON.stringify({ ...validRequest(REPLIES), type: 'has spaces' })),
    () => Buffer.from(JSON.stringify({ ...validRequest(REPLIES), inc: 'not-hex' })),
    () => Buffer.from(`{"replyTo":"${REPLIES}","corr":"${newId()}", "v": 1, broken`),
  ];
  const withoutReply: Array<() => Uint8Array> = [
    () => randomBytes(int(300)),
    () => encodeEnvelope(validRequest(null)).subarray(0, 1 + int(40)),
    () => Buffer.from(`{"v":1,"type":${int(99)}}`),
    () => Buffer.from(randomBytes(1 + int(100)).toString()),
    () => rawCbor([int(100), 'not an envelope', null]),
  ];
  for (let i = 0; i < TOTAL; i++) {
    if (i % (TOTAL / OVERSIZED) === 0) {
      // Over the size limit, with the reply address first so that it can be salvaged.
      yield Buffer.from(`{"replyTo":"${REPLIES}","corr":"${newId()}","body":"${'x'.repeat(MAX_PAYLOAD_BYTES)}"}`);
      continue;
    }
    const kinds = i % 2 === 0 ? withReply : withoutReply;
    for (;;) {
      const payload = kinds[int(kinds.length)]!();
      // A corruption can leave a valid envelope by chance; garbage must be garbage.
      if (!decodeEnvelope(payload).ok) {
        yield payload;
        break;
      }
    }
  }
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
    for (const payload of garbage(random)) {
      const salvaged = salvageReplyAddress(payload);
      if (salvaged) answerable++;
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
