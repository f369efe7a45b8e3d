// Time, injected. Deadlines, timers, backoff, leases and passivation all read a Clock so that
// the fabric runs on wall time and the simulator and tests on virtual time, with one code path.

/** A scheduled callback; cancel() is idempotent. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual clocks start wherever they are told). */
  now(): number;
  /** Runs fn once after delayMs (clamped to ≥ 0). */
  setTimer(delayMs: number, fn: () => void): Timer;
  /** Resolves after delayMs on this clock. */
  sleep(delayMs: number): Promise<void>;
}

/** Wall time; timers are unref'd so a pending timer never keeps a process alive on its own. */
export class WallClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      // sleep() is awaited by its caller, so this one timer may keep the process alive.
      setTimeout(resolve, Math.max(0, delayMs));
    });
  }
}

export const wallClock: Clock = new WallClock();

interface VirtualTimer {
  at: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Virtual time: nothing moves until advance() is called. Timers due at the same instant fire in
 * the order they were set, so a run is deterministic.
 */
export class VirtualClock implements Clock {
  private current: number;
  private order = 0;
  private readonly heap: VirtualTimer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const timer: VirtualTimer = { at: this.current + Math.max(0, delayMs), order: this.order++, fn, cancelled: false };
    this.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimer(delayMs, resolve);
    });
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  /** The time of the next live timer, or undefined. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Fires the next due timer (moving time to it); false when none is left. */
  step(): boolean {
    this.dropCancelled();
    const timer = this.pop();
    if (!timer) return false;
    this.current = Math.max(this.current, timer.at);
    timer.fn();
    return true;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, synchronously. */
  advance(ms: number): void {
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const at = this.nextAt();
      if (at === undefined || at > target) break;
      this.step();
    }
    this.current = Math.max(this.current, target);
  }

  /**
   * Like advance(), but lets promise continuations and I/O callbacks run after each timer, so
   * async code woken by a timer can set the next one before time moves on.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const at = this.nextAt();
      if (at === undefined || at > target) break;
      this.step();
      await settle();
    }
    this.current = Math.max(this.current, target);
    await settle();
  }

  private dropCancelled(): void {
    while (this.heap[0]?.cancelled) this.pop();
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.order < b.order);
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Lets pending microtasks and already-queued macrotasks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
