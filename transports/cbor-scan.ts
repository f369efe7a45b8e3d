// The pre-scan of CBOR envelopes: one pass over the bytes, no allocation, before cbor-x sees them.
// It is what keeps hostile input from hanging or crashing the decoder and what proves a decoded
// body plain data; in salvage mode it reads the reply address of a payload broken further on.
//
// It accepts the CBOR our writer writes plus plain maps from foreign encoders (RFC 8949):
// integers, finite floats, true/false/null, definite text and byte strings, arrays, maps keyed by
// text, tag 64 (Uint8Array), tag 55799 (self-described) in front, and the shared records where our
// writer puts them (the envelope at the top, a reply body inside it, an ErrorValue inside that),
// each with no more values than keys. Everything else is refused: other tags, record definitions,
// undefined, simple values, NaN and infinities, 8-byte lengths, indefinite strings, a `__proto__`
// key, arrays and maps nested past LIMITS.bodyDepth, truncation, trailing bytes.
//
// cbor-x, left alone with hostile input, would turn tag 2 into a BigInt in O(n²), expand
// packed-CBOR prefixes by copying, build cyclic objects from value-sharing tags, redefine shared
// structures, and recurse as deep as the input nests. The scan also makes the decoded body plain
// data by construction, which is why the codec checks the envelope's fields after decoding but
// does not walk the body again (see validateFields):
// - only plain values can come out: the tags that build anything else are refused;
// - nesting is counted as validateEnvelope counts it: the body is at depth 1;
// - records sit only where a constant number of them fits, so a body's logical size stays
//   below its byte size and LIMITS.bodyWeight cannot be reached from 1 MiB;
// - cbor-x decodes text to well-formed strings (invalid UTF-8 becomes U+FFFD, tested).
import { RECORD_DEPTHS, RECORD_TAG, UINT8ARRAY_TAG } from './cbor-records.js';
import { LIMITS } from './envelope.js';

/** Recursion bound of salvage mode, which follows any tag. */
const MAX_SALVAGE_DEPTH = LIMITS.bodyDepth + 8;
const SELF_DESCRIBED_TAG = 55799;
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

export class CborScanner {
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
