// The wire codec of envelopes: CBOR (cbor-x with fixed shared record structures) for the fabric,
// JSON for foreign MQTT clients. Decoding never throws: whatever arrives, hostile or broken,
// becomes a Result, and a failed payload can still yield its reply address for an error answer.

import { Decoder, Encoder, addExtension } from 'cbor-x';
import { FabricError, err, ok } from './errors.js';
import type { ErrorValue, Result } from './errors.js';
import {
  BadEnvelope,
  ENVELOPE_KEYS,
  ERROR_VALUE_KEYS,
  LIMITS,
  MAX_PAYLOAD_BYTES,
  PayloadTooLarge,
  REPLY_ERROR_KEYS,
  REPLY_OK_KEYS,
  REPLY_TYPE,
  envelopeError,
  fieldsError,
  isReplyTopic,
} from './envelope.js';
import type { Envelope, WireFormat } from './envelope.js';
import { isId } from './ids.js';

export { BadEnvelope, MAX_PAYLOAD_BYTES, PayloadTooLarge } from './envelope.js';
export type { WireFormat } from './envelope.js';

/**
 * The shared record structures, identical in every process by construction (see CBOR below).
 * Appending one is compatible with older decoders only for messages that do not use it;
 * changing or reordering one is a wire-format change.
 */
const SHARED_STRUCTURES: readonly (readonly string[])[] = [ENVELOPE_KEYS, REPLY_OK_KEYS, REPLY_ERROR_KEYS, ERROR_VALUE_KEYS];
const SHARED_COUNT = SHARED_STRUCTURES.length;

export interface EnvelopeCodec {
  /** Encodes a valid envelope; throws FabricError (BAD_ENVELOPE, PAYLOAD_TOO_LARGE) otherwise. */
  encodeEnvelope(env: Envelope, format?: WireFormat): Uint8Array;
  /** encodeEnvelope with the failure as a value. */
  tryEncodeEnvelope(env: Envelope, format?: WireFormat): Result<Uint8Array>;
  /** Never throws; see the module-level decodeEnvelope. */
  decodeEnvelope(bytes: Uint8Array): Result<{ envelope: Envelope; format: WireFormat }>;
  salvageReplyAddress(bytes: Uint8Array): SalvagedAddress | undefined;
}

export interface SalvagedAddress {
  replyTo: string;
  corr: string | null;
  format: WireFormat;
}

/**
 * A codec with its own cbor-x encoder and decoder. Instances share nothing but the fixed
 * structures, so the output of one decodes with any other, in this process or another.
 */
export function createEnvelopeCodec(): EnvelopeCodec {
  const cbor = new CborEnvelopeCodec();
  /** The bytes, or why not: no Result allocated on the way. */
  const encode = (env: Envelope, format: WireFormat): Uint8Array | ErrorValue => {
    const invalid = envelopeError(env, format);
    if (invalid !== undefined) return invalid;
    const bytes = format === 'json' ? Buffer.from(JSON.stringify(canonicalOrder(env)), 'utf8') : cbor.encode(env);
    if (bytes instanceof Uint8Array && bytes.length > MAX_PAYLOAD_BYTES) return tooLarge(bytes.length);
    return bytes;
  };
  return {
    tryEncodeEnvelope(env, format = 'cbor') {
      const encoded = encode(env, format);
      return encoded instanceof Uint8Array ? ok(encoded) : err(encoded);
    },
    encodeEnvelope(env, format = 'cbor') {
      const encoded = encode(env, format);
      if (encoded instanceof Uint8Array) return encoded;
      throw new FabricError(encoded);
    },
    decodeEnvelope(bytes) {
      if (!(bytes instanceof Uint8Array)) return err(BadEnvelope('payload must be bytes'));
      if (bytes.length > MAX_PAYLOAD_BYTES) return err(tooLarge(bytes.length));
      if (bytes.length === 0) return err(BadEnvelope('payload is empty'));
      const format: WireFormat = isJsonText(bytes) ? 'json' : 'cbor';
      const decoded = format === 'json' ? parseJson(bytes) : cbor.decode(bytes);
      if (decoded instanceof DecodeFailure) return err(decoded.error);
      // The CBOR pre-scan has already proved the body plain data (see CborScanner).
      const invalid = format === 'json' ? envelopeError(decoded, 'json') : fieldsError(decoded);
      return invalid === undefined ? ok({ envelope: decoded as Envelope, format }) : err(invalid);
    },
    salvageReplyAddress(bytes) {
      try {
        if (!(bytes instanceof Uint8Array) || bytes.length === 0) return undefined;
        return isJsonText(bytes) ? salvageJson(bytes) : cbor.salvage(bytes);
      } catch {
        return undefined; // best effort by definition
      }
    },
  };
}

/** Why a payload did not decode (a class, so no decoded value can be mistaken for it). */
class DecodeFailure {
  constructor(readonly error: ErrorValue) {}
}

function tooLarge(size: number) {
  return PayloadTooLarge(`payload of ${size} bytes is over the limit of ${MAX_PAYLOAD_BYTES}`, { size, limit: MAX_PAYLOAD_BYTES });
}

/** The JSON form: a fresh object with the fields in wire order, whatever the caller's order. */
function canonicalOrder(e: Envelope): Envelope {
  return {
    v: e.v,
    type: e.type,
    to: e.to,
    from: e.from,
    replyTo: e.replyTo,
    corr: e.corr,
    inc: e.inc,
    seq: e.seq,
    deadline: e.deadline,
    token: e.token,
    body: e.body,
  };
}

// ---------------------------------------------------------------------------------------------
// Format detection.
//
// A JSON envelope starts with '{' (0x7b), possibly after JSON whitespace. None of those bytes can
// start a CBOR envelope, which must decode to an object: that is a map (major type 5, initial
// bytes 0xa0-0xbf) or a tagged record (major type 6, 0xc0-0xdb; cbor-x records are 0xd9 0xe0 NN).
// 0x7b is major type 3 (a text string with an 8-byte length) and the whitespace bytes 0x20, 0x09,
// 0x0a, 0x0d are the integers -1, 9, 10 and 13: a string or a number is never an envelope.

function isJsonText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x7b) return true;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return new DecodeFailure(BadEnvelope('JSON payload is not valid UTF-8'));
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // The parser's message quotes the input, which may hold a token: say where, not what.
    return new DecodeFailure(BadEnvelope(`malformed JSON envelope (${bytes.length} bytes)`));
  }
}

// A foreign payload may be broken anywhere. A small one is parsed (only its top level counts);
// a large one, which may cost a full parse to fail again, is read by pattern, and JSON escapes
// inside the matched topic are undone by parsing just that string literal.
const JSON_SALVAGE_PARSE_LIMIT = 64 * 1024;
// eslint-disable-next-line no-control-regex -- control characters end the match
const JSON_REPLY_TO = /"replyTo"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.){1,512}")/;
const JSON_CORR = /"corr"\s*:\s*"([0-9a-f]{32})"/;

function salvageJson(bytes: Uint8Array): SalvagedAddress | undefined {
  const text = utf8Lenient.decode(bytes.length > MAX_PAYLOAD_BYTES ? bytes.subarray(0, MAX_PAYLOAD_BYTES) : bytes);
  let fields: { replyTo?: unknown; corr?: unknown } | undefined;
  if (bytes.length <= JSON_SALVAGE_PARSE_LIMIT) {
    try {
      const parsed = JSON.parse(text) as unknown;
      fields = typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch {
      // broken: fall back to the pattern
    }
  }
  if (fields === undefined) {
    const topic = JSON_REPLY_TO.exec(text)?.[1];
    fields = { replyTo: topic === undefined ? undefined : (JSON.parse(topic) as unknown), corr: JSON_CORR.exec(text)?.[1] };
  }
  const { replyTo, corr } = fields;
  if (!isReplyTopic(replyTo)) return undefined;
  return { replyTo, corr: isId(corr) ? corr : null, format: 'json' };
}

// ---------------------------------------------------------------------------------------------
// CBOR.
//
// The envelope goes on the wire as a cbor-x record of shared structure 0: tag 0xe000 and an array
// of the 11 values in ENVELOPE_KEYS order (3 bytes of tag instead of 11 key strings). A reply's
// body and its ErrorValue are records of structures 1-3. Bodies are otherwise plain CBOR maps.
//
// The records are written by a class extension rather than by cbor-x's record encoder, so the
// encoder has no structures to learn: cbor-x's own record mode, even with maxSharedStructures
// pinned, extends a shared structure in place when an object's keys begin with all of its keys
// ({type, body, extra} redefined the reply structure in this process only), and its per-message
// inline definitions of body shapes decoded slower than plain maps. The decoder holds the fixed
// structures, identical in every process by construction, and nothing else.

/** Tag of shared structure i is RECORD_TAG + i (cbor-x's record tag range). */
const RECORD_TAG = 0xe000;
const ENVELOPE_RECORD = RECORD_TAG + 0;
const REPLY_OK_RECORD = RECORD_TAG + 1;
const REPLY_ERROR_RECORD = RECORD_TAG + 2;
const ERROR_VALUE_RECORD = RECORD_TAG + 3;

/** A value cbor-x writes as the record `tag` with these values (see the extension below). */
class SharedRecord {
  constructor(
    readonly tag: number,
    readonly values: unknown[],
  ) {}
}

// Registered once per process. getTag (not in the cbor-x typings) picks the tag per instance;
// only SharedRecord instances, which nothing else creates, are affected.
addExtension({
  Class: SharedRecord,
  getTag: (record: SharedRecord) => record.tag,
  encode: (record: SharedRecord, encode: (values: unknown[]) => void) => encode(record.values),
} as unknown as Parameters<typeof addExtension>[0]);

/** Payloads up to this size decode from a reused buffer (no DataView to build per message). */
const SCRATCH_BYTES = 64 * 1024;

class CborEnvelopeCodec {
  // No records, no structures: objects are written as maps, SharedRecords as records.
  private readonly encoder = new Encoder({ useRecords: false });
  private readonly decoder: Decoder;
  private readonly decoderStructures: string[][];
  private readonly scanner = new CborScanner(SHARED_STRUCTURES.map((keys) => keys.length));
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  /** Reused for every envelope: encoding is synchronous and cbor-x keeps no reference. */
  private readonly envelopeValues: unknown[] = new Array<unknown>(ENVELOPE_KEYS.length).fill(null);
  private readonly envelopeRecord = new SharedRecord(ENVELOPE_RECORD, this.envelopeValues);

  constructor() {
    this.decoderStructures = SHARED_STRUCTURES.map((keys) => [...keys]);
    // int64AsNumber (missing from the cbor-x typings): 64-bit integers from foreign encoders
    // arrive as numbers, as JSON.parse gives them, rather than as BigInt (not plain data).
    const options = { structures: this.decoderStructures, mapsAsObjects: true, int64AsNumber: true };
    this.decoder = new Decoder(options);
  }

  encode(e: Envelope): Uint8Array | ErrorValue {
    const values = this.envelopeValues;
    values[0] = e.v;
    values[1] = e.type;
    values[2] = e.to;
    values[3] = e.from;
    values[4] = e.replyTo;
    values[5] = e.corr;
    values[6] = e.inc;
    values[7] = e.seq;
    values[8] = e.deadline;
    values[9] = e.token;
    values[10] = (e.type === REPLY_TYPE && replyRecord(e.body)) || e.body;
    try {
      return this.encoder.encode(this.envelopeRecord);
    } catch (caught) {
      return BadEnvelope(`cannot encode envelope as CBOR: ${messageOf(caught)}`);
    } finally {
      values[9] = null;
      values[10] = null;
    }
  }

  /** The decoded value, or a DecodeFailure. */
  decode(bytes: Uint8Array): unknown {
    const flaw = this.scanner.scan(bytes);
    if (flaw !== undefined) return new DecodeFailure(BadEnvelope(`malformed CBOR envelope: ${flaw}`));
    // Byte strings decode as views of their source, so those payloads are decoded in place.
    const inPlace = this.scanner.sawBytes || bytes.length > SCRATCH_BYTES;
    if (!inPlace) this.scratch.set(bytes);
    try {
      return decodeUpTo(this.decoder, inPlace ? bytes : this.scratch, bytes.length);
    } catch (caught) {
      return new DecodeFailure(BadEnvelope(`malformed CBOR envelope: ${messageOf(caught)}`));
    } finally {
      // The pre-scan refuses record definitions, so this is only a guard: the decoder keeps
      // exactly the fixed structures whatever a payload held.
      if (this.decoderStructures.length !== SHARED_COUNT) this.decoderStructures.length = SHARED_COUNT;
    }
  }

  salvage(bytes: Uint8Array): SalvagedAddress | undefined {
    const fields = this.scanner.readTopFields(bytes, ENVELOPE_KEYS, ['replyTo', 'corr']);
    const replyTo = fields.get('replyTo');
    const corr = fields.get('corr');
    if (!isReplyTopic(replyTo)) return undefined;
    return { replyTo, corr: isId(corr) ? corr : null, format: 'cbor' };
  }
}

/** Decoder.decode(source, end): cbor-x reads source up to end; its typings lack the argument. */
function decodeUpTo(decoder: Decoder, source: Uint8Array, end: number): unknown {
  return (decoder as unknown as { decode(source: Uint8Array, end: number): unknown }).decode(source, end);
}

/** A reply body of the exact shared shapes as records; undefined for any other value. */
function replyRecord(body: unknown): SharedRecord | undefined {
  if (typeof body !== 'object' || body === null || keyCount(body) !== 2) return undefined;
  const r = body as Record<string, unknown>;
  if (r.type === 'ok' && Object.hasOwn(r, 'body')) return new SharedRecord(REPLY_OK_RECORD, ['ok', r.body]);
  if (r.type !== 'error' || !Object.hasOwn(r, 'error')) return undefined;
  const e = r.error;
  if (typeof e !== 'object' || e === null) return undefined;
  const v = e as Record<string, unknown>;
  const n = keyCount(v);
  if (!Object.hasOwn(v, 'code') || !Object.hasOwn(v, 'message') || !Object.hasOwn(v, 'status') || !Object.hasOwn(v, 'retryable')) {
    return undefined;
  }
  let error: SharedRecord;
  if (n === 4) error = new SharedRecord(ERROR_VALUE_RECORD, [v.code, v.message, v.status, v.retryable]);
  else if (n === 5 && Object.hasOwn(v, 'details')) error = new SharedRecord(ERROR_VALUE_RECORD, [v.code, v.message, v.status, v.retryable, v.details]);
  else return undefined;
  return new SharedRecord(REPLY_ERROR_RECORD, ['error', error]);
}

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

// ---------------------------------------------------------------------------------------------
// The pre-scan: one pass over the bytes, no allocation, before cbor-x sees them. It accepts the
// CBOR our encoder writes plus plain maps from foreign encoders (RFC 8949): integers, finite
// floats, true/false/null, definite text and byte strings, arrays, maps keyed by text, tag 64
// (Uint8Array), tag 55799 (self-described) in front, and the shared records where our encoder
// puts them (the envelope at the top, a reply body inside it, an ErrorValue inside that), each
// with no more values than keys. Everything else is refused: other tags, record definitions,
// undefined, simple values, NaN and infinities, 8-byte lengths, indefinite strings, a
// `__proto__` key, arrays and maps nested past LIMITS.bodyDepth, truncation, trailing bytes.
//
// This is what keeps hostile input from hanging or crashing cbor-x, which would turn tag 2 into
// a BigInt in O(n²), expand packed-CBOR prefixes by copying, build cyclic objects from
// value-sharing tags, redefine shared structures, and recurse as deep as the input nests.
// It also makes the decoded body plain data by construction, which is why the CBOR path checks
// the envelope's fields after decoding but does not walk the body again (see validateFields):
// - only plain values can come out: the tags that build anything else are refused;
// - nesting is counted as validateEnvelope counts it: the body is at depth 1;
// - records sit only where a constant number of them fits, so a body's logical size stays
//   below its byte size and LIMITS.bodyWeight cannot be reached from 1 MiB;
// - cbor-x decodes text to well-formed strings (invalid UTF-8 becomes U+FFFD, tested).

/** Recursion bound of salvage mode, which follows any tag. */
const MAX_SALVAGE_DEPTH = LIMITS.bodyDepth + 8;
const UINT8ARRAY_TAG = 64;
const SELF_DESCRIBED_TAG = 55799;
/** Depth at which each shared record may appear: envelope, reply bodies, ErrorValue. */
const RECORD_DEPTHS: readonly number[] = [0, 1, 1, 2];
/** UTF-8 of "__proto__": refused as a key, as validateEnvelope refuses it. */
const PROTO_KEY = Buffer.from('__proto__');

const textOf = new TextDecoder('utf-8');

/** Size of the items that are whole in a fixed size: integers, false, true, null; else 0. */
const FIXED_LEAF_SIZE = new Uint8Array(256);
for (const base of [0x00, 0x20]) {
  FIXED_LEAF_SIZE.fill(1, base, base + 0x18);
  FIXED_LEAF_SIZE.set([2, 3, 5, 9], base + 0x18);
}
FIXED_LEAF_SIZE.fill(1, 0xf4, 0xf7);

class CborScanner {
  /** Whether the last scan met a byte string (decoded as a view of its source). */
  sawBytes = false;
  private src: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private failure = '';
  /** Salvage mode: any tag, any key, undefined allowed; only the structure is followed. */
  private lenient = false;
  // The last head read: additional information and argument (-1: indefinite).
  private info = 0;
  private arg = 0;

  constructor(private readonly recordKeyCounts: readonly number[]) {}

  /** The reason bytes are not one acceptable CBOR item, or undefined if they are. */
  scan(bytes: Uint8Array): string | undefined {
    this.begin(bytes, false);
    if (this.src[0] === 0xd9 && this.src[1] === 0xd9 && this.src[2] === 0xf7) this.pos = 3; // 55799
    if (!this.item(0)) return this.failure;
    if (this.pos !== this.end) return `${this.end - this.pos} bytes after the envelope`;
    return undefined;
  }

  /**
   * Reads the wanted top-level fields (text or null) of an envelope that may be broken further
   * on: a record of shared structure 0 (fields named by recordKeys, in order) or a map.
   */
  readTopFields(bytes: Uint8Array, recordKeys: readonly string[], wanted: readonly string[]): Map<string, unknown> {
    this.begin(bytes, true);
    const found = new Map<string, unknown>();
    let major = this.head();
    if (major === 6 && this.arg === SELF_DESCRIBED_TAG) major = this.head();
    if (major === 6 && this.arg === RECORD_TAG) {
      if (this.head() !== 4 || this.arg < 0) return found;
      const count = Math.min(this.arg, recordKeys.length);
      for (let i = 0; i < count && found.size < wanted.length; i++) {
        const key = recordKeys[i]!;
        if (!(wanted.includes(key) ? this.readField(key, found) : this.item(1))) break;
      }
    } else if (major === 5) {
      const count = this.arg;
      for (let i = 0; count < 0 || i < count; i++) {
        if (found.size === wanted.length || (count < 0 && this.src[this.pos] === 0xff)) break;
        const key = this.text();
        if (key === undefined) break;
        if (!(wanted.includes(key) ? this.readField(key, found) : this.item(1))) break;
      }
    }
    return found;
  }

  private begin(bytes: Uint8Array, lenient: boolean): void {
    this.src = bytes;
    this.pos = 0;
    this.end = bytes.length;
    this.failure = '';
    this.lenient = lenient;
    this.sawBytes = false;
  }

  private fail(reason: string): false {
    this.failure = reason;
    return false;
  }

  private failed(reason: string): -1 {
    this.failure = reason;
    return -1;
  }

  /** Reads an initial byte and its argument; returns the major type, or -1 (see failure). */
  private head(): number {
    const src = this.src;
    const p = this.pos;
    if (p >= this.end) return this.failed('truncated');
    const initial = src[p]!;
    const info = initial & 0x1f;
    const major = initial >> 5;
    let size: number;
    if (info < 24) {
      size = 0;
      this.arg = info;
    } else if (info === 31) {
      size = 0;
      this.arg = -1;
    } else {
      size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
      if (size < 0) return this.failed(`reserved additional information ${info}`);
      if (p + 1 + size > this.end) return this.failed('truncated');
      if (size === 1) this.arg = src[p + 1]!;
      else if (size === 2) this.arg = (src[p + 1]! << 8) | src[p + 2]!;
      else if (size === 4) this.arg = src[p + 1]! * 0x1000000 + ((src[p + 2]! << 16) | (src[p + 3]! << 8) | src[p + 4]!);
      // cbor-x reads 8-byte lengths and tags unlike the rest; nothing under 1 MiB needs one.
      else if (major >= 2 && major <= 6) return this.failed('8-byte lengths and tags are not supported');
      else this.arg = 0; // an int64 or a float64: its value is looked at elsewhere if at all
    }
    this.pos = p + 1 + size;
    this.info = info;
    return major;
  }

  /** One item at a depth counted as validateEnvelope counts it (the body is at depth 1). */
  private item(depth: number): boolean {
    const major = this.head();
    const arg = this.arg;
    switch (major) {
      case -1:
        return false;
      case 0:
      case 1:
        return arg >= 0 || this.fail('indefinite-length integer');
      case 2:
      case 3:
        if (arg < 0) return this.fail('indefinite-length strings are not supported');
        if (arg > this.end - this.pos) return this.fail('truncated');
        this.pos += arg;
        if (major === 2) this.sawBytes = true;
        return true;
      case 4:
        return this.deeper(depth) && this.items(arg, depth);
      case 5:
        return this.deeper(depth) && this.entries(arg, depth);
      case 6:
        return arg >= 0 ? this.tagged(arg, depth) : this.fail('indefinite-length tag');
      default:
        return this.simple();
    }
  }

  /** Whether a container may open at this depth. */
  private deeper(depth: number): boolean {
    if (this.lenient) return depth <= MAX_SALVAGE_DEPTH || this.fail('nested too deeply');
    return depth <= LIMITS.bodyDepth || this.fail(`body nested deeper than ${LIMITS.bodyDepth}`);
  }

  private items(count: number, depth: number): boolean {
    if (count < 0) {
      for (;;) {
        if (this.pos >= this.end) return this.fail('truncated');
        if (this.src[this.pos] === 0xff) {
          this.pos++;
          return true;
        }
        if (!this.leaf() && !this.item(depth + 1)) return false;
      }
    }
    if (count > this.end - this.pos) return this.fail('truncated');
    for (let i = 0; i < count; i++) if (!this.leaf() && !this.item(depth + 1)) return false;
    return true;
  }

  private entries(count: number, depth: number): boolean {
    if (count < 0) {
      for (;;) {
        if (this.pos >= this.end) return this.fail('truncated');
        if (this.src[this.pos] === 0xff) {
          this.pos++;
          return true;
        }
        if (!this.key(depth + 1) || (!this.leaf() && !this.item(depth + 1))) return false;
      }
    }
    if (count > (this.end - this.pos) / 2) return this.fail('truncated');
    for (let i = 0; i < count; i++) if (!this.key(depth + 1) || (!this.leaf() && !this.item(depth + 1))) return false;
    return true;
  }

  /**
   * The common leaves in one step: integers, false, true, null, and text strings shorter than
   * 256 bytes. False when the next item is anything else (item() then reads it, and reports
   * truncation).
   */
  private leaf(): boolean {
    const p = this.pos;
    if (p >= this.end) return false;
    const initial = this.src[p]!;
    let next = p + FIXED_LEAF_SIZE[initial]!;
    if (next === p) {
      if (initial >= 0x60 && initial < 0x78) next = p + 1 + initial - 0x60;
      else if (initial === 0x78 && p + 1 < this.end) next = p + 2 + this.src[p + 1]!;
      else return false;
    }
    if (next > this.end) return false;
    this.pos = next;
    return true;
  }

  private key(depth: number): boolean {
    if (this.lenient) return this.item(depth);
    const p = this.pos;
    if (p < this.end) {
      // a short text key other than one of __proto__'s length: in one step
      const initial = this.src[p]!;
      const next = p + 1 + initial - 0x60;
      if (initial >= 0x60 && initial < 0x78 && initial !== 0x60 + PROTO_KEY.length && next <= this.end) {
        this.pos = next;
        return true;
      }
    }
    const major = this.head();
    if (major < 0) return false;
    const length = this.arg;
    if (major !== 3 || length < 0) return this.fail('map keys must be definite-length text strings');
    if (length > this.end - this.pos) return this.fail('truncated');
    if (length === PROTO_KEY.length && PROTO_KEY.equals(this.src.subarray(this.pos, this.pos + length))) {
      return this.fail('the key __proto__ is not allowed');
    }
    this.pos += length;
    return true;
  }

  private simple(): boolean {
    const src = this.src;
    const at = this.pos; // just past the value
    switch (this.info) {
      case 20: // false
      case 21: // true
      case 22: // null
        return true;
      case 25: // float16: exponent all ones is an infinity or NaN
        return (src[at - 2]! & 0x7c) !== 0x7c || this.lenient || this.fail('number is not finite');
      case 26: // float32
        return (src[at - 4]! & 0x7f) !== 0x7f || (src[at - 3]! & 0x80) !== 0x80 || this.lenient || this.fail('number is not finite');
      case 27: // float64
        return (src[at - 8]! & 0x7f) !== 0x7f || (src[at - 7]! & 0xf0) !== 0xf0 || this.lenient || this.fail('number is not finite');
      case 23:
        return this.lenient || this.fail('undefined is not plain data');
      case 31:
        return this.fail('unexpected break');
      default:
        return this.fail(`unsupported simple value ${this.info}`);
    }
  }

  private tagged(tag: number, depth: number): boolean {
    const id = tag - RECORD_TAG;
    if (id >= 0 && id < this.recordKeyCounts.length) return this.record(id, depth);
    if (this.lenient) return depth <= MAX_SALVAGE_DEPTH ? this.item(depth + 1) : this.fail('nested too deeply');
    if (tag !== UINT8ARRAY_TAG) return this.fail(`unsupported CBOR tag ${tag}`);
    // a leaf, as a Uint8Array is for validateEnvelope: no depth of its own
    if (this.pos < this.end && this.src[this.pos]! >> 5 !== 2) return this.fail('tag 64 must hold a byte string');
    return this.item(depth);
  }

  /** A shared record: a definite array of at most as many values as the structure has keys. */
  private record(id: number, depth: number): boolean {
    if (!this.lenient && RECORD_DEPTHS[id] !== depth) return this.fail(`shared record ${id} out of place`);
    if (!this.deeper(depth)) return false;
    const major = this.head();
    if (major < 0) return false;
    if (major !== 4 || this.arg < 0) return this.fail('a record must be a definite-length array');
    if (this.arg > this.recordKeyCounts[id]!) return this.fail('a record has more values than its structure has keys');
    return this.items(this.arg, depth);
  }

  private text(): string | undefined {
    if (this.head() !== 3 || this.arg < 0 || this.arg > this.end - this.pos) return undefined;
    const s = textOf.decode(this.src.subarray(this.pos, this.pos + this.arg));
    this.pos += this.arg;
    return s;
  }

  /** A text or null field; false when the bytes end or the value is something else. */
  private readField(key: string, found: Map<string, unknown>): boolean {
    if (this.pos < this.end && this.src[this.pos] === 0xf6) {
      this.pos++;
      found.set(key, null);
      return true;
    }
    const s = this.text();
    if (s === undefined) return false;
    found.set(key, s);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// The process-wide codec.

const defaultCodec = createEnvelopeCodec();

/** Encodes in CBOR (default) or JSON; throws FabricError (BAD_ENVELOPE, PAYLOAD_TOO_LARGE). */
export function encodeEnvelope(env: Envelope, format: WireFormat = 'cbor'): Uint8Array {
  return defaultCodec.encodeEnvelope(env, format);
}

/** encodeEnvelope with the failure as a value. */
export function tryEncodeEnvelope(env: Envelope, format: WireFormat = 'cbor'): Result<Uint8Array> {
  return defaultCodec.tryEncodeEnvelope(env, format);
}

/** Never throws: malformed, truncated, oversized or invalid input → err(BAD_ENVELOPE | PAYLOAD_TOO_LARGE). */
export function decodeEnvelope(bytes: Uint8Array): Result<{ envelope: Envelope; format: WireFormat }> {
  return defaultCodec.decodeEnvelope(bytes);
}

/** Best effort on a payload that failed to decode: the reply address and correlation, if they can be read, so the receiver can answer an error instead of dropping silently. */
export function salvageReplyAddress(bytes: Uint8Array): SalvagedAddress | undefined {
  return defaultCodec.salvageReplyAddress(bytes);
}
