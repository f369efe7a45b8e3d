// Hostile payloads for a live mailbox: random bytes, truncated, corrupted and invalid envelopes
// in CBOR and JSON, and oversized ones; the odd ones carry a reply address where they can, so a
// receiver can answer them. Seeded, so a failing run can be replayed.
import { encode as rawCbor } from 'cbor-x';
import { MAX_PAYLOAD_BYTES, decodeEnvelope, encodeEnvelope } from '../../transports/codec.js';
import type { Envelope } from '../../transports/envelope.js';
import { newId } from '../../transports/ids.js';

export const OVERSIZED = 12;

/** The runtime's seeded generator (mulberry32): a failing run can be replayed from its seed. */
export { seededRandom as prng } from '../../supervision/index.js';

export function validRequest(replyTo: string | null, body: unknown = { n: 1, s: 'text' }, to = 'svc/1'): Envelope {
  return { v: 1, type: 'echo', to, from: 'garbage', replyTo, corr: newId(), inc: newId(), seq: 0, deadline: null, token: null, body };
}

/** Payloads that are not valid envelopes; the odd ones carry a reply address where they can. */
export function* garbage(random: () => number, REPLIES: string, TOTAL: number): Generator<Uint8Array> {
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

