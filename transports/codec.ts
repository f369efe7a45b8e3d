// The wire codec of envelopes: CBOR (fixed shared record structures, written by cbor-write.ts,
// scanned by cbor-scan.ts, decoded by cbor-x) for the fabric, JSON for foreign MQTT clients.
// Decoding never throws: whatever arrives, hostile or broken, becomes a Result, and a failed
// payload can still yield its reply address for an error answer.

import { Decoder } from 'cbor-x';
import { SHARED_STRUCTURES } from './cbor-records.js';
import { CborScanner } from './cbor-scan.js';
import { CborWriter } from './cbor-write.js';
import { FabricError, err, ok } from './errors.js';
import type { ErrorValue, Result } from './errors.js';
import { BadEnvelope, ENVELOPE_KEYS, LIMITS, MAX_PAYLOAD_BYTES, PayloadTooLarge, envelopeError, fieldsError, isReplyTopic } from './envelope.js';
import type { Envelope, WireFormat } from './envelope.js';
import { isId } from './ids.js';

export { BadEnvelope, MAX_PAYLOAD_BYTES, PayloadTooLarge } from './envelope.js';
export type { WireFormat } from './envelope.js';

const SHARED_COUNT = SHARED_STRUCTURES.length;

export interface EnvelopeCodec {
  /**
   * Encodes a valid envelope; throws FabricError (BAD_ENVELOPE, PAYLOAD_TOO_LARGE) otherwise.
   * The bytes are the caller's: the codec never writes to them again.
   */
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
 * A codec with its own writer and decoder. Instances share nothing but the fixed structures, so
 * the output of one decodes with any other, in this process or another.
 */
export function createEnvelopeCodec(): EnvelopeCodec {
  const cbor = new CborEnvelopeCodec();
  /** The bytes, or why not: no Result allocated on the way. */
  const encode = (env: Envelope, format: WireFormat): Uint8Array | ErrorValue => {
    const bytes = format === 'json' ? encodeJson(env) : cbor.encode(env);
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
      // The CBOR pre-scan has already proved the body plain data (see cbor-scan.ts).
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

function encodeJson(env: Envelope): Uint8Array | ErrorValue {
  return envelopeError(env, 'json') ?? Buffer.from(JSON.stringify(canonicalOrder(env)), 'utf8');
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
// The envelope goes on the wire as a record of shared structure 0: tag 0xe000 and an array of the
// 11 values in ENVELOPE_KEYS order (3 bytes of tag instead of 11 key strings). A reply's body and
// its ErrorValue are records of structures 1-3. Bodies are otherwise plain CBOR maps.
//
// cbor-x's own record mode is not used for writing: even with maxSharedStructures pinned, it
// extends a shared structure in place when an object's keys begin with all of its keys ({type,
// body, extra} redefined the reply structure in this process only), and its per-message inline
// definitions of body shapes decoded slower than plain maps. The decoder holds the fixed
// structures, identical in every process by construction, and nothing else.

/** Payloads up to this size decode from a reused buffer (no DataView to build per message). */
const SCRATCH_BYTES = 64 * 1024;

class CborEnvelopeCodec {
  private readonly writer = new CborWriter();
  private readonly decoder: Decoder;
  private readonly decoderStructures: string[][];
  private readonly scanner = new CborScanner(SHARED_STRUCTURES.map((keys) => keys.length));
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

  constructor() {
    this.decoderStructures = SHARED_STRUCTURES.map((keys) => [...keys]);
    // int64AsNumber (missing from the cbor-x typings): 64-bit integers from foreign encoders
    // arrive as numbers, as JSON.parse gives them, rather than as BigInt (not plain data).
    const options = { structures: this.decoderStructures, mapsAsObjects: true, int64AsNumber: true };
    this.decoder = new Decoder(options);
  }

  /** The bytes, or why not. The writer checks the body as it writes it; only a refusal walks it again, for the reason. */
  encode(e: Envelope): Uint8Array | ErrorValue {
    const invalid = fieldsError(e);
    if (invalid !== undefined) return invalid;
    const bytes = this.writer.envelope(e);
    if (bytes !== undefined) return bytes;
    // The writer stops at the first flaw; the validator says where it is. (They count alike; at
    // the exact edge of the logical size limit they may not stop at the same value.)
    return envelopeError(e, 'cbor') ?? (this.writer.tooHeavy ? tooHeavy() : BadEnvelope('envelope body is not plain data', { field: 'body' }));
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

function tooHeavy(): ErrorValue {
  return PayloadTooLarge(`envelope body is too large: logical size over ${LIMITS.bodyWeight}`, { field: 'body', limit: LIMITS.bodyWeight });
}

function messageOf(caught: unknown): string {
  return caught instanceof Error ? caught.message : String(caught);
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
