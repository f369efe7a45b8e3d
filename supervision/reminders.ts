// Durable reminders (Orleans' sense), scheduled by one Clock timer armed at the earliest due
// reminder. The store is the truth (reminders survive process restarts); this index is loaded
// from it at start and kept in step by set/cancel. Reminders of kinds not served here are parked
// until their kind is registered.
import type { Clock, Timer } from '../transports/clock.js';
import { IndexedHeap } from './indexed-heap.js';
import type { ActorStore, Reminder } from './store.js';

/** What firing did: served (ok or failed), or the kind is not served in this process. */
export type FireOutcome = 'done' | 'failed' | 'unserved';

interface Entry {
  readonly reminder: Reminder;
  heapIndex: number;
}

const idOf = (key: string, name: string): string => `${key}\u0000${name}`;
const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));

export class ReminderScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly parked = new Map<string, Entry[]>();
  private readonly heap = new IndexedHeap<Entry>((e) => e.reminder.dueAt);
  private timer: Timer | undefined;
  private armedAt = Infinity;
  private stopped = false;
  /** While held, reminders are indexed but none fires (see release()). */
  private held = false;

  constructor(
    private readonly clock: Clock,
    private readonly store: ActorStore,
    private readonly fire: (reminder: Reminder) => Promise<FireOutcome>,
    /** Delay before a failed one-shot reminder is tried again. */
    private readonly retryMs: number,
    private readonly onError: (reminder: Reminder, error: unknown) => void,
  ) {}

  /**
   * Indexes every reminder in the store (call once, at start). With `hold`, none fires until
   * release(): a node must own its shards before the actors its reminders wake can write.
   */
  load(hold = false): void {
    this.held = hold;
    for (const reminder of this.store.reminders()) this.index(reminder);
  }

  /**
   * Lets held reminders fire. Those of `wakeKinds` are made due now, whenever they were due: a
   * restart is itself a reason for such actors (unfinished workflows) to look at their work.
   */
  release(wakeKinds: readonly string[] = []): void {
    if (!this.held) return;
    this.held = false;
    const now = this.clock.now();
    for (const entry of [...this.entries.values()]) {
      if (entry.reminder.dueAt <= now || !wakeKinds.includes(kindOf(entry.reminder.key))) continue;
      this.heap.remove(entry);
      const woken: Entry = { reminder: { ...entry.reminder, dueAt: now }, heapIndex: -1 };
      this.entries.set(idOf(entry.reminder.key, entry.reminder.name), woken);
      this.heap.push(woken);
    }
    const next = this.heap.peek();
    if (next !== undefined) this.arm(next.reminder.dueAt);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Sets (or replaces) a reminder; resolves when it is durable. */
  set(reminder: Reminder): Promise<void> {
    this.index(reminder);
    return this.store.putReminder(reminder);
  }

  cancel(key: string, name: string): Promise<void> {
    const entry = this.entries.get(idOf(key, name));
    if (entry !== undefined) {
      this.entries.delete(idOf(key, name));
      this.heap.remove(entry);
    }
    return this.store.deleteReminder(key, name);
  }

  /** A kind became served: its parked reminders are scheduled again. */
  unpark(kind: string): void {
    const parked = this.parked.get(kind);
    if (parked === undefined) return;
    this.parked.delete(kind);
    for (const entry of parked) if (this.entries.get(idOf(entry.reminder.key, entry.reminder.name)) === entry) this.push(entry);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private index(reminder: Reminder): void {
    const id = idOf(reminder.key, reminder.name);
    const old = this.entries.get(id);
    if (old !== undefined) this.heap.remove(old);
    const entry: Entry = { reminder, heapIndex: -1 };
    this.entries.set(id, entry);
    this.push(entry);
  }

  private push(entry: Entry): void {
    this.heap.push(entry);
    if (entry.reminder.dueAt < this.armedAt) this.arm(entry.reminder.dueAt);
  }

  private arm(at: number): void {
    if (this.stopped || this.held) return;
    this.timer?.cancel();
    this.armedAt = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), () => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    for (let entry = this.heap.peek(); entry !== undefined && entry.reminder.dueAt <= now; entry = this.heap.peek()) {
      this.heap.remove(entry);
      void this.fireOne(entry, now); // settles on its own; failures go to onError
    }
    const next = this.heap.peek();
    if (next !== undefined) this.arm(next.reminder.dueAt);
  }

  private async fireOne(entry: Entry, now: number): Promise<void> {
    const r = entry.reminder;
    try {
      const outcome = await this.fire(r);
      // Replaced or cancelled while it ran (often by the actor itself): the new one stands.
      if (this.stopped || this.entries.get(idOf(r.key, r.name)) !== entry) return;
      if (outcome === 'unserved') {
        const kind = kindOf(r.key);
        this.parked.set(kind, [...(this.parked.get(kind) ?? []), entry]);
      } else if (r.periodMs !== undefined) {
        const periods = Math.floor((Math.max(now, r.dueAt) - r.dueAt) / r.periodMs) + 1;
        await this.set({ ...r, dueAt: r.dueAt + periods * r.periodMs });
      } else if (outcome === 'failed') {
        await this.set({ ...r, dueAt: this.clock.now() + this.retryMs });
      } else {
        this.entries.delete(idOf(r.key, r.name));
        await this.store.deleteReminder(r.key, r.name);
      }
    } catch (caught) {
      this.onError(r, caught);
    }
  }
}
