// Order and duplicate detection per (sender incarnation, destination topic). MQTT keeps order per
// publisher and topic only while nothing is resent: a retransmitted request can arrive after later
// ones, and a broker restart can lose messages. Senders number what they send to each topic from 1
// without gaps; receivers deliver in that order, hold early arrivals for a while, and spot repeats.
import type { Clock, Timer } from './clock.js';

/**
 * The sending side: one counter per destination topic, starting at 1, never skipping. Never
 * pruned: a sender addresses mailbox shards (256) and host topics, and a dropped counter could not
 * start again at 1 without a new incarnation (events, one topic per resource, are counted apart).
 */
export class SendSequence {
  private readonly counters = new Map<string, number>();

  next(topic: string): number {
    const n = (this.counters.get(topic) ?? 0) + 1;
    this.counters.set(topic, n);
    return n;
  }

  /** Returns seq when it is the last one issued for topic: its message was refused before it left. */
  takeBack(topic: string, seq: number): void {
    if (this.counters.get(topic) === seq) this.counters.set(topic, seq - 1);
  }
}

export interface ReceiveOrderOptions<T> {
  readonly clock: Clock;
  /** Pairs (sender incarnation, topic) remembered; the least recently used is forgotten first. */
  readonly maxPairs?: number;
  /** Early arrivals held per pair; one more gives the gap up at once. */
  readonly maxEarly?: number;
  /** How long a gap may hold later messages back before the missing ones are given up as lost. */
  readonly gapTimeoutMs?: number;
  /** Ranges of given-up seqs remembered per pair, so a late arrival is still delivered once. */
  readonly maxSkippedRanges?: number;
  /** Receives items in order; `late` when the seq had been given up and then arrived. Must not throw. */
  readonly deliver: (item: T, late: boolean) => void;
  /** Receives an item whose seq was already delivered or is already held. Must not throw. */
  readonly duplicate: (item: T) => void;
}

export interface ReceiveOrderStats {
  readonly pairs: number;
  /** Early arrivals held right now, over all pairs. */
  readonly held: number;
  /** Seqs given up as lost (by gap timeout, a full buffer or eviction of their pair). */
  readonly skipped: number;
  /** Given-up seqs that arrived after all and were delivered out of order. */
  readonly late: number;
  readonly evictedPairs: number;
}

interface PairState<T> {
  next: number;
  readonly early: Map<number, T>;
  timer: Timer | undefined;
  /** Half-open ranges [from, to) of seqs given up, oldest first. */
  readonly skipped: Array<[number, number]>;
}

export const RECEIVE_DEFAULTS = { maxPairs: 4096, maxEarly: 256, gapTimeoutMs: 1000, maxSkippedRanges: 32 } as const;

/**
 * The receiving side. A pair seen for the first time may take up its stream at the seq it brings
 * (accept's `takeUp`): a receiver that joins late (a shard that moved, a node that restarted, a
 * forgotten pair) delivers at once rather than hold the stream back one gap timeout for seqs it
 * will never see. The seqs before it are remembered as given up, so a straggler among them is
 * still delivered once (late), and from there on the stream is in order as usual. Without
 * `takeUp` a new pair expects seq 1, for arrivals that may overtake the stream's start (an
 * in-memory hand-over passes messages still on their way through the broker).
 */
export class ReceiveOrder<T> {
  private readonly pairs = new Map<string, PairState<T>>();
  private readonly maxPairs: number;
  private readonly maxEarly: number;
  private readonly gapTimeoutMs: number;
  private readonly maxSkippedRanges: number;
  private heldCount = 0;
  private skippedCount = 0;
  private lateCount = 0;
  private evictedCount = 0;
  /** The pair of the previous arrival: consecutive messages mostly come from one sender and topic. */
  private lastSender: string | undefined;
  private lastTopic: string | undefined;
  private lastState: PairState<T> | undefined;

  constructor(private readonly options: ReceiveOrderOptions<T>) {
    this.maxPairs = options.maxPairs ?? RECEIVE_DEFAULTS.maxPairs;
    this.maxEarly = options.maxEarly ?? RECEIVE_DEFAULTS.maxEarly;
    this.gapTimeoutMs = options.gapTimeoutMs ?? RECEIVE_DEFAULTS.gapTimeoutMs;
    this.maxSkippedRanges = options.maxSkippedRanges ?? RECEIVE_DEFAULTS.maxSkippedRanges;
  }

  /** Takes one sequenced arrival (seq ≥ 1); delivers it and whatever it unblocks, in order. */
  accept(sender: string, topic: string, seq: number, item: T, takeUp = true): void {
    // Already the most recently used: no key to build, nothing to move.
    const last = this.lastState;
    const state = last !== undefined && sender === this.lastSender && topic === this.lastTopic ? last : this.touch(sender, topic, takeUp ? seq : 1);
    if (seq === state.next) {
      this.options.deliver(item, false);
      state.next++;
      this.drain(state);
    } else if (seq > state.next) {
      if (state.early.has(seq)) return this.options.duplicate(item);
      state.early.set(seq, item);
      this.heldCount++;
      if (state.early.size > this.maxEarly) this.skipGap(state);
      else state.timer ??= this.armGapTimer(state);
    } else if (takeSkipped(state.skipped, seq)) {
      this.lateCount++;
      this.options.deliver(item, true);
    } else {
      this.options.duplicate(item);
    }
  }

  stats(): ReceiveOrderStats {
    return { pairs: this.pairs.size, held: this.heldCount, skipped: this.skippedCount, late: this.lateCount, evictedPairs: this.evictedCount };
  }

  /** Cancels the gap timers; held items are dropped. */
  close(): void {
    for (const state of this.pairs.values()) state.timer?.cancel();
    this.pairs.clear();
    this.lastSender = undefined;
    this.lastTopic = undefined;
    this.lastState = undefined;
    this.heldCount = 0;
  }

  /** The pair's state, made the most recently used; a new pair starts at `start` (see the class). */
  private touch(sender: string, topic: string, start: number): PairState<T> {
    const key = pairKey(sender, topic);
    let state = this.pairs.get(key);
    this.lastSender = sender;
    this.lastTopic = topic;
    if (state) {
      this.lastState = state;
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.pairs.delete(key);
      this.pairs.set(key, state);
      return state;
    }
    state = { next: start, early: new Map(), timer: undefined, skipped: start > 1 ? [[1, start]] : [] };
    this.lastState = state;
    this.pairs.set(key, state);
    if (this.pairs.size > this.maxPairs) this.evictOldest();
    return state;
  }

  private evictOldest(): void {
    const oldest = this.pairs.entries().next().value;
    if (!oldest) return;
    const [key, state] = oldest;
    this.pairs.delete(key);
    this.evictedCount++;
    // Its held items are still owed to the receiver: hand them over, giving up the gaps.
    while (state.early.size > 0) this.skipGap(state);
    state.timer?.cancel();
  }

  /** Delivers the held items that follow next without a gap; re-arms or clears the gap timer. */
  private drain(state: PairState<T>): void {
    while (state.early.has(state.next)) {
      const item = state.early.get(state.next) as T;
      state.early.delete(state.next);
      this.heldCount--;
      state.next++;
      this.options.deliver(item, false);
    }
    state.timer?.cancel();
    state.timer = state.early.size > 0 ? this.armGapTimer(state) : undefined;
  }

  /** Gives up the seqs missing before the lowest held one, then drains. */
  private skipGap(state: PairState<T>): void {
    let lowest = Infinity;
    for (const seq of state.early.keys()) if (seq < lowest) lowest = seq;
    if (lowest === Infinity) return;
    state.skipped.push([state.next, lowest]);
    if (state.skipped.length > this.maxSkippedRanges) state.skipped.shift();
    this.skippedCount += lowest - state.next;
    state.next = lowest;
    this.drain(state);
  }

  private armGapTimer(state: PairState<T>): Timer {
    return this.options.clock.setTimer(this.gapTimeoutMs, () => {
      state.timer = undefined;
      this.skipGap(state);
    });
  }
}

function pairKey(sender: string, topic: string): string {
  return `${sender}\n${topic}`;
}

/** Removes seq from the given-up ranges; true when it was one of them. */
function takeSkipped(ranges: Array<[number, number]>, seq: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    const [from, to] = ranges[i]!;
    if (seq < from || seq >= to) continue;
    const parts: Array<[number, number]> = [];
    if (from < seq) parts.push([from, seq]);
    if (seq + 1 < to) parts.push([seq + 1, to]);
    ranges.splice(i, 1, ...parts);
    return true;
  }
  return false;
}
