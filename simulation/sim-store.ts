// The simulator's ActorStore: the memory store's semantics (revision conflicts, epoch fencing,
// durable reminders, writes applied together on a microtask like a group commit) without its
// copy of every record, and with every write counted per actor kind for the report. Records are
// held by reference: actors hand the store immutable state values (a host's in-memory heartbeat
// stamp is the one field changed in place, and a reload only ever sees it newer). load() copies.
import { StoreConflict, StoreFenced, type ActorStore, type PersistOptions, type Reminder, type StoredRecord } from '../supervision/index.js';
import { err, ok, type Result } from '../transports/errors.js';

/** Writes per actor kind: records persisted or removed, reminders set or deleted. */
export interface WriteCounts {
  records: number;
  reminders: number;
}

const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));

export class SimulationStore implements ActorStore {
  private readonly records = new Map<string, StoredRecord>();
  private readonly epochs = new Map<number, number>();
  private readonly reminderMap = new Map<string, Reminder>();
  private pending: Array<() => void> = [];
  /** Store writes per actor kind since the start (or the last reset). */
  readonly writes = new Map<string, WriteCounts>();
  /** Reminder writes per `kind reminderName` (heartbeats are background work, not a boot's). */
  readonly reminderWrites = new Map<string, number>();

  private count(key: string, reminder: string | undefined): void {
    const kind = kindOf(key);
    let c = this.writes.get(kind);
    if (c === undefined) {
      c = { records: 0, reminders: 0 };
      this.writes.set(kind, c);
    }
    if (reminder === undefined) c.records++;
    else {
      c.reminders++;
      const name = `${kind} ${reminder}`;
      this.reminderWrites.set(name, (this.reminderWrites.get(name) ?? 0) + 1);
    }
  }

  /** Every write counted so far. */
  totalWrites(): number {
    let n = 0;
    for (const c of this.writes.values()) n += c.records + c.reminders;
    return n;
  }

  get size(): number {
    return this.records.size;
  }

  load<S>(key: string): StoredRecord<S> | undefined {
    const record = this.records.get(key);
    return record === undefined ? undefined : (structuredClone(record) as StoredRecord<S>);
  }

  persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> {
    this.count(key, undefined);
    return this.enqueue(() => {
      const current = this.epochs.get(options.shard) ?? 0;
      if (record.epoch < current) return err(StoreFenced(`shard ${options.shard} is at epoch ${current}`, { shard: options.shard, epoch: record.epoch, current }));
      const stored = this.records.get(key)?.revision ?? 0;
      if (stored !== options.expectedRevision) return err(StoreConflict(`${key} is at revision ${stored}, not ${options.expectedRevision}`, { key, stored }));
      this.records.set(key, record);
      return ok(undefined);
    });
  }

  remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>> {
    this.count(key, undefined);
    return this.enqueue(() => {
      const current = this.epochs.get(options.shard) ?? 0;
      if (options.epoch < current) return err(StoreFenced(`shard ${options.shard} is at epoch ${current}`, { shard: options.shard, epoch: options.epoch, current }));
      this.records.delete(key);
      return ok(undefined);
    });
  }

  shardEpoch(shard: number): number {
    return this.epochs.get(shard) ?? 0;
  }

  async acquireShard(shard: number): Promise<number> {
    const epoch = (this.epochs.get(shard) ?? 0) + 1;
    this.epochs.set(shard, epoch);
    return epoch;
  }

  async putReminder(reminder: Reminder): Promise<void> {
    this.count(reminder.key, reminder.name);
    const copy: Reminder = { ...reminder };
    await this.enqueue(() => ok(this.reminderMap.set(`${copy.key}\u0000${copy.name}`, copy)));
  }

  async deleteReminder(key: string, name: string): Promise<void> {
    this.count(key, name);
    await this.enqueue(() => ok(this.reminderMap.delete(`${key}\u0000${name}`)));
  }

  reminders(): Reminder[] {
    return [...this.reminderMap.values()].map((r) => ({ ...r })).sort((a, b) => a.dueAt - b.dueAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.name < b.name ? -1 : 1));
  }

  async flushed(): Promise<void> {
    if (this.pending.length > 0) await this.enqueue(() => ok(undefined));
  }

  async close(): Promise<void> {
    await this.flushed();
  }

  private enqueue<T>(apply: () => Result<T>): Promise<Result<T>> {
    return new Promise((resolve) => {
      if (this.pending.length === 0) queueMicrotask(() => this.commit());
      this.pending.push(() => resolve(apply()));
    });
  }

  private commit(): void {
    const group = this.pending;
    this.pending = [];
    for (const write of group) write();
  }
}
