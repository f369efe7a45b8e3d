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

interface Entry<R, W> {
  reply: R | undefined;
  done: boolean;
  waiters: W[];
}

/** The requests remembered of one (sender incarnation, topic), by seq. */
interface Pair<R, W> {
  readonly key: string;
  readonly bySeq: Map<number, Entry<R, W>>;
}

export const WINDOW_DEFAULTS = { maxEntries: 16384 } as const;

/** R is the reply; W describes someone waiting for it (where to send it). */
export class ReplyWindow<R, W> {
  private readonly pairs = new Map<string, Pair<R, W>>();
  /**
   * Entries in the order their requests began, as a ring: the slot to overwrite next holds the
   * oldest. (Evicting through a Map's own order would make V8 skip a growing run of deleted slots.)
   */
  private readonly ringPairs: Array<Pair<R, W> | undefined>;
  private readonly ringSeqs: number[];
  private next = 0;
  private count = 0;
  /** The pair of the previous call: consecutive requests mostly come from one sender and topic. */
  private last: { sender: string; topic: string; pair: Pair<R, W> } | undefined;

  constructor(options: ReplyWindowOptions = {}) {
    const size = Math.max(1, options.maxEntries ?? WINDOW_DEFAULTS.maxEntries);
    this.ringPairs = new Array<Pair<R, W> | undefined>(size);
    this.ringSeqs = new Array<number>(size).fill(0);
  }

  /** Marks a request as being handled; false when it is already known (a repeat). */
  begin(sender: string, topic: string, seq: number): boolean {
    const pair = this.pair(sender, topic, true);
    if (pair.bySeq.has(seq)) return false;
    const oldest = this.ringPairs[this.next];
    if (oldest !== undefined) this.forget(oldest, this.ringSeqs[this.next]!);
    this.ringPairs[this.next] = pair;
    this.ringSeqs[this.next] = seq;
    this.next = (this.next + 1) % this.ringPairs.length;
    pair.bySeq.set(seq, { reply: undefined, done: false, waiters: [] });
    this.count++;
    return true;
  }

  /** A request seen again: its reply, or a place in the queue for it, or nothing known. */
  repeat(sender: string, topic: string, seq: number, waiter: W): Repeat<R> {
    const entry = this.pair(sender, topic, false)?.bySeq.get(seq);
    if (!entry) return { kind: 'forgotten' };
    if (entry.done) return { kind: 'answered', reply: entry.reply as R };
    entry.waiters.push(waiter);
    return { kind: 'waiting' };
  }

  /**
   * Records the reply of a request; returns the waiters that asked again meanwhile (to be answered
   * with it). A reply for a forgotten request is not stored.
   */
  complete(sender: string, topic: string, seq: number, reply: R): W[] {
    const entry = this.pair(sender, topic, false)?.bySeq.get(seq);
    if (!entry || entry.done) return [];
    entry.done = true;
    entry.reply = reply;
    const waiters = entry.waiters;
    entry.waiters = [];
    return waiters;
  }

  /** Number of requests remembered. */
  get size(): number {
    return this.count;
  }

  private pair(sender: string, topic: string, create: true): Pair<R, W>;
  private pair(sender: string, topic: string, create: false): Pair<R, W> | undefined;
  private pair(sender: string, topic: string, create: boolean): Pair<R, W> | undefined {
    const last = this.last;
    if (last !== undefined && last.sender === sender && last.topic === topic) return last.pair;
    const key = `${sender}\n${topic}`;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      if (!create) return undefined;
      pair = { key, bySeq: new Map() };
      this.pairs.set(key, pair);
    }
    this.last = { sender, topic, pair };
    return pair;
  }

  private forget(pair: Pair<R, W>, seq: number): void {
    if (!pair.bySeq.delete(seq)) return;
    this.count--;
    if (pair.bySeq.size > 0) return;
    this.pairs.delete(pair.key);
    if (this.last?.pair === pair) this.last = undefined;
  }
}
