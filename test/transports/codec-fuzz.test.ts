// Fault injection at the codec level. Proves that decodeEnvelope turns 10,000+ random,
// truncated, bit-flipped, spliced, structurally random and oversized payloads, and a list of
// hand-made hostile ones (cbor-x's slow and recursive paths: bignums, packed prefixes, value
// sharing, record redefinition, deep nesting, huge length headers), into a Result every time:
// never a throw, a hang or a crash; refusals are BAD_ENVELOPE or PAYLOAD_TOO_LARGE; anything
// accepted is a valid envelope that re-encodes; salvageReplyAddress never throws and never
// returns an unsafe topic; and the codec, and Object.prototype, are intact afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../supervision/backoff.js';
import { performance } from 'node:perf_hooks';
import { Encoder, Tag, encode as plainCbor } from 'cbor-x';
import fc from 'fast-check';
import { MAX_PAYLOAD_BYTES, createEnvelopeCodec, decodeEnvelope, encodeEnvelope, salvageReplyAddress } from '../../transports/codec.js';
import { LIMITS, REPLY_TYPE, isReplyTopic, replyError, replyOk, validateEnvelope } from '../../transports/envelope.js';
import type { Envelope } from '../../transports/envelope.js';
import { NotFound } from '../../transports/errors.js';
import { isId, newId } from '../../transports/ids.js';

/**
 * One payload must never take long. Linear work on 1 MiB takes tens of ms (more on a loaded
 * machine); the paths this guards against are quadratic or unbounded and take minutes.
 */
const MAX_MS_PER_PAYLOAD = 1000;


function envelope(body: unknown, overrides: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    type: 'volume.attach',
    to: 'volume/01JD8X3N5V6QK2W9RZ4T7YBCMA',
    from: 'client/fuzz',
    replyTo: 'cumulo/reply/fuzz',
    corr: newId(),
    inc: newId(),
    seq: 12,
    deadline: 1_767_225_630_000,
    token: 'tok',
    body,
    ...overrides,
  };
}

const SEEDS: Envelope[] = [
  envelope(null),
  envelope({ server: 'i-1', device: '/dev/vdb', n: [1, -2, 3.5, 2 ** 40], ok: true, nested: { a: { b: ['x', 'ÿ', '🚀'] } } }),
  envelope({ blob: Uint8Array.from({ length: 64 }, (_, i) => i), parts: [new Uint8Array(3)] }),
  envelope(replyOk({ id: 'v-1' }), { type: REPLY_TYPE, replyTo: null }),
  envelope(replyError(NotFound('no such volume', { id: 'v-1' })), { type: REPLY_TYPE }),
  envelope('just a string body', { corr: null, deadline: null, token: null }),
];

function validPayloads(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const env of SEEDS) {
    out.push(encodeEnvelope(env));
    if (validateEnvelope(env, 'json').ok) out.push(encodeEnvelope(env, 'json'));
  }
  return out;
}

/** Plain Uint8Array copies and -0 as 0: how a value compares after one more trip. */
function normal(value: unknown): unknown {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(normal);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normal(v)]));
  return value;
}

const stats = { refused: 0, accepted: 0, tooLarge: 0, salvaged: 0 };

/** The whole contract for one payload. */
function check(bytes: Uint8Array, label: string): void {
  const started = performance.now();
  const result = decodeEnvelope(bytes);
  const salvaged = salvageReplyAddress(bytes);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < MAX_MS_PER_PAYLOAD, `${label}: took ${elapsed.toFixed(1)} ms`);
  assert.equal(typeof result.ok, 'boolean', label);
  if (salvaged !== undefined) {
    stats.salvaged++;
    assert.ok(isReplyTopic(salvaged.replyTo), `${label}: unsafe salvaged topic`);
    assert.ok(salvaged.corr === null || isId(salvaged.corr), label);
    assert.ok(salvaged.format === 'cbor' || salvaged.format === 'json', label);
  }
  if (!result.ok) {
    assert.ok(result.error.code === 'BAD_ENVELOPE' || result.error.code === 'PAYLOAD_TOO_LARGE', `${label}: ${result.error.code}`);
    assert.equal(result.error.status, result.error.code === 'BAD_ENVELOPE' ? 400 : 413);
    if (result.error.code === 'PAYLOAD_TOO_LARGE') stats.tooLarge++;
    else stats.refused++;
    return;
  }
  stats.accepted++;
  const { envelope: env, format } = result.value;
  assert.ok(validateEnvelope(env, format).ok, label);
  const again = decodeEnvelope(encodeEnvelope(env, format));
  assert.ok(again.ok, label);
  assert.deepStrictEqual(normal(again.value.envelope), normal(env), label);
}

// ---- generated payloads ---------------------------------------------------------------------

void test('10,000+ random, truncated, bit-flipped and spliced payloads always come back as a Result', { timeout: 60_000 }, () => {
  const random = seededRandom(0xc0dec);
  const int = (n: number) => Math.floor(random() * n);
  const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
  const valid = validPayloads();
  let count = 0;

  // random bytes, some starting like an envelope so they get past the first byte
  const starts = [0xd9, 0xa0 + int(32), 0x7b, 0xbf, 0x9f, 0xc0 + int(28)];
  for (let i = 0; i < 3500; i++) {
    const bytes = randomBytes(int(i % 10 === 0 ? 5000 : 300));
    if (bytes.length > 0 && i % 2 === 0) bytes[0] = starts[int(starts.length)]!;
    if (bytes.length > 3 && i % 4 === 0) bytes.set([0xd9, 0xe0, int(6)]);
    check(bytes, `random #${i}`);
    count++;
  }
  // every truncation of every valid payload
  for (const bytes of valid) {
    for (let end = 0; end < bytes.length; end++) {
      check(bytes.subarray(0, end), `truncated at ${end}`);
      count++;
    }
  }
  // bit flips, byte splices, duplications
  for (let i = 0; i < 4000; i++) {
    const source = valid[int(valid.length)]!;
    let bytes = Uint8Array.from(source);
    switch (i % 4) {
      case 0:
        for (let f = 0, flips = 1 + int(8); f < flips; f++) bytes[int(bytes.length)]! ^= 1 << int(8);
        break;
      case 1:
        bytes[int(bytes.length)] = int(256);
        break;
      case 2: {
        const at = int(bytes.length);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...randomBytes(1 + int(8)), ...bytes.subarray(at + int(8))]);
        break;
      }
      default: {
        const a = int(bytes.length);
        const b = a + int(bytes.length - a);
        bytes = Uint8Array.from([...bytes, ...bytes.subarray(a, b)]);
      }
    }
    check(bytes, `mutation #${i} of ${Buffer.from(source.subarray(0, 4)).toString('hex')}`);
    count++;
  }
  assert.ok(count >= 10_000, `ran ${count}`);
  assert.ok(stats.refused > 5_000, `mostly refused (${JSON.stringify(stats)})`);
  assert.ok(stats.salvaged > 500, `reply addresses salvaged from broken payloads (${JSON.stringify(stats)})`);
});

void test('structurally random CBOR and JSON (any JS value, any tag) as body or as the whole payload', { timeout: 60_000 }, () => {
  const anyValue = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    maxDepth: 4,
  });
  const tagged = fc.tuple(fc.integer({ min: 0, max: 70_000 }), anyValue).map(([tag, value]) => new Tag(value, tag));
  const encoders = [new Encoder({ useRecords: false }), new Encoder(), new Encoder({ structuredClone: true }), new Encoder({ pack: true })];
  const headerOf = (env: Envelope) => {
    const bytes = encodeEnvelope(env);
    return bytes.subarray(0, bytes.length - 1); // a null body is the last byte
  };
  const header = headerOf(envelope(null));
  let n = 0;
  fc.assert(
    fc.property(fc.oneof(anyValue, tagged), fc.nat(encoders.length - 1), fc.boolean(), (value, e, asBody) => {
      let bytes: Uint8Array;
      try {
        bytes = encoders[e]!.encode(value);
      } catch {
        return; // cbor-x cannot encode every JS value (symbols, some tags); not our input
      }
      check(asBody ? Buffer.concat([header, bytes]) : bytes, `random CBOR ${n++}`);
    }),
    { numRuns: 2500, seed: 7 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (value, asBody) => {
      const text = asBody ? JSON.stringify({ ...envelope(null), body: value }) : JSON.stringify(value);
      check(Buffer.from(text), 'random JSON');
    }),
    { numRuns: 1500, seed: 8 },
  );
});

// ---- hand-made hostile payloads ---------------------------------------------------------------

/** Bytes of an envelope record whose body is `body` (raw CBOR bytes). */
function withBody(body: Uint8Array, env = envelope(null)): Uint8Array {
  const bytes = encodeEnvelope(env);
  return Buffer.concat([bytes.subarray(0, bytes.length - 1), body]);
}

const big = (n: number) => new Uint8Array(n).fill(0x01);

function hostile(): [string, Uint8Array, string?][] {
  const near = MAX_PAYLOAD_BYTES - 64;
  const deepArrays = new Uint8Array(near).fill(0x81);
  deepArrays[near - 1] = 0x01;
  const bignum = Buffer.concat([Buffer.from([0xc2, 0x5a]), Buffer.alloc(4), big(near - 300)]);
  bignum.writeUInt32BE(near - 300, 2);
  // packed table of one 50,000-element array, then many prefix references (tag 225) to it
  const table = plainCbor([Array.from({ length: 50_000 }, () => 0), 'x']);
  const refs = Buffer.concat(Array.from({ length: 50_000 }, () => Buffer.from([0xd8, 0xe1, 0x80])));
  const packed = Buffer.concat([Buffer.from([0xd8, 0x33, 0x84]), table.subarray(0), Buffer.from([0x80, 0x80]), Buffer.from([0x9a]), Buffer.from([0, 0, 0xc3, 0x50]), refs]);
  const jsonDeep = Buffer.from(`{"v":1,"body":${'['.repeat(near / 2)}`);
  const jsonDeepClosed = Buffer.from(`{"body":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  const header = Buffer.from(encodeEnvelope(envelope(null)));
  return [
    ['1 MiB of nested arrays', deepArrays],
    ['nested arrays as the body', withBody(deepArrays.subarray(0, 200_000))],
    ['array of 4G elements from a 5-byte header', withBody(Buffer.from([0x9a, 0xff, 0xff, 0xff, 0xff]))],
    ['map of 4G entries', withBody(Buffer.from([0xba, 0xff, 0xff, 0xff, 0xff, 0x01]))],
    ['byte string of 2G', withBody(Buffer.from([0x5a, 0x7f, 0xff, 0xff, 0xff]))],
    ['8-byte length', withBody(Buffer.from([0x9b, 0, 0, 0, 0, 0, 0, 0, 1, 0x01]))],
    ['8-byte tag', withBody(Buffer.from([0xdb, 0, 0, 0, 0, 0, 0, 0xe0, 0, 0x80]))],
    ['1 MiB bignum (tag 2: BigInt in O(n²))', withBody(bignum)],
    ['negative bignum (tag 3)', withBody(Buffer.from([0xc3, 0x42, 1, 2]))],
    ['packed-CBOR prefixes (copies per reference)', withBody(packed)],
    ['value sharing cycle (tags 28/29)', withBody(Buffer.from([0xd8, 0x1c, 0x81, 0xd8, 0x1d, 0x00]))],
    ['inline record redefining the envelope structure', Buffer.from([0xd9, 0xdf, 0xff, 0x83, 0x19, 0xe0, 0x00, 0x81, 0x61, 0x78, 0x01])],
    ['record definitions tag', withBody(Buffer.from([0xd9, 0xdf, 0xfe, 0x83, 0x19, 0xe0, 0x05, 0x81, 0x61, 0x78, 0x01]))],
    ['unknown record id', withBody(Buffer.from([0xd9, 0xe0, 0x09, 0x81, 0x01]))],
    ['record with more values than keys', withBody(Buffer.from([0xd9, 0xe0, 0x01, 0x83, 0x01, 0x02, 0x03]))],
    ['record tag on a non-array', withBody(Buffer.from([0xd9, 0xe0, 0x01, 0x62, 0x61, 0x62]))],
    ['bundled strings tag', withBody(Buffer.from([0xd9, 0xdf, 0xf9, 0x82, 0x01, 0x02]))],
    ['Error object (tag 27)', withBody(plainCbor(new Tag(['constructor', 'x'], 27)))],
    ['RegExp (tag 27)', withBody(plainCbor(/(a+)+$/))],
    ['Date (tag 1)', withBody(plainCbor(new Date(0)))],
    ['Set (tag 258)', withBody(plainCbor(new Set([1])))],
    ['typed array (tag 72)', withBody(plainCbor(new Int8Array(4)))],
    ['undefined', withBody(Buffer.from([0xf7]))],
    ['simple value', withBody(Buffer.from([0xf8, 0x20]))],
    ['break outside indefinite', withBody(Buffer.from([0xff]))],
    ['indefinite text string', withBody(Buffer.from([0x7f, 0x61, 0x61, 0xff]))],
    ['NaN and Infinity floats', withBody(Buffer.from([0x82, 0xf9, 0x7e, 0x00, 0xf9, 0x7c, 0x00]))],
    ['map with an integer key', withBody(Buffer.from([0xa1, 0x01, 0x01]))],
    ['map with a map key', withBody(Buffer.from([0xa1, 0xa0, 0x01]))],
    ['__proto__ key in a CBOR map', withBody(plainCbor(JSON.parse('{"__proto__": {"polluted": true}}') as unknown))],
    ['__proto__ key in JSON', Buffer.from(JSON.stringify({ ...envelope(null), body: 0 }).replace('"body":0', '"body":{"__proto__":{"polluted":true}}'))],
    ['trailing bytes after the envelope', Buffer.concat([header, Buffer.from([0x00])])],
    ['two envelopes back to back', Buffer.concat([header, header])],
    ['unclosed deep JSON', jsonDeep],
    ['closed deep JSON', jsonDeepClosed],
    ['JSON with invalid UTF-8', Buffer.concat([Buffer.from('{"v":1,"type":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
    ['JSON number overflow', Buffer.from(JSON.stringify({ ...envelope(null), seq: 0 }).replace('"seq":0', '"seq":1e400'))],
    ['JSON lone surrogate escape', Buffer.from(JSON.stringify({ ...envelope(null), body: 'x' }).replace('"body":"x"', '"body":"\\ud800"'))],
    ['JSON array', Buffer.from('[1,2,3]')],
    ['JSON null', Buffer.from(' null')],
    ['just {', Buffer.from('{')],
    ['oversized CBOR', Buffer.concat([header, big(MAX_PAYLOAD_BYTES)]), 'PAYLOAD_TOO_LARGE'],
    ['oversized JSON', Buffer.from(`{"replyTo":"r/x","body":"${'x'.repeat(MAX_PAYLOAD_BYTES)}"}`), 'PAYLOAD_TOO_LARGE'],
    ['empty', new Uint8Array(0)],
  ];
}

void test('hand-made hostile payloads are refused quickly, without crash or pollution', { timeout: 60_000 }, () => {
  for (const [label, bytes, code] of hostile()) {
    check(bytes, label);
    const result = decodeEnvelope(bytes);
    if (label.includes('__proto__')) {
      // accepted or not, never a prototype change
      assert.equal(({} as Record<string, unknown>).polluted, undefined, label);
      continue;
    }
    assert.ok(!result.ok, `${label} was accepted`);
    if (code !== undefined) assert.equal(result.error.code, code, label);
  }
  // A payload can't leave anything behind in the decoder: valid envelopes still decode, in a
  // fresh codec too, and the default codec still round-trips every seed.
  for (const env of SEEDS) {
    const back = decodeEnvelope(encodeEnvelope(env));
    assert.ok(back.ok);
    assert.deepStrictEqual(normal(back.value.envelope), normal(env));
    assert.ok(createEnvelopeCodec().decodeEnvelope(encodeEnvelope(env)).ok);
  }
  assert.equal(Object.keys(Object.prototype).length, 0, 'Object.prototype untouched');
});

void test('salvage still finds the reply address in front of an oversized or hostile body', () => {
  const env = envelope(null, { replyTo: 'cumulo/reply/salvage' });
  const cbor = encodeEnvelope(env);
  const oversized = Buffer.concat([cbor.subarray(0, cbor.length - 1), Buffer.from([0x5a, 0x00, 0x20, 0x00, 0x00]), big(2 * 1024 * 1024)]);
  const bignum = withBody(Buffer.from([0xc2, 0x41, 0x01]), env);
  for (const bytes of [oversized, bignum]) {
    assert.ok(!decodeEnvelope(bytes).ok);
    assert.deepStrictEqual(salvageReplyAddress(bytes), { replyTo: 'cumulo/reply/salvage', corr: env.corr, format: 'cbor' });
  }
  const deep = Buffer.from(`{"replyTo":"cumulo/reply/salvage","body":${'['.repeat(LIMITS.bodyDepth * 10)}`);
  assert.deepStrictEqual(salvageReplyAddress(deep), { replyTo: 'cumulo/reply/salvage', corr: null, format: 'json' });
});
