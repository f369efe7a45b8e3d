// The asker's table of requests awaiting their reply, by correlation id. Each request settles
// exactly once: by its reply, at its deadline (a timer on the Clock), or when the endpoint closes;
// until then it stays listed so that it can be sent again after a reconnect.
import type { Clock, Timer } from './clock.js';
import { Timeout, err, type ErrorValue, type Result } from './errors.js';

/** M is what is sent again on retransmission (the envelope and its topic). */
export interface PendingRequest<M> {
  readonly corr: string;
  readonly message: M;
  readonly deadline: number;
  /** When it was last sent (first send or retransmission), on the endpoint's clock. */
  sentAt: number;
  /** How often it was sent again. */
  resent: number;
}

interface Slot<M> extends PendingRequest<M> {
  readonly resolve: (result: Result<unknown>) => void;
  /** Its own deadline timer; undefined for a request in the ordered lane (see PendingRequests). */
  readonly timer: Timer | undefined;
}

/**
 * Deadlines mostly come in the order the requests do (now + the same timeout), so they share one
 * timer: requests whose deadline is no earlier than every deadline before them join the ordered
 * lane, listed in insertion order (the Map's), and one timer stands at the first one's deadline;
 * when it fires, it times out the lane's due requests from the front and moves on to the next.
 * A request with an earlier deadline than the lane's last gets a timer of its own. Either way each
 * times out at its deadline exactly, and an ask costs no timer to set and cancel.
 */
export class PendingRequests<M> {
  private readonly slots = new Map<string, Slot<M>>();
  private timeouts = 0;
  /** Requests in the lane, its last deadline, and the timer at its first pending deadline. */
  private laneSize = 0;
  private laneLast = -Infinity;
  private laneTimer: Timer | undefined;

  constructor(private readonly clock: Clock) {}

  /** Registers a request before it is sent; the promise settles once, with its reply or TIMEOUT. */
  add(corr: string, message: M, deadline: number): Promise<Result<unknown>> {
    return new Promise((resolve) => {
      const now = this.clock.now();
      let timer: Timer | undefined;
      if (deadline >= this.laneLast) {
        this.laneLast = deadline;
        this.laneSize++;
        this.laneTimer ??= this.clock.setTimer(deadline - now, () => this.laneDue());
      } else {
        timer = this.clock.setTimer(deadline - now, () => {
          const slot = this.slots.get(corr);
          if (slot !== undefined) this.expire(slot);
        });
      }
      this.slots.set(corr, { corr, message, deadline, sentAt: now, resent: 0, resolve, timer });
    });
  }

  /** Settles a request with its reply; false when unknown (already settled, or not ours). */
  settle(corr: string, result: Result<unknown>): boolean {
    const slot = this.slots.get(corr);
    if (!slot) return false;
    this.remove(slot);
    slot.resolve(result);
    return true;
  }

  /** Requests last sent at or before a time (all of them with no argument), oldest first. */
  sentBefore(time = Infinity): Array<PendingRequest<M>> {
    const found: Array<PendingRequest<M>> = [];
    for (const slot of this.slots.values()) if (slot.sentAt <= time) found.push(slot);
    return found;
  }

  /** Notes a retransmission. */
  markResent(request: PendingRequest<M>): void {
    request.sentAt = this.clock.now();
    request.resent++;
  }

  /** Settles every request with an error (the endpoint is closing). */
  failAll(error: ErrorValue): void {
    const slots = [...this.slots.values()];
    for (const slot of slots) this.remove(slot);
    for (const slot of slots) slot.resolve(err(error));
  }

  get size(): number {
    return this.slots.size;
  }

  /** Requests that reached their deadline without a reply. */
  get timedOut(): number {
    return this.timeouts;
  }

  private remove(slot: Slot<M>): void {
    this.slots.delete(slot.corr);
    if (slot.timer !== undefined) {
      slot.timer.cancel();
      return;
    }
    if (--this.laneSize > 0) return;
    // An empty lane leaves no timer behind, and starts again from any deadline.
    this.laneTimer?.cancel();
    this.laneTimer = undefined;
    this.laneLast = -Infinity;
  }

  private expire(slot: Slot<M>): void {
    this.remove(slot);
    this.timeouts++;
    slot.resolve(err(Timeout(`no reply before the deadline (${slot.deadline})`, { corr: slot.corr })));
  }

  /** The lane's timer: times out its due requests, oldest first, and stands at the next deadline. */
  private laneDue(): void {
    this.laneTimer = undefined;
    const now = this.clock.now();
    const due: Array<Slot<M>> = [];
    let next: number | undefined;
    for (const slot of this.slots.values()) {
      if (slot.timer !== undefined) continue;
      if (slot.deadline > now) {
        next = slot.deadline;
        break;
      }
      due.push(slot);
    }
    for (const slot of due) this.expire(slot);
    if (next !== undefined && this.laneSize > 0) this.laneTimer ??= this.clock.setTimer(next - now, () => this.laneDue());
  }
}
