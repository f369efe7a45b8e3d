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
  readonly timer: Timer;
}

export class PendingRequests<M> {
  private readonly slots = new Map<string, Slot<M>>();
  private timeouts = 0;

  constructor(private readonly clock: Clock) {}

  /** Registers a request before it is sent; the promise settles once, with its reply or TIMEOUT. */
  add(corr: string, message: M, deadline: number): Promise<Result<unknown>> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(deadline - this.clock.now(), () => {
        if (!this.slots.delete(corr)) return;
        this.timeouts++;
        resolve(err(Timeout(`no reply before the deadline (${deadline})`, { corr })));
      });
      this.slots.set(corr, { corr, message, deadline, sentAt: this.clock.now(), resent: 0, resolve, timer });
    });
  }

  /** Settles a request with its reply; false when unknown (already settled, or not ours). */
  settle(corr: string, result: Result<unknown>): boolean {
    const slot = this.slots.get(corr);
    if (!slot) return false;
    this.slots.delete(corr);
    slot.timer.cancel();
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
    this.slots.clear();
    for (const slot of slots) {
      slot.timer.cancel();
      slot.resolve(err(error));
    }
  }

  get size(): number {
    return this.slots.size;
  }

  /** Requests that reached their deadline without a reply. */
  get timedOut(): number {
    return this.timeouts;
  }
}
