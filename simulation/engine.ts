// The discrete-event engine: one VirtualClock orders every event — the simulator's own (arrivals,
// departures, faults, samples) and the actors' (timers, reminders, ask deadlines, boots) — and
// after each one the engine lets the actors' work run to quiescence before time moves on. Actor
// work is promises and nact's setImmediate turns, with no I/O: the run is deterministic.
import { settle, VirtualClock, type Timer } from '../transports/clock.js';

/** Immediates queued and not yet run (nact runs each message in one). */
function pendingImmediates(): number {
  let n = 0;
  for (const r of process.getActiveResourcesInfo()) if (r === 'Immediate') n++;
  return n;
}

/**
 * Resolves once no actor work is left: no queued immediate after ours, and (since microtasks
 * run before every immediate) no microtask either. Nothing here reads the wall clock.
 */
export async function quiesce(): Promise<void> {
  do await settle();
  while (pendingImmediates() > 0);
}

export interface RunProgress {
  /** Virtual ms since the start. */
  readonly now: number;
  readonly events: number;
}

export class EventEngine {
  readonly clock: VirtualClock;
  /** Events processed (clock timers fired, the actors' included). */
  events = 0;

  constructor(
    /** Virtual epoch of the run: reports count time from here. */
    readonly start: number,
  ) {
    this.clock = new VirtualClock(start);
  }

  /** Virtual ms since the start. */
  now(): number {
    return this.clock.now() - this.start;
  }

  /** Runs fn at `t` ms after the start (or now, if that is past). */
  at(t: number, fn: () => void): Timer {
    return this.clock.setTimer(this.start + t - this.clock.now(), fn);
  }

  after(delay: number, fn: () => void): Timer {
    return this.clock.setTimer(delay, fn);
  }

  /**
   * Fires events in time order up to `until` (ms after the start), each followed by
   * quiescence; `onProgress` is called every `every` events (for a progress bar).
   */
  async run(until: number, onProgress?: (p: RunProgress) => void, every = 4096): Promise<void> {
    const end = this.start + until;
    await quiesce();
    for (;;) {
      const at = this.clock.nextAt();
      if (at === undefined || at > end) break;
      this.clock.step();
      this.events++;
      await quiesce();
      if (onProgress !== undefined && this.events % every === 0) onProgress({ now: this.now(), events: this.events });
    }
    this.clock.advanceTo(end);
    await quiesce();
  }
}

/**
 * The benchmark's anchor: the same engine loop (clock step, quiescence) over `count` events
 * that do nothing but schedule the next, with as many timers pending as the run had live VMs.
 */
export async function bareEventLoop(count: number, pending: number, random: () => number): Promise<void> {
  const engine = new EventEngine(0);
  let fired = 0;
  const fire = (): void => {
    fired++;
    engine.after(-1000 * Math.log(1 - random()), fire);
  };
  for (let i = 0; i < Math.max(1, pending); i++) engine.after(-1000 * Math.log(1 - random()), fire);
  while (fired < count) {
    engine.clock.step();
    await quiesce();
  }
}
