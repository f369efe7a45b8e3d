// The wire codec of envelopes: CBOR (cbor-x with fixed shared record structures) for the fabric,
// JSON for foreign MQTT clients. Decoding never throws: whatever arrives, hostile or broken,
// becomes a Result, and a failed payload can still yield its reply address for an error answer.

import { Decoder, Encoder } from 'cbor-x';
import { FabricError, err, ok } from './errors.js';
import type { Result } from './errors.js';
import {
  BadEnvelope,
  ENVELOPE_KEYS,
  ERROR_VALUE_KEYS,
  LIMITS,
  MAX_PAYLOAD_BYTES,
  PayloadTooLarge,
  REPLY_ERROR_KEYS,
  REPLY_OK_KEYS,
  isReplyTopic,
  validateEnvelope,
} from './envelope.js';
import type { Envelope, WireFormat } from './envelope.js';
import { isId } from './ids.js';

export { BadEnvelope, MAX_PAYLOAD_BYTES, PayloadTooLarge } from './envelope.js';
export type { WireFormat } from './envelope.js';

/**
 * The shared record structures, identical in every process by construction. cbor-x encodes an
 * object whose keys match one of them (in order) as a 3-byte record reference instead of a map.
 * Appending a structure is compatible with older decoders only for messages that do not use it;
 * changing or reordering one is a wire-format change.
 */
const SHARED_STRUCTURES: readonly (readonly string[])[] = [ENVELOPE_KEYS, REPLY_OK_KEYS, REPLY_ERROR_KEYS, ERROR_VALUE_KEYS];
const SHARED_COUNT = SHARED_STRUCTURES.length;

export interface EnvelopeCodec {
  /** Encodes a valid envelope; throws FabricError (BAD_ENVELOPE, PAYLOAD_TOO_LARGE) otherwise. */
  encodeEnvelope(env: Envelope, format?: WireFormat): Uint8Array;
  /** encodeEnvelope with the failure as a value. */
  tryEncodeEnvelope(env: Envelope, format?: WireFormat): Result<Uint8Array>;
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
 * structures, so output of one decodes with any other, in this process or another.
 */
export function createEnvelopeCodec(): EnvelopeCodec {
  const cbor = new CborEnvelopeCodec();
  const tryEncode = (env: Envelope, format: WireFormat = 'cbor'): Result<Uint8Array> => {
    const valid = validateEnvelope(env, format);
    if (!valid.ok) return valid;
    const canonical = canonicalOrder(env);
    let bytes: Uint8Array;
    if (format === 'json') {
      bytes = Buffer.from(JSON.stringify(canonical), 'utf8');
    } else {
      const encoded = cbor.encode(canonical);
      if (!encoded.ok) return encoded;
      bytes = encoded.value;
    }
    if (bytes.length > MAX_PAYLOAD_BYTES) return err(tooLarge(bytes.length));
    return ok(bytes);
  };
  return {
    tryEncodeEnvelope: tryEncode,
    encodeEnvelope(env, format = 'cbor') {
      const encoded = tryEncode(env, format);
      if (!encoded.ok) throw new FabricError(encoded.error);
      return encoded.value;
    },
    decodeEnvelope(bytes) {
      if (!(bytes instanceof Uint8Array)) return err(BadEnvelope('payload must be bytes'));
      if (bytes.length > MAX_PAYLOAD_BYTES) return err(tooLarge(bytes.length));
      if (bytes.length === 0) return err(BadEnvelope('payload is empty'));
      const format: WireFormat = isJsonText(bytes) ? 'json' : 'cbor';
      const decoded = format === 'json' ? parseJson(bytes) : cbor.decode(bytes);
      if (!decoded.ok) return decoded;
      const valid = validateEnvelope(decoded.value, format);
      return valid.ok ? ok({ envelope: valid.value, format }) : valid;
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

function tooLarge(size: number) {
  return PayloadTooLarge(`payload of ${size} bytes is over the limit of ${MAX_PAYLOAD_BYTES}`, { size, limit: MAX_PAYLOAD_BYTES });
}

/** A fresh object in ENVELOPE_KEYS order, so the CBOR encoder matches shared structure 0. */
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

function parseJson(bytes: Uint8Array): Result<unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return err(BadEnvelope('JSON payload is not valid UTF-8'));
  }
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    // The parser's message quotes the input, which may hold a token: say where, not what.
    return err(BadEnvelope(`malformed JSON envelope (${bytes.length} bytes)`));
  }
}

// A foreign payload may be broken anywhere; the reply address is read by pattern. JSON escapes
// inside the topic are undone by JSON.parse of the matched string literal.
// eslint-disable-next-line no-control-regex -- control characters end the match
const JSON_REPLY_TO = /"replyTo"\s*:\s*("(?:[^"\\\x00-\x1f]|\\.){1,512}")/;
const JSON_CORR = /"corr"\s*:\s*"([0-9a-f]{32})"/;

function salvageJson(bytes: Uint8Array): SalvagedAddress | undefined {
  const text = utf8Lenient.decode(bytes.length > MAX_PAYLOAD_BYTES ? bytes.subarray(0, MAX_PAYLOAD_BYTES) : bytes);
  let replyTo: unknown;
  let corr: unknown = null;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) ({ replyTo, corr = null } = parsed as { replyTo?: unknown; corr?: unknown });
  } catch {
    const topic = JSON_REPLY_TO.exec(text)?.[1];
    replyTo = topic === undefined ? undefined : (JSON.parse(topic) as unknown);
    corr = JSON_CORR.exec(text)?.[1] ?? null;
  }
  if (!isReplyTopic(replyTo)) return undefined;
  return { replyTo, corr: isId(corr) ? corr : null, format: 'json' };
}

// ---------------------------------------------------------------------------------------------
// CBOR.

/**
 * cbor-x with shared structures, made safe to share between processes with no coordination:
 * - the encoder never learns a new shared structure: maxSharedStructures equals the fixed count,
 *   so every other object shape is defined inline in the message that uses it;
 * - cbor-x would still extend a shared structure in place when an object's keys start with all
 *   of its keys ({type, body, extra} would redefine the reply structure in this process only);
 *   the "extendable" marks on its transition tree are cleared so that can never happen;
 * - input is pre-scanned (CborScanner, below) so cbor-x only sees the subset our encoder writes,
 *   and inline definitions a payload left in the decoder are dropped after each decode.
 * The pre-scan is also what keeps hostile input from hanging or crashing the decoder: cbor-x
 * would turn tag 2 into a BigInt in O(n²), expand packed-CBOR prefixes by copying, build cyclic
 * objects from value-sharing tags and recurse as deep as the input nests.
 */
class CborEnvelopeCodec {
  private readonly encoder: Encoder;
  private readonly encoderStructures: StructureList;
  private readonly decoder: Decoder;
  private readonly decoderStructures: StructureList;
  private readonly sharedDecoderStructures: readonly string[][];
  private readonly scanner = new CborScanner(SHARED_STRUCTURES.map((s) => s.length));
  private transitions: unknown;
  private readonly recordId: symbol;

  constructor() {
    this.encoderStructures = freshStructures();
    this.encoder = new Encoder({ structures: this.encoderStructures, maxSharedStructures: SHARED_COUNT });
    this.decoderStructures = freshStructures();
    this.sharedDecoderStructures = [...this.decoderStructures];
    // int64AsNumber (missing from the cbor-x typings): 64-bit integers from foreign encoders
    // arrive as numbers, as JSON.parse gives them, rather than as BigInt (not plain data).
    const decoderOptions = { structures: this.decoderStructures, mapsAsObjects: true, int64AsNumber: true };
    this.decoder = new Decoder(decoderOptions);
    this.encoder.encode(null); // builds the transition tree of the shared structures
    this.recordId = findRecordIdSymbol(this.encoderStructures.transitions);
    this.transitions = this.clearExtendableMarks();
  }

  encode(value: Envelope): Result<Uint8Array> {
    // cbor-x drops its transition tree now and then (after many inline shapes) and rebuilds it,
    // marks included, at the start of the next encode: rebuild it here first, marks cleared.
    if (this.encoderStructures.transitions !== this.transitions) {
      this.encoder.encode(null);
      this.transitions = this.clearExtendableMarks();
    }
    try {
      return ok(this.encoder.encode(value));
    } catch (caught) {
      return err(BadEnvelope(`cannot encode envelope as CBOR: ${messageOf(caught)}`));
    }
  }

  decode(bytes: Uint8Array): Result<unknown> {
    const flaw = this.scanner.scan(bytes);
    if (flaw !== undefined) return err(BadEnvelope(`malformed CBOR envelope: ${flaw}`));
    try {
      return ok(this.decoder.decode(bytes) as unknown);
    } catch (caught) {
      return err(BadEnvelope(`malformed CBOR envelope: ${messageOf(caught)}`));
    } finally {
      this.forgetInlineStructures();
    }
  }

  salvage(bytes: Uint8Array): SalvagedAddress | undefined {
    const fields = this.scanner.readTopFields(bytes, ENVELOPE_KEYS, ['replyTo', 'corr']);
    const replyTo = fields.get('replyTo');
    const corr = fields.get('corr');
    if (!isReplyTopic(replyTo)) return undefined;
    return { replyTo, corr: isId(corr) ? corr : null, format: 'cbor' };
  }

  private forgetInlineStructures(): void {
    const structures = this.decoderStructures;
    if (structures.length > SHARED_COUNT) structures.length = SHARED_COUNT;
    for (let i = 0; i < SHARED_COUNT; i++) {
      const shared = this.sharedDecoderStructures[i]!;
      if (structures[i] !== shared) structures[i] = shared;
    }
  }

  private clearExtendableMarks(): unknown {
    const root = this.encoderStructures.transitions;
    const mark = this.recordId;
    const visit = (node: Record<string | symbol, unknown>): void => {
      const id = node[mark];
      if (typeof id === 'number') node[mark] = id & 0xffff; // 0x100000 is the "extendable" flag
      for (const key of Object.keys(node)) {
        const child = node[key];
        if (typeof child === 'object' && child !== null && !Array.isArray(child)) visit(child as Record<string | symbol, unknown>);
      }
    };
    visit(root as Record<string | symbol, unknown>);
    return root;
  }
}

/** The structures array cbor-x mutates (transitions, nextId are its own properties on it). */
type StructureList = string[][] & { transitions?: unknown };

function freshStructures(): StructureList {
  return SHARED_STRUCTURES.map((keys) => [...keys]);
}

function findRecordIdSymbol(transitions: unknown): symbol {
  const symbol =
    typeof transitions === 'object' && transitions !== null
      ? Object.getOwnPropertySymbols(transitions).find((s) => s.description === 'record-id')
      : undefined;
  // Fails at start-up, loudly, if a cbor-x upgrade changed the internals relied on here.
  if (symbol === undefined) throw new Error('cbor-x transition tree not found: shared structures cannot be pinned');
  return symbol;
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
}

// ---------------------------------------------------------------------------------------------
// The pre-scan: one pass over the bytes, no allocation, before cbor-x sees them. It accepts
// exactly the CBOR our encoder writes plus plain maps from foreign encoders (RFC 8949 items):
// integers, floats, true/false/null, definite text and byte strings, arrays and maps (maps keyed
// by text), tag 64 (Uint8Array), tag 55799 (self-described), and cbor-x records: references to
// the shared structures or to structures defined inline earlier in the same payload, with no
// more values than keys. Everything else (other tags, undefined, simple values, 8-byte lengths,
// indefinite strings, nesting past MAX_CBOR_DEPTH, truncation, trailing bytes) is refused.

/** Deeper than any valid body (LIMITS.bodyDepth) plus the envelope and tags around it. */
const MAX_CBOR_DEPTH = LIMITS.bodyDepth + 16;
/** cbor-x record tags: 0xe000 + record id, ids below 256. */
const RECORD_TAG = 0xe000;
const RECORD_ID_LIMIT = 0x100;
/** cbor-x inline record definition: [id tag, [keys...], ...values]. */
const INLINE_RECORD_TAG = 0xdfff;
const UINT8ARRAY_TAG = 64;
const SELF_DESCRIBED_TAG = 55799;

const textOf = new TextDecoder('utf-8');

class CborScanner {
  private src: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private failure = '';
  /** Salvage mode: any tag, any key, undefined allowed; only the structure is followed. */
  private lenient = false;
  // The last head read: additional information and argument (-1: indefinite).
  private info = 0;
  private arg = 0;
  // Inline record definitions of the current payload, stamped with its generation.
  private readonly definedIn = new Uint32Array(RECORD_ID_LIMIT);
  private readonly keyCounts = new Uint32Array(RECORD_ID_LIMIT);
  private generation = 0;

  constructor(private readonly sharedKeyCounts: readonly number[]) {}

  /** The reason bytes are not one acceptable CBOR item, or undefined if they are. */
  scan(bytes: Uint8Array): string | undefined {
    this.begin(bytes, false);
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
    if (++this.generation === 0xffffffff) {
      this.definedIn.fill(0);
      this.generation = 1;
    }
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
    let p = this.pos;
    if (p >= this.end) return this.failed('truncated');
    const initial = src[p++]!;
    const info = initial & 0x1f;
    const major = initial >> 5;
    const size = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (p + Math.max(size, 0) > this.end) return this.failed('truncated');
    if (size === 0) this.arg = info;
    else if (size === 1) this.arg = src[p]!;
    else if (size === 2) this.arg = (src[p]! << 8) | src[p + 1]!;
    else if (size === 4) this.arg = src[p]! * 0x1000000 + ((src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!);
    else if (size === 8) {
      // cbor-x reads 8-byte lengths and tags differently from the rest; nothing under 1 MiB needs one.
      if (major >= 2 && major <= 6) return this.failed('8-byte lengths and tags are not supported');
      this.arg = 0; // an int64 or a float64: its value does not matter here
    } else if (info === 31) this.arg = -1;
    else return this.failed(`reserved additional information ${info}`);
    this.pos = p + Math.max(size, 0);
    this.info = info;
    return major;
  }

  private item(depth: number): boolean {
    if (depth > MAX_CBOR_DEPTH) return this.fail(`nested deeper than ${MAX_CBOR_DEPTH}`);
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
        return true;
      case 4:
        return this.items(arg, depth);
      case 5:
        return this.entries(arg, depth);
      case 6:
        return arg >= 0 ? this.tagged(arg, depth) : this.fail('indefinite-length tag');
      default:
        return this.simple();
    }
  }

  private items(count: number, depth: number): boolean {
    if (count < 0) {
      for (;;) {
        if (this.pos >= this.end) return this.fail('truncated');
        if (this.src[this.pos] === 0xff) {
          this.pos++;
          return true;
        }
        if (!this.item(depth + 1)) return false;
      }
    }
    if (count > this.end - this.pos) return this.fail('truncated');
    for (let i = 0; i < count; i++) if (!this.item(depth + 1)) return false;
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
        if (!this.key(depth + 1) || !this.item(depth + 1)) return false;
      }
    }
    if (count > (this.end - this.pos) / 2) return this.fail('truncated');
    for (let i = 0; i < count; i++) if (!this.key(depth + 1) || !this.item(depth + 1)) return false;
    return true;
  }

  private key(depth: number): boolean {
    if (this.lenient) return this.item(depth);
    const major = this.head();
    if (major < 0) return false;
    if (major !== 3 || this.arg < 0) return this.fail('map keys must be definite-length text strings');
    if (this.arg > this.end - this.pos) return this.fail('truncated');
    this.pos += this.arg;
    return true;
  }

  private simple(): boolean {
    switch (this.info) {
      case 20: // false
      case 21: // true
      case 22: // null
      case 25: // float16
      case 26: // float32
      case 27: // float64
        return true;
      case 23:
        return this.lenient || this.fail('undefined is not plain data');
      case 31:
        return this.fail('unexpected break');
      default:
        return this.fail(`unsupported simple value ${this.info}`);
    }
  }

  private tagged(tag: number, depth: number): boolean {
    if (tag >= RECORD_TAG && tag < RECORD_TAG + RECORD_ID_LIMIT) return this.record(tag - RECORD_TAG, depth);
    if (this.lenient) return this.item(depth + 1);
    switch (tag) {
      case INLINE_RECORD_TAG:
        return this.inlineRecord(depth);
      case UINT8ARRAY_TAG:
        if (this.pos < this.end && this.src[this.pos]! >> 5 !== 2) return this.fail('tag 64 must hold a byte string');
        return this.item(depth + 1);
      case SELF_DESCRIBED_TAG:
        return this.item(depth + 1);
      default:
        return this.fail(`unsupported CBOR tag ${tag}`);
    }
  }

  /** A record reference: a definite array of at most as many values as its structure has keys. */
  private record(id: number, depth: number): boolean {
    let keyCount: number;
    if (id < this.sharedKeyCounts.length) keyCount = this.sharedKeyCounts[id]!;
    else if (this.definedIn[id] === this.generation) keyCount = this.keyCounts[id]!;
    else if (this.lenient) keyCount = Number.MAX_SAFE_INTEGER;
    else return this.fail(`record ${id} is used before its definition`);
    const major = this.head();
    if (major < 0) return false;
    if (major !== 4 || this.arg < 0) return this.fail('a record must be a definite-length array');
    if (this.arg > keyCount) return this.fail(`record ${id} has more values than keys`);
    return this.items(this.arg, depth);
  }

  /** [0xe000 + id, [key, ...], ...values] with a non-shared id and text keys. */
  private inlineRecord(depth: number): boolean {
    let major = this.head();
    if (major < 0) return false;
    if (major !== 4 || this.arg < 2) return this.fail('an inline record must be an array of 2 or more');
    const values = this.arg - 2;
    major = this.head();
    if (major < 0) return false;
    const tag = this.arg;
    if (major !== 0 || tag < RECORD_TAG + this.sharedKeyCounts.length || tag >= RECORD_TAG + RECORD_ID_LIMIT) {
      return this.fail('inline record id out of range');
    }
    major = this.head();
    if (major < 0) return false;
    const keyCount = this.arg;
    if (major !== 4 || keyCount < 0) return this.fail('inline record keys must be a definite-length array');
    if (keyCount > this.end - this.pos) return this.fail('truncated');
    for (let i = 0; i < keyCount; i++) if (!this.key(depth + 2)) return false;
    if (values > keyCount) return this.fail('inline record has more values than keys');
    this.definedIn[tag - RECORD_TAG] = this.generation;
    this.keyCounts[tag - RECORD_TAG] = keyCount;
    if (values > this.end - this.pos) return this.fail('truncated');
    for (let i = 0; i < values; i++) if (!this.item(depth + 1)) return false;
    return true;
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
