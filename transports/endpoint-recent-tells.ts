// The one-way messages an endpoint sent through the broker lately, kept so that they can be sent
// again after a reconnect. A broker acknowledges a QoS 1 publish when it has it, not when the
// receiver does: a restart loses what it had not delivered yet, and publishes released before the
// receiver re-subscribed go nowhere. Asks are resent until answered; tells have no answer, so the
// sender resends its recent ones and the receiver's order drops the repeats (sequencer.ts).

/** A tell as it went out: its topic and its encoded bytes (never written to again). */
export interface SentTell {
  readonly topic: string;
  readonly bytes: Uint8Array;
}

/**
 * Tells sent in the last `keepMs`, oldest first, in parallel arrays with a moving head (no object
 * per tell beyond the arrays' slots). While held (the link is down or recovering), nothing is
 * dropped by age, so every tell from `keepMs` before the outage to its end can be resent. Never
 * more than `maxKept` either (a virtual clock may stand still while thousands are sent): beyond
 * that the oldest go first, and an outage that long loses them as it did before.
 */
export class RecentTells {
  private topics: string[] = [];
  private payloads: Uint8Array[] = [];
  private times: number[] = [];
  private head = 0;
  private held = false;

  constructor(
    private readonly keepMs: number,
    private readonly maxKept = DEFAULT_MAX_KEPT,
  ) {}

  add(topic: string, bytes: Uint8Array, now: number): void {
    this.topics.push(topic);
    this.payloads.push(bytes);
    this.times.push(now);
    if (!this.held) this.forgetBefore(now - this.keepMs);
    if (this.size > this.maxKept) this.forgetUpTo(this.times.length - this.maxKept);
  }

  /** Keeps everything from now on, until release(). */
  hold(): void {
    this.held = true;
  }

  release(now: number): void {
    this.held = false;
    this.forgetBefore(now - this.keepMs);
  }

  /** The tells sent at or after a time, oldest first. */
  since(time: number): SentTell[] {
    const found: SentTell[] = [];
    for (let i = this.head; i < this.times.length; i++) {
      if (this.times[i]! >= time) found.push({ topic: this.topics[i]!, bytes: this.payloads[i]! });
    }
    return found;
  }

  get size(): number {
    return this.times.length - this.head;
  }

  private forgetBefore(time: number): void {
    const times = this.times;
    let head = this.head;
    while (head < times.length && times[head]! < time) head++;
    this.forgetUpTo(head);
  }

  /** Forgets the tells before index `head`. */
  private forgetUpTo(head: number): void {
    const times = this.times;
    if (head <= this.head) return;
    // The arrays are cut down once the forgotten part is most of them: amortized O(1) per tell.
    if (head >= 1024 && head * 2 >= times.length) {
      this.topics = this.topics.slice(head);
      this.payloads = this.payloads.slice(head);
      this.times = times.slice(head);
      head = 0;
    } else {
      // Let the garbage collector have the forgotten bytes now.
      for (let i = this.head; i < head; i++) this.payloads[i] = EMPTY;
    }
    this.head = head;
  }
}

const EMPTY = new Uint8Array(0);
const DEFAULT_MAX_KEPT = 10_000;
