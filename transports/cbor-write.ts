// The CBOR writer of envelopes. One walk over the body both proves it plain data (the rules and
// the counting of checkPlainData: types, depth, logical size) and writes it, with the envelope and
// the reply bodies as the fixed shared records (cbor-records.ts); cbor-x decodes the result.
//
// Why not cbor-x's encoder: it needed a validation walk of its own first, and it writes strings a
// character at a time in JavaScript, where this writer hands strings of 24 characters and more to
// the native UTF-8 writer. With it, encode + decode of an envelope was no faster than JSON's. Its
// record mode could not be used either: it redefines shared structures in place (see codec.ts).
import { ENVELOPE_RECORD, ERROR_VALUE_RECORD, REPLY_ERROR_RECORD, REPLY_OK_RECORD, UINT8ARRAY_TAG } from './cbor-records.js';
import { ENVELOPE_KEYS, LIMITS, REPLY_TYPE, isWellFormed, type Envelope } from './envelope.js';

/** Output is cut from slabs of this size; bytes once handed out are never written again. */
const SLAB_BYTES = 16 * 1024;
/** A message starts on a fresh slab when less than this is left (growing copies what was written). */
const SLAB_MIN_FREE = 1024;
/** Strings shorter than this are written in JavaScript when ASCII (one-byte header); longer ones natively. */
const SHORT_TEXT = 24;
const MAX_WEIGHT = LIMITS.bodyWeight;
const MAX_DEPTH = LIMITS.bodyDepth;

/** Major types (RFC 8949 §3.1). */
const UINT = 0;
const NEGATIVE = 1;
const BYTES = 2;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;
const TAG = 6;
const FALSE = 0xf4;
const TRUE = 0xf5;
const NULL = 0xf6;
const FLOAT64 = 0xfb;

/**
 * Buffer.prototype.utf8Write: what buf.write(s, offset, 'utf8') calls once it has normalised its
 * arguments, which cost as much as the write for strings this short. Node's own, not in its typings
 * (cbor-x writes with it too); buf.write stands in should it ever be missing.
 */
const utf8Write: (buf: Buffer, s: string, offset: number) => number =
  typeof (Buffer.prototype as Partial<Utf8Writer>).utf8Write === 'function'
    ? (buf, s, offset) => (buf as unknown as Utf8Writer).utf8Write(s, offset)
    : (buf, s, offset) => buf.write(s, offset, 'utf8');

interface Utf8Writer {
  utf8Write(s: string, offset: number): number;
}

/** Bytes of the head of an item whose argument is n. */
function headSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

export class CborWriter {
  /** Why the last envelope() gave up on its body: its logical size went over LIMITS.bodyWeight. */
  tooHeavy = false;
  private buf = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  /** Where the message being written starts, and where the next byte goes. */
  private start = 0;
  private pos = 0;
  /** Logical size of the body so far, counted as checkPlainData counts it. */
  private weight = 0;

  /**
   * The envelope's bytes: a view of a slab that nothing writes to again. Undefined when the body is
   * not plain data or too heavy (the caller asks checkPlainData where and why). The other fields
   * must have passed fieldsError.
   */
  envelope(e: Envelope): Buffer | undefined {
    this.begin();
    this.tag(ENVELOPE_RECORD);
    this.head(ARRAY, ENVELOPE_KEYS.length);
    this.number(e.v);
    this.text(e.type);
    this.text(e.to);
    this.text(e.from);
    this.textOrNull(e.replyTo);
    this.textOrNull(e.corr);
    this.text(e.inc);
    this.number(e.seq);
    if (e.deadline === null) this.byte(NULL);
    else this.number(e.deadline);
    this.textOrNull(e.token);
    const written = e.type === REPLY_TYPE ? this.replyBody(e.body) : this.value(e.body, 0);
    if (!written) {
      this.pos = this.start;
      return undefined;
    }
    return this.buf.subarray(this.start, this.pos);
  }

  private begin(): void {
    if (this.buf.length > SLAB_BYTES || this.buf.length - this.pos < SLAB_MIN_FREE) this.newSlab(SLAB_BYTES);
    this.start = this.pos;
    this.weight = 0;
    this.tooHeavy = false;
  }

  private newSlab(size: number): void {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.start = 0;
    this.pos = 0;
  }

  /** Makes room for n more bytes; a message outgrowing its slab moves to a larger one. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    let size = SLAB_BYTES;
    while (size < used + n) size *= 2;
    const old = this.buf;
    const from = this.start;
    this.newSlab(size);
    old.copy(this.buf, 0, from, from + used);
    this.pos = used;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** The head of an item: major type and argument (n < 2^32). */
  private head(major: number, n: number): void {
    this.room(5);
    this.pos = this.putHead(this.pos, major, n);
  }

  /** Writes a head at p, which has room for it; returns where the item goes on. */
  private putHead(p: number, major: number, n: number): number {
    const buf = this.buf;
    const m = major << 5;
    if (n < 24) buf[p++] = m | n;
    else if (n < 0x100) {
      buf[p++] = m | 24;
      buf[p++] = n;
    } else if (n < 0x10000) {
      buf[p++] = m | 25;
      buf[p++] = n >> 8;
      buf[p++] = n & 0xff;
    } else {
      buf[p++] = m | 26;
      buf[p++] = n >>> 24;
      buf[p++] = (n >>> 16) & 0xff;
      buf[p++] = (n >>> 8) & 0xff;
      buf[p++] = n & 0xff;
    }
    return p;
  }

  private tag(tag: number): void {
    this.head(TAG, tag);
  }

  /** Integers as cbor-x writes them (-0 as 0); anything else finite as a float64. */
  private number(v: number): boolean {
    if (v >>> 0 === v) this.head(UINT, v);
    else if (v < 0 && v >= -0x100000000 && Math.floor(v) === v) this.head(NEGATIVE, -1 - v);
    else {
      if (!Number.isFinite(v)) return false;
      this.room(9);
      this.buf[this.pos] = FLOAT64;
      this.view.setFloat64(this.pos + 1, v);
      this.pos += 9;
    }
    return true;
  }

  private textOrNull(s: string | null): void {
    if (s === null) this.byte(NULL);
    else this.text(s);
  }

  /** A text string; false when it is not well-formed (a lone surrogate has no UTF-8 form). */
  private text(s: string): boolean {
    const n = s.length;
    if (n < SHORT_TEXT) {
      // ASCII in one pass, its one-byte head known in advance
      this.room(1 + n);
      const buf = this.buf;
      const at = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === n) {
        buf[this.pos] = (TEXT << 5) | n;
        this.pos = at + n;
        return true;
      }
    }
    if (!isWellFormed(s)) return false;
    this.room(5 + 3 * n);
    // Written after a head sized for n bytes (right for ASCII); moved if UTF-8 took more.
    const guess = headSize(n);
    const bytes = utf8Write(this.buf, s, this.pos + guess);
    const size = headSize(bytes);
    if (size !== guess) this.buf.copyWithin(this.pos + size, this.pos + guess, this.pos + guess + bytes);
    this.pos = this.putHead(this.pos, TEXT, bytes) + bytes;
    return true;
  }

  /** One value of the body at a depth (the body's own is 0), as checkPlainData walks it. */
  private value(v: unknown, depth: number): boolean {
    switch (typeof v) {
      case 'string':
        if ((this.weight += 1 + v.length) > MAX_WEIGHT) return this.heavy();
        return this.text(v);
      case 'number':
        this.weight += 1;
        return this.number(v);
      case 'boolean':
        this.weight += 1;
        this.byte(v ? TRUE : FALSE);
        return true;
      case 'object':
        if (v === null) {
          this.weight += 1;
          this.byte(NULL);
          return true;
        }
        return this.container(v, depth);
      default:
        return false;
    }
  }

  private container(v: object, depth: number): boolean {
    if ((this.weight += 1) > MAX_WEIGHT) return this.heavy();
    if (Array.isArray(v)) {
      if (depth >= MAX_DEPTH) return false;
      const items = v as readonly unknown[];
      const n = items.length;
      this.head(ARRAY, n);
      for (let i = 0; i < n; i++) if (!this.value(items[i], depth + 1)) return false;
      return true;
    }
    if (v instanceof Uint8Array) {
      if ((this.weight += v.byteLength) > MAX_WEIGHT) return this.heavy();
      // As cbor-x: a plain Uint8Array is tagged so that it decodes as one, not as a Buffer.
      if (v.constructor === Uint8Array) this.tag(UINT8ARRAY_TAG);
      this.head(BYTES, v.byteLength);
      this.room(v.byteLength);
      this.buf.set(v, this.pos);
      this.pos += v.byteLength;
      return true;
    }
    if (!isPlainObject(v) || depth >= MAX_DEPTH) return false;
    return this.map(v as Record<string, unknown>, depth);
  }

  /** A map: its head is written once the keys are counted (moving the entries if it takes more than a byte). */
  private map(object: Record<string, unknown>, depth: number): boolean {
    this.room(1);
    const at = this.pos++ - this.start; // relative: the message may move to a larger slab meanwhile
    let count = 0;
    // for-in: own enumerable keys here (the prototype is Object.prototype or null), no array built.
    for (const key in object) {
      if (key === '__proto__') return false;
      this.weight += key.length;
      if (!this.text(key) || !this.value(object[key], depth + 1)) return false;
      count++;
    }
    if (count < 24) {
      this.buf[this.start + at] = (MAP << 5) | count;
      return true;
    }
    const extra = headSize(count) - 1;
    this.room(extra);
    const head = this.start + at; // after room(), which may have moved the message
    this.buf.copyWithin(head + 1 + extra, head + 1, this.pos);
    this.putHead(head, MAP, count);
    this.pos += extra;
    return true;
  }

  /**
   * A reply's body: the exact shapes {type:'ok', body} and {type:'error', error: ErrorValue} as
   * their records, anything else as any body. Counted as checkPlainData counts the objects.
   */
  private replyBody(body: unknown): boolean {
    if (typeof body !== 'object' || body === null || keyCount(body) !== 2 || !isPlainObject(body)) return this.value(body, 0);
    const r = body as Record<string, unknown>;
    if (!Object.hasOwn(r, 'type')) return this.value(body, 0);
    if (r.type === 'ok' && Object.hasOwn(r, 'body')) {
      this.weight += 1 + 'type'.length + 'body'.length;
      this.tag(REPLY_OK_RECORD);
      this.head(ARRAY, 2);
      return this.value('ok', 1) && this.value(r.body, 1);
    }
    const e = r.type === 'error' && Object.hasOwn(r, 'error') ? r.error : undefined;
    const fields = errorValueFields(e);
    if (fields === 0) return this.value(body, 0);
    const v = e as Record<string, unknown>;
    this.weight += 1 + 'type'.length + 'error'.length;
    this.tag(REPLY_ERROR_RECORD);
    this.head(ARRAY, 2);
    if (!this.value('error', 1)) return false;
    this.weight += 1 + 'code'.length + 'message'.length + 'status'.length + 'retryable'.length + (fields === 5 ? 'details'.length : 0);
    if (this.weight > MAX_WEIGHT) return this.heavy();
    this.tag(ERROR_VALUE_RECORD);
    this.head(ARRAY, fields);
    return (
      this.value(v.code, 2) &&
      this.value(v.message, 2) &&
      this.value(v.status, 2) &&
      this.value(v.retryable, 2) &&
      (fields === 4 || this.value(v.details, 2))
    );
  }

  private heavy(): false {
    this.tooHeavy = true;
    return false;
  }
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function keyCount(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** 4 or 5 when e has exactly the keys of an ErrorValue (without or with details), else 0. */
function errorValueFields(e: unknown): 0 | 4 | 5 {
  if (typeof e !== 'object' || e === null || !isPlainObject(e)) return 0;
  if (!Object.hasOwn(e, 'code') || !Object.hasOwn(e, 'message') || !Object.hasOwn(e, 'status') || !Object.hasOwn(e, 'retryable')) return 0;
  const n = keyCount(e);
  if (n === 4) return 4;
  return n === 5 && Object.hasOwn(e, 'details') ? 5 : 0;
}
