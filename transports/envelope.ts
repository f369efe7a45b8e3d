// The envelope every message travels in, over MQTT and the in-process transport alike, and its
// validation. Request/reply lives here (replyTo, corr) rather than in MQTT 5 properties so the
// fabric works on 3.1.1 brokers too. Anything decoded from the wire passes validateEnvelope.

import { defineError, err, ok } from './errors.js';
import type { ErrorValue, Result } from './errors.js';
import { isId } from './ids.js';

export interface Envelope {
  readonly v: 1;
  /** Message type, e.g. 'counter.add', 'reply'. */
  readonly type: string;
  /** Receiver address ('kind/id' or 'host/H/kind/id'). */
  readonly to: string;
  /** Sender address (an actor address or a client id). */
  readonly from: string;
  /** Topic where a reply goes; null = one-way. */
  readonly replyTo: string | null;
  /** 128-bit correlation id (32 hex) or null. */
  readonly corr: string | null;
  /** Sender incarnation, 32 hex. */
  readonly inc: string;
  /** Per-sender sequence number, safe integer >= 0. */
  readonly seq: number;
  /** Absolute ms on the sender's clock (epoch ms), null = none. */
  readonly deadline: number | null;
  /** Bearer token (identity service), never logged. */
  readonly token: string | null;
  /** Plain data: null, booleans, finite numbers, strings, arrays, plain objects, Uint8Array (CBOR only). */
  readonly body: unknown;
}

export type WireFormat = 'cbor' | 'json';

/**
 * The envelope's keys in wire order. The CBOR codec shares this list as a fixed record structure
 * with every process: reordering or extending it is a wire-format change (bump `v`).
 */
export const ENVELOPE_KEYS = ['v', 'type', 'to', 'from', 'replyTo', 'corr', 'inc', 'seq', 'deadline', 'token', 'body'] as const;

export const REPLY_TYPE = 'reply';

/** A reply's body: errors cross as data. */
export type ReplyBody = { readonly type: 'ok'; readonly body: unknown } | { readonly type: 'error'; readonly error: ErrorValue };

/** Key orders of the reply bodies and of ErrorValue: also fixed shared CBOR structures. */
export const REPLY_OK_KEYS = ['type', 'body'] as const;
export const REPLY_ERROR_KEYS = ['type', 'error'] as const;
export const ERROR_VALUE_KEYS = ['code', 'message', 'status', 'retryable', 'details'] as const;

/** The payload is not a valid envelope (malformed, truncated, wrong field types, extra keys). */
export const BadEnvelope = defineError('BAD_ENVELOPE', 400);
/** The payload, or the logical size of its body, is over the limit. */
export const PayloadTooLarge = defineError('PAYLOAD_TOO_LARGE', 413);

/** Largest encoded envelope, either format: 1 MiB. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export const LIMITS = {
  type: 128,
  address: 512,
  token: 4096,
  /** Nesting of arrays and objects inside the body. */
  bodyDepth: 64,
  /**
   * Logical size of a body: one per value plus the length of every string, key and byte array,
   * about its JSON length. Nothing decoded from 1 MiB reaches it; it bounds the encoder's walk
   * over in-process values whose sub-objects are shared (or cyclic), which can be small in
   * memory and enormous on the wire.
   */
  bodyWeight: 4 * MAX_PAYLOAD_BYTES,
} as const;

const KEY_SET: ReadonlySet<string> = new Set(ENVELOPE_KEYS);

// Printable ASCII, no spaces: message types are protocol identifiers.
const TYPE_FORM = /^[\x21-\x7e]+$/;
// replyTo is published to: no MQTT wildcards, no NUL or other control characters, not a
// $-reserved topic. (Addresses and tokens are opaque text here; the runtime parses addresses.)
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const TOPIC_FORM = /^[^$\x00-\x1f\x7f+#][^\x00-\x1f\x7f+#]*$/;

/** String.prototype.isWellFormed (Node 20) is outside the ES2023 lib typings. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}

/** No lone surrogates: the string has a UTF-8 form, so CBOR and JSON carry it alike. */
export function isWellFormed(s: string): boolean {
  return (s as unknown as WellFormedCheck).isWellFormed();
}

/** Whether s may be a reply topic: 1..512 chars, no wildcards, control characters or leading '$'. */
export function isReplyTopic(s: unknown): s is string {
  return typeof s === 'string' && s.length <= LIMITS.address && TOPIC_FORM.test(s) && isWellFormed(s);
}

function isText(s: unknown, max: number): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= max && isWellFormed(s);
}

/**
 * A pattern check that remembers the last value that passed. A sender's replyTo and inc, and
 * mostly its type, repeat from one envelope to the next: comparing with the last good value (a
 * pointer compare for the same string, a memcmp for an equal one) costs less than the regular
 * expression. Only passing values are kept, and every check is pure. (Plain length and
 * well-formedness checks are cheaper than the compare and are not remembered.)
 */
class RememberingCheck {
  private last = '';

  constructor(private readonly check: (value: unknown) => boolean) {}

  passes(value: unknown): boolean {
    if (value === this.last && value !== '') return true;
    if (!this.check(value)) return false;
    this.last = value as string;
    return true;
  }
}

const typeCheck = new RememberingCheck((s) => typeof s === 'string' && s.length <= LIMITS.type && TYPE_FORM.test(s));
const replyToCheck = new RememberingCheck(isReplyTopic);
const incCheck = new RememberingCheck(isId);

function fieldError(e: object, field: string, message: string): ErrorValue {
  const problem = field in e ? message : 'is missing';
  return BadEnvelope(`envelope field '${field}' ${problem}`, { field });
}

/**
 * Checks every field's type and bounds and that no other key is present; the body must be plain
 * data (with Uint8Array allowed only for the CBOR format). Returns the same object on success.
 * Errors are BAD_ENVELOPE with details.field naming the field (and details.path inside the body),
 * or PAYLOAD_TOO_LARGE when the body's logical size is over LIMITS.bodyWeight.
 */
export function validateEnvelope(x: unknown, format: WireFormat = 'cbor'): Result<Envelope> {
  const error = envelopeError(x, format);
  return error === undefined ? ok(x as Envelope) : err(error);
}

/**
 * validateEnvelope without the walk through the body: for a decoder that has already proved the
 * body plain data, within depth and size (the CBOR codec's pre-scan does, byte by byte).
 */
export function validateFields(x: unknown): Result<Envelope> {
  const error = fieldsError(x);
  return error === undefined ? ok(x as Envelope) : err(error);
}

/** validateEnvelope's error, or undefined: no Result to allocate on the hot path. */
export function envelopeError(x: unknown, format: WireFormat = 'cbor'): ErrorValue | undefined {
  const error = fieldsError(x);
  if (error !== undefined) return error;
  const flaw = checkPlainData((x as Envelope).body, format === 'cbor');
  return flaw === undefined ? undefined : flawError(flaw);
}

/** validateFields's error, or undefined. */
export function fieldsError(x: unknown): ErrorValue | undefined {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return BadEnvelope('envelope must be an object', { field: '' });
  const proto: unknown = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return BadEnvelope('envelope must be a plain object', { field: '' });
  // With all 11 fields valid (none of them can be valid when absent), 11 keys means no others.
  let keys = 0;
  for (const _ in x) keys++;
  if (keys > ENVELOPE_KEYS.length) {
    const extra = truncate(Object.keys(x).find((key) => !KEY_SET.has(key)) ?? '');
    return BadEnvelope(`envelope field '${extra}' is not an envelope field`, { field: extra });
  }
  const e = x as Record<string, unknown>;
  if (e.v !== 1) return fieldError(e, 'v', 'must be 1');
  if (!typeCheck.passes(e.type)) return fieldError(e, 'type', `must be 1..${LIMITS.type} printable ASCII characters`);
  if (!isText(e.to, LIMITS.address)) return fieldError(e, 'to', `must be an address of 1..${LIMITS.address} characters`);
  if (!isText(e.from, LIMITS.address)) return fieldError(e, 'from', `must be an address of 1..${LIMITS.address} characters`);
  if (e.replyTo !== null && !replyToCheck.passes(e.replyTo)) {
    return fieldError(e, 'replyTo', `must be null or a topic of 1..${LIMITS.address} characters without wildcards`);
  }
  if (e.corr !== null && !isId(e.corr)) return fieldError(e, 'corr', 'must be null or 32 lowercase hex characters');
  if (!incCheck.passes(e.inc)) return fieldError(e, 'inc', 'must be 32 lowercase hex characters');
  const seq = e.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return fieldError(e, 'seq', 'must be a safe integer >= 0');
  const deadline = e.deadline;
  if (deadline !== null && (typeof deadline !== 'number' || !Number.isFinite(deadline) || deadline < 0)) {
    return fieldError(e, 'deadline', 'must be null or a finite number of epoch ms >= 0');
  }
  // The token's value never goes into a message.
  if (e.token !== null && !isText(e.token, LIMITS.token)) return fieldError(e, 'token', `must be null or 1..${LIMITS.token} characters`);
  if (e.body === undefined) return fieldError(e, 'body', 'must be plain data (undefined is not)');
  return undefined;
}

/** Where and why a value is not plain data. */
export interface Flaw {
  readonly path: readonly (string | number)[];
  readonly reason: string;
  readonly tooLarge: boolean;
}

/**
 * Checks that value is plain data: null, booleans, finite numbers, well-formed strings, arrays,
 * plain objects (no `__proto__` key), and Uint8Array when binary is allowed; at most
 * LIMITS.bodyDepth deep and LIMITS.bodyWeight in logical size (which also bounds the walk over
 * values that share sub-objects). Returns the first flaw, or undefined.
 */
export function checkPlainData(value: unknown, binary: boolean): Flaw | undefined {
  weight = 0;
  allowBinary = binary;
  return flawIn(value, 0);
}

// Walk state, module-level so the recursion passes nothing but the value and depth.
let weight = 0;
let allowBinary = true;

function flaw(reason: string, tooLarge = false): Flaw {
  return { path: [], reason, tooLarge };
}

function within(key: string | number, inner: Flaw): Flaw {
  return { path: [key, ...inner.path], reason: inner.reason, tooLarge: inner.tooLarge };
}

function flawIn(value: unknown, depth: number): Flaw | undefined {
  if (typeof value !== 'object' || value === null) return leafFlaw(value);
  if ((weight += 1) > LIMITS.bodyWeight) return tooHeavy();
  if (Array.isArray(value)) {
    if (depth >= LIMITS.bodyDepth) return flaw(`nested deeper than ${LIMITS.bodyDepth}`);
    const items = value as readonly unknown[];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const inner = typeof item === 'object' && item !== null ? flawIn(item, depth + 1) : leafFlaw(item);
      if (inner !== undefined) return within(i, inner);
    }
    return undefined;
  }
  if (value instanceof Uint8Array) {
    if (!allowBinary) return flaw('Uint8Array cannot be carried by the JSON format (use CBOR)');
    return (weight += value.byteLength) > LIMITS.bodyWeight ? tooHeavy() : undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return flaw(`${describe(value)} is not plain data`);
  if (depth >= LIMITS.bodyDepth) return flaw(`nested deeper than ${LIMITS.bodyDepth}`);
  const object = value as Record<string, unknown>;
  // for-in: own enumerable keys here (the prototype is Object.prototype or null), no array built.
  for (const key in object) {
    if (key === '__proto__') return within(key, flaw('the key __proto__ is not allowed'));
    weight += key.length;
    if (!isWellFormed(key)) return within(key, flaw('key has a lone surrogate (not well-formed Unicode)'));
    const item = object[key];
    const inner = typeof item === 'object' && item !== null ? flawIn(item, depth + 1) : leafFlaw(item);
    if (inner !== undefined) return within(key, inner);
  }
  return undefined;
}

/** Anything but an array, object or Uint8Array: null, boolean, number, string, or not data. */
function leafFlaw(value: unknown): Flaw | undefined {
  weight += 1;
  switch (typeof value) {
    case 'string':
      if ((weight += value.length) > LIMITS.bodyWeight) return tooHeavy();
      return isWellFormed(value) ? undefined : flaw('string has a lone surrogate (not well-formed Unicode)');
    case 'number':
      return Number.isFinite(value) ? undefined : flaw(`number ${String(value)} is not finite`);
    case 'boolean':
      return undefined;
    case 'object': // null
      return undefined;
    default:
      return flaw(`${typeof value} is not plain data`);
  }
}

function tooHeavy(): Flaw {
  return flaw(`logical size over ${LIMITS.bodyWeight}`, true);
}

function describe(value: object): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
}

function flawError(f: Flaw): ErrorValue {
  const path = formatPath('body', f.path);
  return f.tooLarge
    ? PayloadTooLarge(`envelope body is too large: ${f.reason}`, { field: 'body', path, limit: LIMITS.bodyWeight })
    : BadEnvelope(`envelope body at ${path}: ${f.reason}`, { field: 'body', path });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `body.items[3]["a b"]`; long keys are cut so an error stays small. */
export function formatPath(root: string, path: readonly (string | number)[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment) && segment.length <= 64) out += `.${segment}`;
    else out += `[${JSON.stringify(truncate(segment))}]`;
  }
  return out;
}

function truncate(s: string): string {
  return s.length <= 64 ? s : `${s.slice(0, 64)}…`;
}

/** A reply body in the key order of the shared CBOR structures. */
export function replyOk(body: unknown): ReplyBody {
  return { type: 'ok', body };
}

export function replyError(error: ErrorValue): ReplyBody {
  const { code, message, status, retryable, details } = error;
  return { type: 'error', error: details === undefined ? { code, message, status, retryable } : { code, message, status, retryable, details } };
}

/**
 * Checks the shape of a reply's body (a `reply` envelope's body has already been checked as plain
 * data by validateEnvelope): {type:'ok', body} or {type:'error', error: ErrorValue}, no other keys.
 */
export function validateReplyBody(x: unknown): Result<ReplyBody> {
  const bad = (message: string): Result<ReplyBody> => err(BadEnvelope(`reply body ${message}`, { field: 'body' }));
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return bad('must be an object');
  const r = x as Record<string, unknown>;
  const keys = ownKeyCount(r);
  if (r.type === 'ok') {
    if (keys !== 2 || !('body' in r)) return bad("of type 'ok' must have exactly the keys type and body");
    return ok(x as ReplyBody);
  }
  if (r.type === 'error') {
    if (keys !== 2 || !('error' in r)) return bad("of type 'error' must have exactly the keys type and error");
    const e = r.error;
    if (typeof e !== 'object' || e === null) return bad('error must be an ErrorValue');
    const v = e as Record<string, unknown>;
    const extra = Object.keys(v).find((k) => !(ERROR_VALUE_KEYS as readonly string[]).includes(k));
    if (extra !== undefined) return bad(`error has an unknown key ${JSON.stringify(truncate(extra))}`);
    if (typeof v.code !== 'string' || v.code === '') return bad('error.code must be a non-empty string');
    if (typeof v.message !== 'string') return bad('error.message must be a string');
    if (typeof v.status !== 'number' || !Number.isInteger(v.status)) return bad('error.status must be an integer');
    if (typeof v.retryable !== 'boolean') return bad('error.retryable must be a boolean');
    if (v.details !== undefined && (typeof v.details !== 'object' || v.details === null || Array.isArray(v.details))) {
      return bad('error.details must be an object');
    }
    return ok(x as ReplyBody);
  }
  return bad("type must be 'ok' or 'error'");
}

/** Object.keys(o).length without the array. */
function ownKeyCount(o: object): number {
  let n = 0;
  for (const key in o) if (Object.hasOwn(o, key)) n++;
  return n;
}
