// Remembers the replies of recently handled requests by (sender incarnation, topic, seq), so that a
// request arriving again (resent after a reconnect, redelivered by the broker) is answered with the
// reply it already got instead of being handled twice. Bounded in entries, oldest forgotten first:
// a resend comes within its request's deadline, so what matters is how recent an entry is, not
// whose it is.

export interface ReplyWindowOptions {
  /** Requests remembered over all senders; default 16384. */
  readonly maxEntries?: number;
}

/** What became of a request seen again. */
export type Repeat<R> =
  /** Its reply is known: send it again. */
  | { readonly kind: 'answered'; readonly reply: R }
  /** Still being handled: the waiter was queued and is returned by complete(). */
  | { readonly kind: 'waiting' }
  /** Too old to remember: nothing can be said about it. */
  | { readonly kind: 'forgotten' };

/** One (sender incarnation, topic) with requests remembered; its id keys the slot index. */
interface Pair {
  readonly key: string;
  readonly id: number;
  count: number;
}

export const WINDOW_DEFAULTS = { maxEntries: 16384 } as const;

/** Entries the ring starts with; it doubles as needed up to maxEntries. */
const INITIAL_ENTRIES = 256;

const WAITING: Repeat<never> = { kind: 'waiting' };
const FORGOTTEN: Repeat<never> = { kind: 'forgotten' };
const NO_WAITERS: readonly never[] = [];
/** Byte replies are copied into chunks of this size (a larger reply gets a chunk of its own). */
const CHUNK_BYTES = 256 * 1024;

/**
 * R is the reply; W describes someone waiting for it (where to send it). A reply given as a
 * Uint8Array (the bytes that were sent) is kept as a copy, and a repeat gets a view of that copy.
 *
 * The entries live in a ring of slots, in the order their requests began: the slot to overwrite
 * next holds the oldest. A slot is a row of parallel arrays, found by (pair, seq) through an index
 * in typed arrays. At thousands of requests a second every entry outlives the young generation:
 * an object per entry, a Map churning through tens of thousands of keys (V8 rebuilds its table
 * every few thousand deletions), and a Buffer view per reply (each holding on to a slab of the
 * codec's output) were most of an endpoint's garbage-collection work.
 */
export class ReplyWindow<R, W> {
  private readonly pairs = new Map<string, Pair>();
  private nextPairId = 1;
  /** The bound in entries; the ring starts small and doubles up to it (see grow()). */
  private readonly maxEntries: number;
  private index: SlotIndex;
  private slotPair: Array<Pair | undefined>;
  private slotSeq: Float64Array;
  /** 1 once the slot's request has its reply. */
  private slotDone: Uint8Array;
  /** Replies that are not bytes; a reply given as a Uint8Array is copied into the byte chunks. */
  private slotReply: Array<R | undefined>;
  private slotChunk: Array<Buffer | undefined>;
  private slotAt: Int32Array;
  private slotLength: Int32Array;
  /** Where byte replies are appended; a full chunk is left to the slots that use it, and freed with the last. */
  private chunk: Buffer | undefined;
  private chunkUsed = 0;
  /** Repeats waiting for the reply of a slot's request (rare). */
  private waiting = new Map<number, W[]>();
  private next = 0;
  private count = 0;
  /** The pair of the previous call: consecutive requests mostly come from one sender and topic. */
  private lastSender: string | undefined;
  private lastTopic: string | undefined;
  private lastPair: Pair | undefined;

  constructor(options: ReplyWindowOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? WINDOW_DEFAULTS.maxEntries);
    // Most endpoints answer few requests (askers, clients, tests): the full ring (about 1 MB of
    // arrays at the default bound) would cost every endpoint milliseconds to allocate and zero.
    const size = Math.min(this.maxEntries, INITIAL_ENTRIES);
    this.index = new SlotIndex(size);
    this.slotPair = new Array<Pair | undefined>(size).fill(undefined);
    this.slotSeq = new Float64Array(size);
    this.slotDone = new Uint8Array(size);
    this.slotReply = new Array<R | undefined>(size).fill(undefined);
    this.slotChunk = new Array<Buffer | undefined>(size).fill(undefined);
    this.slotAt = new Int32Array(size);
    this.slotLength = new Int32Array(size);
  }

  /** Marks a request as being handled; false when it is already known (a repeat). */
  begin(sender: string, topic: string, seq: number): boolean {
    const pair = this.pair(sender, topic, true);
    if (this.index.get(pair.id, seq) >= 0) return false;
    if (this.count === this.slotPair.length && this.count < this.maxEntries) this.grow();
    const slot = this.next;
    const oldest = this.slotPair[slot];
    if (oldest !== undefined) this.forget(oldest, slot);
    this.slotPair[slot] = pair;
    this.slotSeq[slot] = seq;
    this.slotDone[slot] = 0;
    this.index.set(pair.id, seq, slot);
    pair.count++;
    this.next = (slot + 1) % this.slotPair.length;
    this.count++;
    return true;
  }

  /** A request seen again: its reply, or a place in the queue for it, or nothing known. */
  repeat(sender: string, topic: string, seq: number, waiter: W): Repeat<R> {
    const slot = this.slotOf(sender, topic, seq);
    if (slot < 0) return FORGOTTEN;
    if (this.slotDone[slot] === 1) return { kind: 'answered', reply: this.replyOf(slot) };
    const waiters = this.waiting.get(slot);
    if (waiters === undefined) this.waiting.set(slot, [waiter]);
    else waiters.push(waiter);
    return WAITING;
  }

  /**
   * Records the reply of a request; returns the waiters that asked again meanwhile (to be answered
   * with it). A reply for a forgotten request is not stored.
   */
  complete(sender: string, topic: string, seq: number, reply: R): readonly W[] {
    const slot = this.slotOf(sender, topic, seq);
    if (slot < 0 || this.slotDone[slot] === 1) return NO_WAITERS;
    this.slotDone[slot] = 1;
    if (reply instanceof Uint8Array) this.keepBytes(slot, reply);
    else this.slotReply[slot] = reply;
    const waiters = this.waiting.get(slot);
    if (waiters === undefined) return NO_WAITERS;
    this.waiting.delete(slot);
    return waiters;
  }

  /** Number of requests remembered. */
  get size(): number {
    return this.count;
  }

  /**
   * Doubles the ring (up to maxEntries) when it is full, rather than forget its oldest entry:
   * the entries move to the new arrays oldest first, so the ring order stays the request order.
   */
  private grow(): void {
    const old = this.slotPair.length;
    const size = Math.min(this.maxEntries, old * 2);
    const slotPair = new Array<Pair | undefined>(size).fill(undefined);
    const slotSeq = new Float64Array(size);
    const slotDone = new Uint8Array(size);
    const slotReply = new Array<R | undefined>(size).fill(undefined);
    const slotChunk = new Array<Buffer | undefined>(size).fill(undefined);
    const slotAt = new Int32Array(size);
    const slotLength = new Int32Array(size);
    const index = new SlotIndex(size);
    const waiting = new Map<number, W[]>();
    let to = 0;
    for (let k = 0; k < old; k++) {
      const from = (this.next + k) % old;
      const pair = this.slotPair[from];
      if (pair === undefined) continue;
      const seq = this.slotSeq[from]!;
      slotPair[to] = pair;
      slotSeq[to] = seq;
      slotDone[to] = this.slotDone[from]!;
      slotReply[to] = this.slotReply[from];
      slotChunk[to] = this.slotChunk[from];
      slotAt[to] = this.slotAt[from]!;
      slotLength[to] = this.slotLength[from]!;
      index.set(pair.id, seq, to);
      const waiters = this.waiting.get(from);
      if (waiters !== undefined) waiting.set(to, waiters);
      to++;
    }
    this.slotPair = slotPair;
    this.slotSeq = slotSeq;
    this.slotDone = slotDone;
    this.slotReply = slotReply;
    this.slotChunk = slotChunk;
    this.slotAt = slotAt;
    this.slotLength = slotLength;
    this.index = index;
    this.waiting = waiting;
    this.next = to % size;
  }

  /**
   * Copies a byte reply into the current chunk. Chunks are only appended to, so the bytes stay put
   * while their slot holds them; a chunk goes with the last slot that refers to it.
   */
  private keepBytes(slot: number, bytes: Uint8Array): void {
    const length = bytes.length;
    if (this.chunk === undefined || this.chunkUsed + length > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, length));
      this.chunkUsed = 0;
    }
    this.chunk.set(bytes, this.chunkUsed);
    this.slotChunk[slot] = this.chunk;
    this.slotAt[slot] = this.chunkUsed;
    this.slotLength[slot] = length;
    this.chunkUsed += length;
  }

  private replyOf(slot: number): R {
    const chunk = this.slotChunk[slot];
    if (chunk === undefined) return this.slotReply[slot] as R;
    const at = this.slotAt[slot]!;
    return chunk.subarray(at, at + this.slotLength[slot]!) as R;
  }

  private slotOf(sender: string, topic: string, seq: number): number {
    const pair = this.pair(sender, topic, false);
    return pair === undefined ? -1 : this.index.get(pair.id, seq);
  }

  private pair(sender: string, topic: string, create: true): Pair;
  private pair(sender: string, topic: string, create: false): Pair | undefined;
  private pair(sender: string, topic: string, create: boolean): Pair | undefined {
    const last = this.lastPair;
    if (last !== undefined && sender === this.lastSender && topic === this.lastTopic) return last;
    const key = `${sender}\n${topic}`;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      if (!create) return undefined;
      pair = { key, id: this.nextPairId, count: 0 };
      // Ids wrap after 2^31 pairs; one still remembered that long would be the only one to share its id.
      this.nextPairId = (this.nextPairId % 0x7fffffff) + 1;
      this.pairs.set(key, pair);
    }
    this.lastSender = sender;
    this.lastTopic = topic;
    this.lastPair = pair;
    return pair;
  }

  /** Empties a slot (its request is the oldest remembered). */
  private forget(pair: Pair, slot: number): void {
    this.slotPair[slot] = undefined;
    this.slotReply[slot] = undefined;
    this.slotChunk[slot] = undefined;
    this.waiting.delete(slot);
    if (!this.index.delete(pair.id, this.slotSeq[slot]!)) return;
    this.count--;
    if (--pair.count > 0) return;
    this.pairs.delete(pair.key);
    if (this.lastPair === pair) this.lastPair = undefined;
  }
}

/**
 * (pair id, seq) → slot: open addressing with linear probing in typed arrays, at most half full,
 * deletion by shifting the following entries back (no tombstones to pile up).
 */
class SlotIndex {
  private readonly mask: number;
  /** 0: empty. */
  private readonly pairIds: Int32Array;
  private readonly seqs: Float64Array;
  private readonly slots: Int32Array;

  constructor(entries: number) {
    let capacity = 16;
    while (capacity < entries * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.pairIds = new Int32Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  /** The slot of (pair, seq), or -1. */
  get(pair: number, seq: number): number {
    const at = this.find(pair, seq);
    return at < 0 ? -1 : this.slots[at]!;
  }

  /** Adds (pair, seq), which is not in the index. */
  set(pair: number, seq: number, slot: number): void {
    let i = this.home(pair, seq);
    while (this.pairIds[i] !== 0) i = (i + 1) & this.mask;
    this.pairIds[i] = pair;
    this.seqs[i] = seq;
    this.slots[i] = slot;
  }

  delete(pair: number, seq: number): boolean {
    let i = this.find(pair, seq);
    if (i < 0) return false;
    const { pairIds, seqs, slots, mask } = this;
    // Moves back each following entry of the run that the hole would cut off from its home.
    for (let j = (i + 1) & mask; pairIds[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(pairIds[j]!, seqs[j]!);
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      pairIds[i] = pairIds[j]!;
      seqs[i] = seqs[j]!;
      slots[i] = slots[j]!;
      i = j;
    }
    pairIds[i] = 0;
    return true;
  }

  private find(pair: number, seq: number): number {
    for (let i = this.home(pair, seq); this.pairIds[i] !== 0; i = (i + 1) & this.mask) {
      if (this.pairIds[i] === pair && this.seqs[i] === seq) return i;
    }
    return -1;
  }

  private home(pair: number, seq: number): number {
    let h = Math.imul(pair, 0x9e3779b1) ^ Math.imul(seq | 0, 0x85ebca6b) ^ Math.imul(Math.floor(seq / 0x100000000), 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & this.mask;
  }
}
