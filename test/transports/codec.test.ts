// The envelope codec: every envelope shape round-trips through CBOR and JSON with the encoder and
// the decoder in separate codec instances and in separate processes (the shared structures need
// no coordination); JSON is told apart by its first byte; binary bodies are refused as JSON;
// replies use the fixed reply structures; validation names the field at fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { encode as plainCbor } from 'cbor-x';
import fc from 'fast-check';
import {
  BadEnvelope,
  MAX_PAYLOAD_BYTES,
  PayloadTooLarge,
  createEnvelopeCodec,
  decodeEnvelope,
  encodeEnvelope,
  salvageReplyAddress,
  tryEncodeEnvelope,
} from '../../transports/codec.js';
import type { WireFormat } from '../../transports/codec.js';
import {
  LIMITS,
  REPLY_TYPE,
  replyError,
  replyOk,
  validateEnvelope,
  validateReplyBody,
} from '../../transports/envelope.js';
import type { Envelope } from '../../transports/envelope.js';
import { FabricError, NotFound } from '../../transports/errors.js';
import { isId, newId } from '../../transports/ids.js';

// ---- arbitraries ----------------------------------------------------------------------------

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const idArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex);
const textArb = (max: number) => fc.string({ unit: 'binary', minLength: 1, maxLength: max });
const topicArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 80 })
  // eslint-disable-next-line no-control-regex -- a reply topic has no control characters
  .map((s) => s.replace(/[\x00-\x1f\x7f+#]/g, '_').replace(/^\$/, '_'));
const keyArb = fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__proto__');
const numberArb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }), // includes -0, tiny and huge values
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(-0, 0, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 32, -(2 ** 32) - 1, 2 ** 64, 1e308, 5e-324, 0.1),
);

function plainDataArb(binary: boolean): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      numberArb,
      fc.string({ unit: 'binary', maxLength: 40 }),
      ...(binary ? [fc.uint8Array({ maxLength: 40 })] : []),
      fc.array(tie('value'), { maxLength: 6 }),
      fc.dictionary(keyArb, tie('value'), { maxKeys: 6 }),
    ),
  }));
  return value;
}

function envelopeArb(binary: boolean): fc.Arbitrary<Envelope> {
  return fc.record({
    v: fc.constant(1 as const),
    type: fc.stringMatching(/^[\x21-\x7e]{1,128}$/),
    to: textArb(LIMITS.address),
    from: textArb(LIMITS.address),
    replyTo: fc.option(topicArb),
    corr: fc.option(idArb),
    inc: idArb,
    seq: fc.maxSafeNat(),
    deadline: fc.option(fc.oneof(fc.maxSafeNat(), fc.double({ min: 0, max: 1e15, noNaN: true }))),
    token: fc.option(textArb(200)),
    body: plainDataArb(binary),
  });
}

/**
 * What a value decodes to: -0 arrives as 0 in both formats (JSON prints it as 0; cbor-x writes
 * it as the integer 0), and objects arrive with Object.prototype whatever they were sent with.
 */
function arrival(value: unknown): unknown {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(arrival);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = arrival(v);
  return out;
}

function roundTrip(env: Envelope, format: WireFormat, sender = createEnvelopeCodec(), receiver = createEnvelopeCodec()): Envelope {
  const bytes = sender.encodeEnvelope(env, format);
  const decoded = receiver.decodeEnvelope(bytes);
  assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.error.code}: ${decoded.error.message}`);
  assert.equal(decoded.value.format, format);
  return decoded.value.envelope;
}

function sample(overrides: Partial<Record<keyof Envelope, unknown>> = {}): Envelope {
  const client = newId();
  return {
    v: 1,
    type: 'compute.create',
    to: 'instance/01JD8X3N5V6QK2W9RZ4T7YBCMA',
    from: `client/${client}`,
    replyTo: `cumulo/reply/${client}`,
    corr: newId(),
    inc: newId(),
    seq: 7,
    deadline: 1_767_225_630_000,
    token: 'gAAAAABnQ2tDYXJlZnVsbHlGYWtl',
    body: { name: 'web-1', flavorRef: 'm1.small', min_count: 1, metadata: { role: 'web' } },
    ...overrides,
  } as Envelope;
}

// ---- round trips ----------------------------------------------------------------------------

void test('every envelope shape round-trips through CBOR between separate codec instances', () => {
  const sender = createEnvelopeCodec();
  const receiver = createEnvelopeCodec();
  fc.assert(
    fc.property(envelopeArb(true), (env) => {
      assert.deepStrictEqual(roundTrip(env, 'cbor', sender, receiver), arrival(env));
    }),
    { numRuns: 1500 },
  );
});

void test('every envelope shape without binary round-trips through JSON between separate codec instances', () => {
  const sender = createEnvelopeCodec();
  const receiver = createEnvelopeCodec();
  fc.assert(
    fc.property(envelopeArb(false), (env) => {
      assert.deepStrictEqual(roundTrip(env, 'json', sender, receiver), arrival(env));
    }),
    { numRuns: 1500 },
  );
});

void test('edge values survive both formats exactly (large ints, extremes, unicode, empty containers)', () => {
  const body = {
    ints: [0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53 - 1)],
    floats: [0.5, -1.25, 1e-7, 1e21, 1.7976931348623157e308, 5e-324, 2 ** 64],
    text: ['', 'ascii', 'ünïcödé', '日本語', '🚀 astral 𝄞', '\u0000 nul and \n newline', 'x'.repeat(300)],
    nested: { a: { b: { c: [[], {}, [null, true, false]] } } },
    '': 'empty key',
    'key with spaces and ключ': 1,
  };
  for (const format of ['cbor', 'json'] as const) {
    assert.deepStrictEqual(roundTrip(sample({ body }), format).body, body, format);
  }
  assert.deepStrictEqual(roundTrip(sample({ body: -0 }), 'cbor').body, 0, '-0 arrives as 0');
});

void test('Uint8Array bodies round-trip through CBOR as Uint8Array, nested or at the top', () => {
  const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  for (const body of [bytes, { image: bytes, parts: [new Uint8Array(0), bytes.subarray(10, 20)] }]) {
    const back = roundTrip(sample({ body }), 'cbor');
    assert.deepStrictEqual(back.body, body);
  }
});

void test('objects whose keys extend a shared structure keep all their keys in another process', () => {
  // cbor-x's own record mode would redefine the shared reply structure in the sender only.
  const sender = createEnvelopeCodec();
  const bodies = [
    { type: 'ok', body: 1, extra: 2 },
    { type: 'error', error: 'x', more: true },
    { code: 'C', message: 'm', status: 1, retryable: false, details: {}, extra: 1 },
    { v: 1, type: 't', to: 'a', from: 'b', replyTo: null, corr: null, inc: 'i', seq: 0, deadline: null, token: null, body: 0, z: 1 },
    { type: 'ok' },
    {},
  ];
  for (const body of bodies) {
    for (const type of ['x.y', REPLY_TYPE]) {
      assert.deepStrictEqual(roundTrip(sample({ type, body }), 'cbor', sender).body, body, JSON.stringify(body));
    }
  }
  // and the sender's own shared structures are unchanged afterwards
  const reply = sample({ type: REPLY_TYPE, body: replyOk(3) });
  assert.deepStrictEqual(roundTrip(reply, 'cbor', sender).body, { type: 'ok', body: 3 });
});

void test('plain CBOR maps from any encoder decode, with or without the self-described tag', () => {
  const env = sample({ body: { n: 1.5, s: 'ü', list: [1, 2] } });
  const foreign = plainCbor(env); // a standard CBOR map, as another language's library writes it
  assert.ok(foreign[0]! >= 0xa0 && foreign[0]! <= 0xbf, 'a map');
  for (const bytes of [foreign, Buffer.concat([Buffer.from([0xd9, 0xd9, 0xf7]), foreign])]) {
    const decoded = decodeEnvelope(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    assert.equal(decoded.value.format, 'cbor');
    assert.deepStrictEqual(decoded.value.envelope, env);
  }
  // half-precision floats, which other encoders use for small values, are numbers like any other
  const half = Buffer.concat([encodeEnvelope(sample({ body: null })).subarray(0, -1), Buffer.from([0xf9, 0x3c, 0x00])]);
  const decoded = decodeEnvelope(half);
  assert.ok(decoded.ok && decoded.value.envelope.body === 1);
});

void test('payloads given as plain Uint8Array (not Buffer) decode the same', () => {
  const env = sample({ body: { blob: new Uint8Array([1, 2, 3]), text: 'long enough to take the native string path '.repeat(4) } });
  for (const format of ['cbor', 'json'] as const) {
    const body = format === 'cbor' ? env.body : { text: 'x'.repeat(300) };
    const bytes = new Uint8Array(encodeEnvelope({ ...env, body }, format)); // a copy, not a Buffer
    assert.ok(!Buffer.isBuffer(bytes));
    const decoded = decodeEnvelope(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    assert.deepStrictEqual(decoded.value.envelope.body, body);
  }
});

void test('the CBOR pre-scan and validateEnvelope agree on depth, numbers, strings and keys', () => {
  const nest = (levels: number): unknown => {
    let v: unknown = 0;
    for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { k: v };
    return v;
  };
  const deepest = sample({ body: nest(LIMITS.bodyDepth) });
  const tooDeep = sample({ body: nest(LIMITS.bodyDepth + 1) });
  for (const format of ['cbor', 'json'] as const) {
    assert.deepStrictEqual(roundTrip(deepest, format).body, deepest.body, `${LIMITS.bodyDepth} levels fit (${format})`);
    assert.ok(!tryEncodeEnvelope(tooDeep, format).ok, 'one more does not');
  }
  // the same too-deep body written by another encoder is refused on arrival, in both formats
  const header = encodeEnvelope(sample({ body: null }));
  const foreignDeep = Buffer.concat([header.subarray(0, -1), plainCbor(tooDeep.body)]);
  const refused = decodeEnvelope(foreignDeep);
  assert.ok(!refused.ok && refused.error.code === 'BAD_ENVELOPE' && refused.error.message.includes('deeper'));
  assert.ok(!decodeEnvelope(Buffer.from(JSON.stringify(tooDeep))).ok);
  assert.ok(decodeEnvelope(Buffer.concat([header.subarray(0, -1), plainCbor(deepest.body)])).ok);
  // invalid UTF-8 in CBOR text decodes to well-formed strings (U+FFFD), never lone surrogates
  for (const bad of [[0xed, 0xa0, 0x80], [0xc3], [0xff, 0xfe], [0x61, 0xed, 0xb0, 0x80, 0x62]]) {
    const text = Buffer.from([0x60 | bad.length, ...bad]);
    for (const padding of [0, 200]) {
      const body = Buffer.concat([Buffer.from([0x82]), text, Buffer.from([0x78, padding]), Buffer.alloc(padding, 0x61)]);
      const decoded = decodeEnvelope(Buffer.concat([header.subarray(0, -1), body]));
      assert.ok(decoded.ok);
      assert.ok(validateEnvelope(decoded.value.envelope).ok, 'what the pre-scan lets through passes validateEnvelope');
    }
  }
});

void test('encoded bytes stay as they were while the codec goes on encoding', () => {
  const codec = createEnvelopeCodec();
  const first = codec.encodeEnvelope(sample({ body: { n: 1 } }));
  const copy = Uint8Array.from(first);
  for (let i = 0; i < 2000; i++) codec.encodeEnvelope(sample({ body: { n: i, pad: 'x'.repeat(i % 500) } }));
  assert.deepStrictEqual(Uint8Array.from(first), copy);
});

void test('the CBOR writer gets every head size right: maps, arrays, strings, bytes around 24, 256 and 65536', () => {
  // Map heads are written after the keys are counted, and string heads are sized before the
  // UTF-8 length is known: both move the bytes when the guess was short. plainCbor is cbor-x.
  const codec = createEnvelopeCodec();
  const mapOf = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i % 3 === 0 ? 'v' : i]));
  const bodies: unknown[] = [];
  for (const n of [23, 24, 255, 256, 65_535, 65_536]) {
    bodies.push(mapOf(n), Array.from({ length: n }, (_, i) => i), new Uint8Array(n).fill(7));
    for (const unit of ['a', 'é', '日', '🚀']) {
      const s = unit.repeat(Math.floor(n / unit.length)) + 'a'.repeat(n % unit.length); // n UTF-16 units
      bodies.push(s, { [s.slice(0, 300)]: s });
    }
  }
  bodies.push({ nested: [mapOf(30), { deeper: mapOf(300) }], tail: 'ü'.repeat(30) });
  const base = sample({ body: null });
  const header = codec.encodeEnvelope(base).subarray(0, -1);
  for (const body of bodies) {
    const decoded = decodeEnvelope(codec.encodeEnvelope({ ...base, body }));
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    assert.deepStrictEqual(decoded.value.envelope.body, body);
    // and the same body written by cbor-x decodes to the same value
    const foreign = decodeEnvelope(Buffer.concat([header, plainCbor(body)]));
    assert.ok(foreign.ok);
    assert.deepStrictEqual(foreign.value.envelope.body, decoded.value.envelope.body);
  }
});

void test('messages larger than the writer slab, and refused ones, leave earlier output intact', () => {
  const codec = createEnvelopeCodec();
  const kept: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < 300; i++) {
    const size = [10, 5000, 20_000, 70_000][i % 4]!;
    const bytes = codec.encodeEnvelope(sample({ body: { i, blob: 'x'.repeat(size), list: [1, 'é', { a: null }] } }));
    kept.push([bytes, Uint8Array.from(bytes)]);
    // refused half-way through the body: nothing of it may land on bytes handed out
    assert.ok(!codec.tryEncodeEnvelope(sample({ body: { pad: 'y'.repeat(size), bad: Number.NaN } })).ok);
    assert.ok(!codec.tryEncodeEnvelope(sample({ body: { pad: 'y'.repeat(MAX_PAYLOAD_BYTES + 10) } })).ok);
  }
  for (const [bytes, copy] of kept) {
    assert.deepStrictEqual(Uint8Array.from(bytes), copy);
    assert.ok(decodeEnvelope(bytes).ok);
  }
});

// ---- replies --------------------------------------------------------------------------------

void test('reply bodies travel as the fixed reply records and come back intact', () => {
  const error = NotFound('no such instance', { id: 'i-1' });
  const cases = [replyOk({ id: 'i-1', status: 'BUILD' }), replyOk(null), replyError(error), replyError(NotFound('bare'))];
  for (const body of cases) {
    const env = sample({ type: REPLY_TYPE, replyTo: null, body });
    const bytes = encodeEnvelope(env);
    const tag = body.type === 'ok' ? [0xd9, 0xe0, 0x01] : [0xd9, 0xe0, 0x02];
    assert.ok(Buffer.from(bytes).includes(Buffer.from(tag)), `${body.type} reply written as its shared record`);
    if (body.type === 'error') assert.ok(Buffer.from(bytes).includes(Buffer.from([0xd9, 0xe0, 0x03])), 'ErrorValue as its record');
    for (const format of ['cbor', 'json'] as const) {
      const back = roundTrip(env, format);
      assert.deepStrictEqual(back.body, body);
      const checked = validateReplyBody(back.body);
      assert.ok(checked.ok);
    }
  }
});

void test('validateReplyBody accepts exactly the two reply shapes', () => {
  assert.ok(validateReplyBody({ type: 'ok', body: undefined }).ok);
  assert.ok(validateReplyBody(replyError(BadEnvelope('x'))).ok);
  for (const bad of [null, 1, [], { type: 'ok' }, { type: 'ok', body: 1, x: 1 }, { type: 'error', error: {} }, { type: 'error', error: { code: 'X', message: 'm', status: 1, retryable: 'no' } }, { type: 'other', body: 1 }]) {
    const r = validateReplyBody(bad);
    assert.ok(!r.ok && r.error.code === 'BAD_ENVELOPE', JSON.stringify(bad));
  }
});

// ---- across processes ------------------------------------------------------------------------

const codecUrl = new URL('../../transports/codec.js', import.meta.url).href;

/** Runs in a fresh node process: encodes or decodes what stdin holds with its own codec. */
const CHILD = `
const { encodeEnvelope, decodeEnvelope } = await import(process.argv[1]);
const revive = (k, v) => (v && typeof v === 'object' && typeof v.$bytes === 'string') ? Uint8Array.from(Buffer.from(v.$bytes, 'hex')) : v;
const mark = (k, v) => (v instanceof Uint8Array) ? { $bytes: Buffer.from(v).toString('hex') } : v;
const chunks = []; for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString(), revive);
if (process.argv[2] === 'encode') {
  for (const { envelope, format } of input) {
    const bytes = encodeEnvelope(envelope, format);
    const length = Buffer.alloc(4); length.writeUInt32BE(bytes.length);
    process.stdout.write(length); process.stdout.write(bytes);
  }
} else {
  const out = input.map((h) => { const r = decodeEnvelope(Buffer.from(h, 'hex')); return r.ok ? r.value : { error: r.error.code }; });
  process.stdout.write(JSON.stringify(out, mark));
}
`;

const mark = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? { $bytes: hex(v) } : v);

function child(op: 'encode' | 'decode', input: unknown): Buffer {
  return execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, codecUrl, op], {
    input: JSON.stringify(input, mark),
    maxBuffer: 64 * 1024 * 1024,
  });
}

function crossProcessCases(): { envelope: Envelope; format: WireFormat }[] {
  const cbor = fc.sample(envelopeArb(true), { numRuns: 60, seed: 4242 });
  const json = fc.sample(envelopeArb(false), { numRuns: 30, seed: 4243 });
  const replies = [replyOk({ a: [1, 2] }), replyError(NotFound('gone', { id: 'x' })), { type: 'ok', body: 1, extra: 2 }];
  return [
    ...cbor.map((envelope) => ({ envelope, format: 'cbor' as const })),
    ...json.map((envelope) => ({ envelope, format: 'json' as const })),
    ...replies.map((body) => ({ envelope: sample({ type: REPLY_TYPE, body }), format: 'cbor' as const })),
  ];
}

void test('bytes encoded in another process decode here', () => {
  const cases = crossProcessCases();
  const out = child('encode', cases);
  let offset = 0;
  for (const { envelope, format } of cases) {
    const length = out.readUInt32BE(offset);
    const bytes = out.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
    const decoded = decodeEnvelope(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
    assert.equal(decoded.value.format, format);
    // JSON.stringify ran over the envelope on its way to the child: compare with what it sent.
    const sent = JSON.parse(JSON.stringify(envelope, mark), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string'
        ? Uint8Array.from(Buffer.from((v as { $bytes: string }).$bytes, 'hex'))
        : v,
    ) as Envelope;
    assert.deepStrictEqual(decoded.value.envelope, arrival(sent));
  }
  assert.equal(offset, out.length);
});

void test('bytes encoded here decode in another process', () => {
  const cases = crossProcessCases();
  const payloads = cases.map(({ envelope, format }) => hex(encodeEnvelope(envelope, format)));
  const results = JSON.parse(child('decode', payloads).toString()) as unknown[];
  assert.equal(results.length, cases.length);
  cases.forEach(({ envelope, format }, i) => {
    assert.deepStrictEqual(results[i], JSON.parse(JSON.stringify({ envelope, format }, mark)));
  });
});

// ---- JSON detection and refusal -------------------------------------------------------------

void test('a payload whose first byte is { is JSON, as mosquitto_pub sends it', () => {
  const env = sample({ body: { n: 1 } });
  const text = JSON.stringify(env);
  for (const payload of [text, ` \n\t${text}`, JSON.stringify(env, null, 2)]) {
    const decoded = decodeEnvelope(Buffer.from(payload));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.format, 'json');
    assert.deepStrictEqual(decoded.value.envelope, env);
  }
  // the key order of a hand-written message does not matter
  const shuffled = Object.fromEntries(Object.entries(env).reverse());
  const decoded = decodeEnvelope(Buffer.from(JSON.stringify(shuffled)));
  assert.ok(decoded.ok && decoded.value.format === 'json');
  // CBOR output never starts with '{' and is detected as CBOR
  const cbor = encodeEnvelope(env);
  assert.notEqual(cbor[0], 0x7b);
  const back = decodeEnvelope(cbor);
  assert.ok(back.ok && back.value.format === 'cbor');
});

void test('a reply is encoded in the format its request came in', () => {
  const request = decodeEnvelope(Buffer.from(JSON.stringify(sample())));
  assert.ok(request.ok);
  const { envelope, format } = request.value;
  const reply: Envelope = { ...envelope, type: REPLY_TYPE, to: envelope.from, from: envelope.to, replyTo: null, body: replyOk({ id: 'i-1' }) };
  const bytes = encodeEnvelope(reply, format);
  assert.equal(bytes[0], 0x7b);
  assert.deepStrictEqual(JSON.parse(Buffer.from(bytes).toString()).body, { type: 'ok', body: { id: 'i-1' } });
});

void test('a Uint8Array body is refused as JSON with BAD_ENVELOPE naming where it is', () => {
  const env = sample({ body: { parts: [1, { blob: new Uint8Array([1, 2, 3]) }] } });
  assert.throws(
    () => encodeEnvelope(env, 'json'),
    (e: unknown) => e instanceof FabricError && e.code === 'BAD_ENVELOPE' && e.value.details?.path === 'body.parts[1].blob',
  );
  const tried = tryEncodeEnvelope(env, 'json');
  assert.ok(!tried.ok && BadEnvelope.is(tried.error));
  assert.ok(tryEncodeEnvelope(env, 'cbor').ok, 'the same envelope is fine as CBOR');
});

// ---- validation -----------------------------------------------------------------------------

void test('validateEnvelope names the field at fault', () => {
  const base = sample();
  const cases: [Record<string, unknown>, string][] = [
    [{ ...base, extra: 1 }, 'extra'],
    [{ ...base, v: 2 }, 'v'],
    [{ ...base, type: '' }, 'type'],
    [{ ...base, type: 'has space' }, 'type'],
    [{ ...base, type: 'x'.repeat(LIMITS.type + 1) }, 'type'],
    [{ ...base, to: '' }, 'to'],
    [{ ...base, to: 'x'.repeat(LIMITS.address + 1) }, 'to'],
    [{ ...base, from: 5 }, 'from'],
    [{ ...base, from: 'lone \ud800 surrogate' }, 'from'],
    [{ ...base, replyTo: 'a/+/b' }, 'replyTo'],
    [{ ...base, replyTo: 'a/#' }, 'replyTo'],
    [{ ...base, replyTo: '$SYS/x' }, 'replyTo'],
    [{ ...base, replyTo: '' }, 'replyTo'],
    [{ ...base, corr: 'ABCDEF0123456789ABCDEF0123456789' }, 'corr'],
    [{ ...base, corr: 'abc' }, 'corr'],
    [{ ...base, inc: null }, 'inc'],
    [{ ...base, seq: -1 }, 'seq'],
    [{ ...base, seq: 1.5 }, 'seq'],
    [{ ...base, seq: 2 ** 53 }, 'seq'],
    [{ ...base, deadline: Number.POSITIVE_INFINITY }, 'deadline'],
    [{ ...base, deadline: Number.NaN }, 'deadline'],
    [{ ...base, deadline: '2025' }, 'deadline'],
    [{ ...base, token: '' }, 'token'],
    [{ ...base, token: 't'.repeat(LIMITS.token + 1) }, 'token'],
    [{ ...base, body: undefined }, 'body'],
  ];
  for (const [x, field] of cases) {
    const r = validateEnvelope(x);
    assert.ok(!r.ok, `${field} accepted`);
    assert.equal(r.error.code, 'BAD_ENVELOPE');
    assert.equal(r.error.details?.field, field, r.error.message);
  }
  const { seq: _seq, ...missing } = base;
  const r = validateEnvelope(missing);
  assert.ok(!r.ok && r.error.details?.field === 'seq' && r.error.message.includes('missing'));
  for (const notObject of [null, 1, 'x', [base]]) assert.ok(!validateEnvelope(notObject).ok);
  assert.ok(validateEnvelope(base).ok);
  assert.ok(validateEnvelope({ ...base, replyTo: null, corr: null, deadline: null, token: null, body: null }).ok);
});

void test('the token never appears in an error message', () => {
  const secret = 'super-secret-token-value';
  const bad = { ...sample({ token: secret }), seq: -1 };
  const r = validateEnvelope(bad);
  assert.ok(!r.ok && !JSON.stringify(r.error).includes(secret));
  const text = JSON.stringify(sample({ token: secret }));
  const broken = decodeEnvelope(Buffer.from(text.slice(0, text.indexOf(secret) + 10)));
  assert.ok(!broken.ok && !JSON.stringify(broken.error).includes('super-secret'));
});

void test('bodies must be plain data; the error gives the path', () => {
  class Point {
    x = 1;
  }
  let deep: unknown = 1;
  for (let i = 0; i < LIMITS.bodyDepth + 1; i++) deep = [deep];
  const cases: [unknown, string][] = [
    [{ at: new Date(0) }, 'body.at'],
    [{ m: new Map() }, 'body.m'],
    [{ s: new Set() }, 'body.s'],
    [[1, undefined], 'body[1]'],
    [{ n: Number.NaN }, 'body.n'],
    [{ n: Number.NEGATIVE_INFINITY }, 'body.n'],
    [{ b: 1n }, 'body.b'],
    [{ f: () => 1 }, 'body.f'],
    [{ p: new Point() }, 'body.p'],
    [{ sym: Symbol('x') }, 'body.sym'],
    [{ f32: new Float32Array(2) }, 'body.f32'],
    [{ s: 'lone \udc00' }, 'body.s'],
    [JSON.parse('{"__proto__": 1}'), 'body.__proto__'],
    [deep, `body${'[0]'.repeat(LIMITS.bodyDepth)}`],
  ];
  for (const [body, path] of cases) {
    const r = validateEnvelope({ ...sample(), body });
    assert.ok(!r.ok, path);
    assert.equal(r.error.code, 'BAD_ENVELOPE');
    assert.equal(r.error.details?.path, path, r.error.message);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.ok(!validateEnvelope({ ...sample(), body: cyclic }).ok, 'cycles end at the depth limit');
  assert.ok(validateEnvelope({ ...sample(), body: Object.create(null) as object }).ok, 'null-prototype objects are plain');
});

void test('sizes: over 1 MiB encoded, or a body too heavy to walk, is PAYLOAD_TOO_LARGE', () => {
  const big = sample({ body: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
  for (const format of ['cbor', 'json'] as const) {
    const r = tryEncodeEnvelope(big, format);
    assert.ok(!r.ok && PayloadTooLarge.is(r.error), format);
  }
  const fits = sample({ body: { blob: 'x'.repeat(MAX_PAYLOAD_BYTES - 1000) } });
  assert.ok(tryEncodeEnvelope(fits).ok);
  const oversized = new Uint8Array(MAX_PAYLOAD_BYTES + 1).fill(0x7b);
  const decoded = decodeEnvelope(oversized);
  assert.ok(!decoded.ok && decoded.error.code === 'PAYLOAD_TOO_LARGE' && decoded.error.status === 413);
  // a shared sub-object referenced a million times is small in memory, huge on the wire
  const shared = { s: 'y'.repeat(100) };
  const heavy = validateEnvelope({ ...sample(), body: Array.from({ length: 100_000 }, () => shared) });
  assert.ok(!heavy.ok && heavy.error.code === 'PAYLOAD_TOO_LARGE');
});

// ---- salvage and ids ------------------------------------------------------------------------

void test('salvageReplyAddress reads replyTo and corr from broken payloads of both formats', () => {
  const env = sample({ body: { n: 'x'.repeat(200) } });
  const cbor = encodeEnvelope(env);
  const json = encodeEnvelope(env, 'json');
  for (const [bytes, format] of [
    [cbor.subarray(0, cbor.length - 50), 'cbor'],
    [json.subarray(0, json.length - 50), 'json'],
    [cbor, 'cbor'],
  ] as const) {
    assert.ok(!decodeEnvelope(bytes).ok || bytes === cbor);
    assert.deepStrictEqual(salvageReplyAddress(bytes), { replyTo: env.replyTo, corr: env.corr, format });
  }
  assert.equal(salvageReplyAddress(encodeEnvelope({ ...env, replyTo: null })), undefined);
  assert.equal(salvageReplyAddress(Buffer.from('{"replyTo":"a/#","corr":null')), undefined, 'never a wildcard topic');
  assert.equal(salvageReplyAddress(new Uint8Array([0xff, 0x00])), undefined);
  assert.equal(salvageReplyAddress(new Uint8Array(0)), undefined);
});

void test('newId gives 128-bit lowercase hex ids, all distinct; isId checks the form', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) {
    const id = newId();
    assert.ok(isId(id), id);
    seen.add(id);
  }
  assert.equal(seen.size, 50_000);
  // every hex digit shows up in every position across this many ids: no stuck bits
  for (let pos = 0; pos < 32; pos++) assert.equal(new Set([...seen].slice(0, 2000).map((id) => id[pos])).size, 16, `position ${pos}`);
  for (const bad of ['', 'ABCDEF0123456789ABCDEF0123456789', '0123456789abcdef0123456789abcdeg', '0'.repeat(31), '0'.repeat(33), 5, null]) {
    assert.equal(isId(bad), false, String(bad));
  }
});
