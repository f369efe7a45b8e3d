// The simulator's ActorStore: the memory store (shard epochs, durable reminders, flush and close
// come from it unchanged) with actor records held by reference instead of copied, and every
// write counted per actor kind for the report. Copying a record per write (structuredClone: ~5 µs
// for an empty one, ~60 µs for a host with its claims) would cost more than the simulated
// actors' own work. Actors hand the store their state and change it only in the handler that
// persists it next (a host's claims and heartbeat stamp change in place); load() copies.
import { MemoryStore, StoreConflict, StoreFenced, type EntryChanges, type PersistOptions, type Reminder, type StoredRecord } from '../supervision/index.js';
import { err, ok, type Result } from '../transports/errors.js';

/** Writes per actor kind: records persisted or removed, reminders set or deleted. */
export interface WriteCounts {
  records: number;
  reminders: number;
}

const kindOf = (key: string): string => key.slice(0, key.indexOf('/'));

export class SimulationStore extends MemoryStore {
  private readonly held = new Map<string, StoredRecord>();
  /** Each record's entries by id, held by reference like the records (absent when none). */
  private readonly heldEntries = new Map<string, Map<string, unknown>>();
  /** Record writes waiting for the next group commit (a microtask), applied in call order. */
  private queuedWrites: Array<() => void> = [];
  /** Store writes per actor kind since the start. */
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
    return this.held.size;
  }

  override load<S>(key: string): StoredRecord<S> | undefined {
    const record = this.held.get(key);
    // A copy, as the memory store and LMDB give: the loader may change what it loads.
    return record === undefined ? undefined : (structuredClone(record) as StoredRecord<S>);
  }

  override loadEntries(key: string): Array<[string, unknown]> {
    const entries = this.heldEntries.get(key);
    if (entries === undefined) return [];
    // Sorted by id and copied, as the memory store gives them.
    return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, value]) => [id, structuredClone(value)]);
  }

  override persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> {
    // No input checks: the runtime builds every record the simulated actors write.
    this.count(key, undefined);
    return this.enqueueWrite(() => {
      const current = this.shardEpoch(options.shard);
      if (record.epoch < current) return err(StoreFenced(`shard ${options.shard} is at epoch ${current}; a write under epoch ${record.epoch} is refused`, { shard: options.shard, epoch: record.epoch, current }));
      const stored = this.held.get(key)?.revision ?? 0;
      if (stored !== options.expectedRevision) return err(StoreConflict(`${key} is at revision ${stored}, not ${options.expectedRevision}`, { key, stored }));
      this.held.set(key, record);
      if (options.entries !== undefined) this.applyHeldEntries(key, options.entries);
      return ok(undefined);
    });
  }

  override remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>> {
    this.count(key, undefined);
    return this.enqueueWrite(() => {
      const current = this.shardEpoch(options.shard);
      if (options.epoch < current) return err(StoreFenced(`shard ${options.shard} is at epoch ${current}; a write under epoch ${options.epoch} is refused`, { shard: options.shard, epoch: options.epoch, current }));
      this.held.delete(key);
      this.heldEntries.delete(key);
      return ok(undefined);
    });
  }

  override putReminder(reminder: Reminder): Promise<void> {
    this.count(reminder.key, reminder.name);
    return super.putReminder(reminder);
  }

  override deleteReminder(key: string, name: string): Promise<void> {
    this.count(key, name);
    return super.deleteReminder(key, name);
  }

  override async flushed(): Promise<void> {
    await super.flushed();
    if (this.queuedWrites.length > 0) await this.enqueueWrite(() => ok(undefined));
  }

  private applyHeldEntries(key: string, changes: EntryChanges): void {
    let entries = this.heldEntries.get(key);
    if (entries === undefined) {
      entries = new Map();
      this.heldEntries.set(key, entries);
    }
    for (const [id, value] of changes.put ?? []) entries.set(id, value);
    for (const id of changes.remove ?? []) entries.delete(id);
    if (entries.size === 0) this.heldEntries.delete(key);
  }

  private enqueueWrite<T>(apply: () => Result<T>): Promise<Result<T>> {
    return new Promise((resolve) => {
      if (this.queuedWrites.length === 0) queueMicrotask(() => this.commitWrites());
      this.queuedWrites.push(() => resolve(apply()));
    });
  }

  private commitWrites(): void {
    const group = this.queuedWrites;
    this.queuedWrites = [];
    for (const write of group) write();
  }
}

