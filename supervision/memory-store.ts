// An in-memory ActorStore with the LMDB store's semantics, for tests and the simulator: the same
// input checks, fencing, revision conflicts and reminders; writes are queued and applied together
// on a microtask (like a group commit), so a persist is never visible or resolved synchronously.
import { err, FabricError, ok } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import type { ActorStore, EntryChanges, PersistOptions, Reminder, StoredRecord } from './store.js';
import {
  checkKey,
  checkOwner,
  checkPersist,
  checkReminder,
  checkReminderId,
  checkRemove,
  checkShard,
  compareReminders,
  StoreBadInput,
  StoreClosed,
  StoreConflict,
  StoreFenced,
} from './store-errors.js';

/** A write waiting for the next group commit; it applies itself and settles its caller. */
type PendingWrite = () => void;

export class MemoryStore implements ActorStore {
  private readonly records = new Map<string, StoredRecord>();
  /** Each record's entries by id (absent when it has none). */
  private readonly entryMaps = new Map<string, Map<string, unknown>>();
  private readonly epochs = new Map<number, { readonly epoch: number; readonly owner: string }>();
  /** Reminders by `key\u0000name` (NUL cannot occur in either). */
  private readonly reminderMap = new Map<string, Reminder>();
  private pending: PendingWrite[] = [];
  private closed = false;

  load<S>(key: string): StoredRecord<S> | undefined {
    this.throwIfUnusable(checkKey(key));
    const record = this.records.get(key);
    // A copy, as LMDB decodes a fresh object: callers may mutate what they load.
    return record === undefined ? undefined : (structuredClone(record) as StoredRecord<S>);
  }

  persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkPersist(key, record, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    let copy: StoredRecord;
    let changes: EntryChanges | undefined;
    try {
      copy = structuredClone(record);
      changes = options.entries === undefined ? undefined : structuredClone(options.entries);
    } catch (caught) {
      return Promise.resolve(err(StoreBadInput(`record.state cannot be stored: ${String(caught)}`)));
    }
    return this.enqueue(() => {
      const fenced = this.fencedError(options.shard, record.epoch);
      if (fenced !== undefined) return err(fenced);
      const stored = this.records.get(key)?.revision ?? 0;
      if (stored !== options.expectedRevision) {
        return err(StoreConflict(`${key} is at revision ${stored}, not ${options.expectedRevision}`, { key, stored }));
      }
      this.records.set(key, copy);
      if (changes !== undefined) this.applyEntries(key, changes);
      return ok(undefined);
    });
  }

  loadEntries(key: string): Array<[string, unknown]> {
    this.throwIfUnusable(checkKey(key));
    const entries = this.entryMaps.get(key);
    if (entries === undefined) return [];
    return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, value]) => [id, structuredClone(value)]);
  }

  private applyEntries(key: string, changes: EntryChanges): void {
    let entries = this.entryMaps.get(key);
    if (entries === undefined) {
      entries = new Map();
      this.entryMaps.set(key, entries);
    }
    for (const [id, value] of changes.put ?? []) entries.set(id, value);
    for (const id of changes.remove ?? []) entries.delete(id);
    if (entries.size === 0) this.entryMaps.delete(key);
  }

  remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkRemove(key, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    return this.enqueue(() => {
      const fenced = this.fencedError(options.shard, options.epoch);
      if (fenced !== undefined) return err(fenced);
      this.records.delete(key);
      this.entryMaps.delete(key);
      return ok(undefined);
    });
  }

  shardEpoch(shard: number): number {
    this.throwIfUnusable(checkShard(shard));
    return this.epochs.get(shard)?.epoch ?? 0;
  }

  async acquireShard(shard: number, owner: string): Promise<number> {
    this.throwIfUnusable(checkShard(shard) ?? checkOwner(owner));
    return this.unwrap(
      await this.enqueue(() => {
        const epoch = (this.epochs.get(shard)?.epoch ?? 0) + 1;
        this.epochs.set(shard, { epoch, owner });
        return ok(epoch);
      }),
    );
  }

  async putReminder(reminder: Reminder): Promise<void> {
    this.throwIfUnusable(checkReminder(reminder));
    const copy: Reminder = { ...reminder };
    this.unwrap(
      await this.enqueue(() => {
        this.reminderMap.set(`${copy.key}\u0000${copy.name}`, copy);
        return ok(undefined);
      }),
    );
  }

  async deleteReminder(key: string, name: string): Promise<void> {
    this.throwIfUnusable(checkReminderId(key, name));
    this.unwrap(
      await this.enqueue(() => {
        this.reminderMap.delete(`${key}\u0000${name}`);
        return ok(undefined);
      }),
    );
  }

  reminders(): Reminder[] {
    this.throwIfUnusable(undefined);
    return [...this.reminderMap.values()].map((r) => ({ ...r })).sort(compareReminders);
  }

  async flushed(): Promise<void> {
    if (this.pending.length > 0) await this.enqueue(() => ok(undefined));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushed();
    this.closed = true;
  }

  private fencedError(shard: number, epoch: number): ErrorValue | undefined {
    const current = this.epochs.get(shard)?.epoch ?? 0;
    if (epoch >= current) return undefined;
    return StoreFenced(`shard ${shard} is at epoch ${current}; a write under epoch ${epoch} is refused`, { shard, epoch, current });
  }

  /** Queues a write for the next microtask's group; all queued writes apply in call order. */
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

  private closedError(): ErrorValue | undefined {
    return this.closed ? StoreClosed('the store is closed') : undefined;
  }

  private throwIfUnusable(invalid: ErrorValue | undefined): void {
    const error = this.closedError() ?? invalid;
    if (error !== undefined) throw new FabricError(error);
  }

  private unwrap<T>(result: Result<T>): T {
    if (!result.ok) throw new FabricError(result.error);
    return result.value;
  }
}

/** An empty in-memory store. */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
