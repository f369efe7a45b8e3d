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

export const WINDOW_DEFAULTS = { maxEntries: 16384 } as const;

/** R is the reply; W describes someone waiting for it (where to send it). */
export class ReplyWindow<R, W> {
  private readonly entries = new Map<string, Entry<R, W>>();
  /**
   * Keys in the order their requests began, as a ring: the slot to overwrite next holds the oldest.
   * (Evicting through the Map's own order would make V8 skip a growing run of deleted slots.)
   */
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(options: ReplyWindowOptions = {}) {
    this.ring = new Array<string | undefined>(Math.max(1, options.maxEntries ?? WINDOW_DEFAULTS.maxEntries));
  }

  /** Marks a request as being handled; false when it is already known (a repeat). */
  begin(sender: string, topic: string, seq: number): boolean {
    const key = entryKey(sender, topic, seq);
    if (this.entries.has(key)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.entries.delete(oldest);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
    this.entries.set(key, { reply: undefined, done: false, waiters: [] });
    return true;
  }

  /** A request seen again: its reply, or a place in the queue for it, or nothing known. */
  repeat(sender: string, topic: string, seq: number, waiter: W): Repeat<R> {
    const entry = this.entries.get(entryKey(sender, topic, seq));
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
    const entry = this.entries.get(entryKey(sender, topic, seq));
    if (!entry || entry.done) return [];
    entry.done = true;
    entry.reply = reply;
    const waiters = entry.waiters;
    entry.waiters = [];
    return waiters;
  }

  /** Number of requests remembered. */
  get size(): number {
    return this.entries.size;
  }
}

function entryKey(sender: string, topic: string, seq: number): string {
  return `${sender}\n${topic}\n${seq}`;
}
