// Deadlines of every pending ask, in one indexed min-heap with one Clock timer armed at the
// earliest deadline. A per-ask timer would cost a timer allocation and cancellation per message;
// here a reply removes its envelope in O(log n) and the timer is only re-armed when an earlier
// deadline arrives or when it fires.
import type { Clock, Timer } from '../transports/clock.js';
import { err } from '../transports/errors.js';
import type { Envelope } from './envelope.js';
import { IndexedHeap } from './indexed-heap.js';

export class DeadlineQueue {
  private readonly heap = new IndexedHeap<Envelope>((env) => env.deadline);
  private timer: Timer | undefined;
  private armedAt = Infinity;
  private readonly onTimer = (): void => this.expire();

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.heap.size;
  }

  add(env: Envelope): void {
    this.heap.push(env);
    if (env.deadline < this.armedAt) this.arm(env.deadline);
  }

  remove(env: Envelope): void {
    this.heap.remove(env);
  }

  /** Disarms the timer and hands every pending envelope to `settle` (system stop). */
  clear(settle: (env: Envelope) => void): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAt = Infinity;
    for (const env of this.heap.drain()) settle(env);
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.armedAt = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), this.onTimer);
  }

  private expire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    for (let env = this.heap.peek(); env !== undefined && env.deadline <= now; env = this.heap.peek()) {
      this.heap.remove(env);
      const resolve = env.resolve;
      env.resolve = undefined;
      env.expired = true;
      resolve?.(err(env.timeoutError()));
    }
    const next = this.heap.peek();
    if (next !== undefined) this.arm(next.deadline);
  }
}
