// Remembers the replies of recently handled requests per (sender incarnation, topic), so that a
// request arriving again (resent after a reconnect, redelivered by the broker) is answered with the
// reply it already got instead of being handled twice. Bounded twice: replies per pair, and pairs.

export interface ReplyWindowOptions {
  /** Pairs remembered; the least recently used is forgotten first. */
  readonly maxPairs?: number;
  /** Requests remembered per pair; the oldest is forgotten first. */
  readonly perPair?: number;
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

export const WINDOW_DEFAULTS = { maxPairs: 4096, perPair: 128 } as const;

/** R is the reply; W describes someone waiting for it (where to send it). */
export class ReplyWindow<R, W> {
  private readonly pairs = new Map<string, Map<number, Entry<R, W>>>();
  private readonly maxPairs: number;
  private readonly perPair: number;

  constructor(options: ReplyWindowOptions = {}) {
    this.maxPairs = options.maxPairs ?? WINDOW_DEFAULTS.maxPairs;
    this.perPair = options.perPair ?? WINDOW_DEFAULTS.perPair;
  }

  /** Marks a request as being handled. */
  begin(sender: string, topic: string, seq: number): void {
    const entries = this.pair(sender, topic, true);
    entries.set(seq, { reply: undefined, done: false, waiters: [] });
    if (entries.size > this.perPair) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  }

  /** A request seen again: its reply, or a place in the queue for it, or nothing known. */
  repeat(sender: string, topic: string, seq: number, waiter: W): Repeat<R> {
    const entry = this.pair(sender, topic, false)?.get(seq);
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
    const entry = this.pair(sender, topic, false)?.get(seq);
    if (!entry || entry.done) return [];
    entry.done = true;
    entry.reply = reply;
    const waiters = entry.waiters;
    entry.waiters = [];
    return waiters;
  }

  /** Number of requests remembered, over all pairs. */
  size(): number {
    let n = 0;
    for (const entries of this.pairs.values()) n += entries.size;
    return n;
  }

  pairCount(): number {
    return this.pairs.size;
  }

  private pair(sender: string, topic: string, create: true): Map<number, Entry<R, W>>;
  private pair(sender: string, topic: string, create: false): Map<number, Entry<R, W>> | undefined;
  private pair(sender: string, topic: string, create: boolean): Map<number, Entry<R, W>> | undefined {
    const key = `${sender}\n${topic}`;
    let entries = this.pairs.get(key);
    if (entries) {
      this.pairs.delete(key);
      this.pairs.set(key, entries);
      return entries;
    }
    if (!create) return undefined;
    entries = new Map();
    this.pairs.set(key, entries);
    if (this.pairs.size > this.maxPairs) {
      const oldest = this.pairs.keys().next().value;
      if (oldest !== undefined) this.pairs.delete(oldest);
    }
    return entries;
  }
}
