// The durable ActorStore on lmdb-js: one LMDB environment with four sub-databases (records,
// their entries keyed [record key, entry id], shard epochs, reminders); a record's revision and a shard's epoch are their entries' LMDB
// versions. Writes (persist, remove, acquireShard) queue up and are applied together by one
// asynchronous lmdb-js transaction: its callback checks each write's fence and revision and
// writes it, all under LMDB's write lock, then one commit acknowledges the whole group.
// (Per-write conditional puts, lmdb-js' other way, measured 1.5-2x this CPU, in promises and GC.)
//
// Durability: a write resolves when its group's transaction has committed. The committed pages are then in
// the OS page cache, which a killed process (kill -9) cannot lose; with the default
// overlappingSync the fsync follows the commit and `flushed()` resolves once it is done, which is
// what survives a power loss. We keep lmdb-js's safe defaults (sync on, no noSync/useWritemap).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase, RootDatabaseOptionsWithPath } from 'lmdb';
import { err, FabricError, ok, toErrorValue } from '../transports/errors.js';
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
  StoreIo,
} from './store-errors.js';

export interface LmdbStoreOptions {
  /** The data directory; created if missing. */
  readonly path: string;
  /** The environment's file name in the directory (`<name>.mdb`); default 'cumulo'. */
  readonly name?: string;
}

/** What a shard's epoch entry holds; the epoch itself is the entry's LMDB version. */
interface EpochEntry {
  readonly owner: string;
}

/**
 * lmdb-js's putSync as implemented (inside a write transaction): a `null` condition asks that
 * the entry not exist; it answers whether the put happened.
 */
type PutSyncIfVersion<K, V> = (key: K, value: V, version: number, ifVersion?: number | null) => boolean;

const STORE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const OK: Result<void> = Object.freeze(ok(undefined));

/** Object keys that name fields (`status`, `ramMb`), as opposed to ids used as keys. */
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,31}$/;

/**
 * How records are encoded: lmdb-js' msgpackr with structures (the key lists of objects) shared
 * in the database, so a record carries only its values. Only field-name shapes are shared: maps
 * keyed by ids (the dedup marks' sender incarnations) would each take one of the few shared
 * slots and a synchronous write to save it; they are encoded inline instead. Exported so the
 * benchmark's raw anchor encodes exactly alike.
 */
export const RECORD_ENCODING = {
  sharedStructuresKey: Symbol.for('cumulo.structures'),
  shouldShareStructure: (keys: readonly string[]): boolean => keys.every((k) => FIELD_NAME.test(k)),
} as const;

type ReminderKey = [key: string, name: string];
type EntryKey = [key: string, id: string];

/** The range of one record's entries: ids are non-empty and NUL-free. */
const entryRange = (key: string): { start: EntryKey; end: [string] } => ({ start: [key, ''], end: [`${key}\u0000`] });

/** A write waiting for the next group transaction; `outcome` is set when the group runs. */
type QueuedWrite =
  | {
      readonly type: 'persist';
      readonly key: string;
      readonly record: StoredRecord;
      readonly shard: number;
      readonly expectedRevision: number;
      readonly entries: EntryChanges | undefined;
      readonly settle: (result: Result<void>) => void;
      outcome: Result<void>;
    }
  | {
      readonly type: 'remove';
      readonly key: string;
      readonly shard: number;
      readonly epoch: number;
      readonly settle: (result: Result<void>) => void;
      outcome: Result<void>;
    }
  | {
      readonly type: 'acquire';
      readonly shard: number;
      readonly owner: string;
      readonly settle: (result: Result<number>) => void;
      outcome: Result<number>;
    };

/** After the group's commit: every write learns its outcome. */
function settleGroup(group: readonly QueuedWrite[]): void {
  for (const write of group) settleOne(write, write.outcome);
}

function settleOne(write: QueuedWrite, outcome: Result<unknown>): void {
  // Each write's outcome was computed for its own type; the union cannot say so.
  (write.settle as (result: Result<unknown>) => void)(outcome);
}

export class LmdbStore implements ActorStore {
  private readonly putRecord: PutSyncIfVersion<string, StoredRecord>;
  private queue: QueuedWrite[] = [];
  /** A group transaction was asked for and has not yet taken the queue. */
  private groupAsked = false;
  /** Settles once the latest group's writes know their outcome (after its commit). */
  private lastGroup: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly env: RootDatabase,
    private readonly records: Database<StoredRecord, string>,
    private readonly epochs: Database<EpochEntry, number>,
    private readonly reminderDb: Database<Reminder, ReminderKey>,
    private readonly entryDb: Database<unknown, EntryKey>,
  ) {
    this.putRecord = (records.putSync as unknown as PutSyncIfVersion<string, StoredRecord>).bind(records);
  }

  static open(options: LmdbStoreOptions): LmdbStore {
    mkdirSync(options.path, { recursive: true });
    // safeRestore stays off whatever LMDB_RESTORE says: after a process crash (same boot), the
    // last committed transaction is the one to use, since its writes were acknowledged.
    const envOptions: RootDatabaseOptionsWithPath & { readonly safeRestore: boolean } = {
      path: join(options.path, `${options.name ?? 'cumulo'}.mdb`),
      maxDbs: 5,
      safeRestore: false, // an lmdb-js option its typings omit
    };
    const env = open(envOptions);
    const records = env.openDB<StoredRecord, string>({ name: 'records', useVersions: true, ...RECORD_ENCODING });
    const epochs = env.openDB<EpochEntry, number>({ name: 'epochs', useVersions: true, keyEncoding: 'uint32' });
    const reminders = env.openDB<Reminder, ReminderKey>({ name: 'reminders' });
    const entries = env.openDB<unknown, EntryKey>({ name: 'entries', ...RECORD_ENCODING });
    return new LmdbStore(env, records, epochs, reminders, entries);
  }

  /** Renews the read snapshot first (under a microsecond), so another process's commit shows. */
  load<S>(key: string): StoredRecord<S> | undefined {
    this.throwIfUnusable(checkKey(key));
    this.freshSnapshot();
    return this.records.get(key) as StoredRecord<S> | undefined;
  }

  /** Reads the snapshot the last load() renewed, so a record and its entries agree. */
  loadEntries(key: string): Array<[string, unknown]> {
    this.throwIfUnusable(checkKey(key));
    return Array.from(this.entryDb.getRange(entryRange(key)), ({ key: k, value }) => [k[1], value]);
  }

  persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkPersist(key, record, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    const { shard, expectedRevision, entries } = options;
    return new Promise((settle) => this.enqueue({ type: 'persist', key, record, shard, expectedRevision, entries, settle, outcome: OK }));
  }

  remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkRemove(key, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    const { shard, epoch } = options;
    return new Promise((settle) => this.enqueue({ type: 'remove', key, shard, epoch, settle, outcome: OK }));
  }

  /**
   * Read from the current snapshot without renewing it: callers ask on every persist, and the
   * fence is checked in the write transaction anyway. The snapshot follows this store's own
   * commits at once and other processes' by the next event-loop turn.
   */
  shardEpoch(shard: number): number {
    this.throwIfUnusable(checkShard(shard));
    return this.readEpoch(shard);
  }

  async acquireShard(shard: number, owner: string): Promise<number> {
    this.throwIfUnusable(checkShard(shard) ?? checkOwner(owner));
    const result = await new Promise<Result<number>>((settle) => this.enqueue({ type: 'acquire', shard, owner, settle, outcome: ok(0) }));
    if (!result.ok) throw new FabricError(result.error);
    return result.value;
  }

  async putReminder(reminder: Reminder): Promise<void> {
    this.throwIfUnusable(checkReminder(reminder));
    const { key, name, dueAt, periodMs } = reminder;
    const stored: Reminder = periodMs === undefined ? { key, name, dueAt } : { key, name, dueAt, periodMs };
    await this.write(() => this.reminderDb.put([key, name], stored));
  }

  async deleteReminder(key: string, name: string): Promise<void> {
    this.throwIfUnusable(checkReminderId(key, name));
    await this.write(() => this.reminderDb.remove([key, name]));
  }

  reminders(): Reminder[] {
    this.throwIfUnusable(undefined);
    this.freshSnapshot();
    return Array.from(this.reminderDb.getRange(), ({ value }) => value).sort(compareReminders);
  }

  async flushed(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    await this.lastGroup;
    await this.env.flushed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.lastGroup;
      await this.env.flushed;
      await this.env.close();
    })();
    return this.closing;
  }

  /**
   * Queues a write. The first write of a group asks lmdb-js for an asynchronous transaction;
   * when its callback runs (inside the write transaction, holding LMDB's write lock, which every
   * process shares), it takes every write queued until then and applies them in call order.
   */
  private enqueue(write: QueuedWrite): void {
    this.queue.push(write);
    if (this.groupAsked) return;
    this.groupAsked = true;
    let taken: QueuedWrite[] = [];
    this.lastGroup = this.records
      .transaction(() => (taken = this.runGroup()))
      .then(settleGroup, (caught: unknown) => {
        if (this.groupAsked && taken.length === 0) {
          // The transaction never ran its callback: the queue is still ours.
          taken = this.queue;
          this.queue = [];
          this.groupAsked = false;
        }
        const error = StoreIo(`commit failed, nothing of this group was written: ${toErrorValue(caught).message}`);
        for (const failed of taken) settleOne(failed, err(error));
      });
  }

  private runGroup(): QueuedWrite[] {
    const group = this.queue;
    this.queue = [];
    this.groupAsked = false;
    /** Each shard's epoch in this transaction, read once. */
    const epochs = new Map<number, number>();
    for (const write of group) {
      try {
        this.apply(write, epochs);
      } catch (caught) {
        // put() encodes before it writes: a value it cannot encode wrote nothing.
        const message = toErrorValue(caught).message;
        write.outcome = err<never>(write.type === 'persist' ? StoreBadInput(`record cannot be stored: ${message}`) : StoreIo(message));
      }
    }
    return group;
  }

  /** Applies one write inside the group transaction, setting its outcome. */
  private apply(write: QueuedWrite, epochs: Map<number, number>): void {
    let current = epochs.get(write.shard);
    if (current === undefined) {
      current = this.readEpoch(write.shard);
      epochs.set(write.shard, current);
    }
    switch (write.type) {
      case 'persist': {
        const { key, record, shard, expectedRevision } = write;
        // Fencing first: a stale owner must stop, not reload and retry.
        if (current > record.epoch) {
          write.outcome = err(this.fenced(shard, record.epoch, current));
        } else if (write.entries !== undefined) {
          const stored = this.records.getEntry(key)?.version ?? 0;
          if (stored !== expectedRevision) write.outcome = err(StoreConflict(`${key} is at revision ${stored}, not ${expectedRevision}`, { key, stored }));
          else this.putWithEntries(key, record, write.entries);
        } else if (!this.putRecord(key, record, record.revision, expectedRevision === 0 ? null : expectedRevision)) {
          const stored = this.records.getEntry(key)?.version ?? 0;
          write.outcome = err(StoreConflict(`${key} is at revision ${stored}, not ${expectedRevision}`, { key, stored }));
        }
        return;
      }
      case 'remove':
        if (current > write.epoch) write.outcome = err(this.fenced(write.shard, write.epoch, current));
        else {
          this.records.removeSync(write.key);
          for (const k of Array.from(this.entryDb.getKeys(entryRange(write.key)))) this.entryDb.removeSync(k);
        }
        return;
      case 'acquire': {
        const next = current + 1;
        this.epochs.putSync(write.shard, { owner: write.owner }, next);
        epochs.set(write.shard, next);
        write.outcome = ok(next);
        return;
      }
      default: {
        const unknown: never = write;
        throw new Error(`unknown write ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * Writes a record (its revision already checked) with its entry changes, all or nothing:
   * an entry or record that cannot be encoded throws, after the entries written so far are put
   * back as they were (the group transaction itself goes on with the other writes).
   */
  private putWithEntries(key: string, record: StoredRecord, changes: EntryChanges): void {
    const undo: Array<[EntryKey, unknown]> = [];
    try {
      for (const [id, value] of changes.put ?? []) {
        const k: EntryKey = [key, id];
        undo.push([k, this.entryDb.get(k)]);
        this.entryDb.putSync(k, value);
      }
      for (const id of changes.remove ?? []) {
        const k: EntryKey = [key, id];
        undo.push([k, this.entryDb.get(k)]);
        this.entryDb.removeSync(k);
      }
      this.putRecord(key, record, record.revision);
    } catch (caught) {
      for (let i = undo.length - 1; i >= 0; i--) {
        const [k, before] = undo[i]!;
        if (before === undefined) this.entryDb.removeSync(k);
        else this.entryDb.putSync(k, before);
      }
      throw caught;
    }
  }

  /**
   * lmdb-js keeps a read snapshot until the next timer turn or this instance's next commit;
   * another process's (or instance's) commit is seen only after a reset.
   */
  private freshSnapshot(): void {
    this.env.resetReadTxn();
  }

  /** Inside a write transaction lmdb-js reads through it; elsewhere, from the read snapshot. */
  private readEpoch(shard: number): number {
    return this.epochs.getEntry(shard)?.version ?? 0;
  }

  private fenced(shard: number, epoch: number, current: number): ErrorValue {
    return StoreFenced(`shard ${shard} is at epoch ${current}; a write under epoch ${epoch} is refused`, { shard, epoch, current });
  }

  /** Runs a write, turning an engine failure into a thrown STORE_IO. */
  private async write<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (caught) {
      throw new FabricError(StoreIo(toErrorValue(caught).message));
    }
  }

  private closedError(): ErrorValue | undefined {
    return this.closing !== undefined ? StoreClosed('the store is closed') : undefined;
  }

  private throwIfUnusable(invalid: ErrorValue | undefined): void {
    const error = this.closedError() ?? invalid;
    if (error !== undefined) throw new FabricError(error);
  }
}

/** Opens (or creates) the store in a data directory; rejects with STORE_BAD_INPUT or STORE_IO. */
export function openLmdbStore(options: LmdbStoreOptions): Promise<LmdbStore> {
  return Promise.resolve().then(() => {
    const { path, name } = options;
    if (typeof path !== 'string' || path.length === 0) throw new FabricError(StoreBadInput('path must be a non-empty string'));
    if (name !== undefined && !STORE_NAME.test(name)) {
      throw new FabricError(StoreBadInput(`name must be a plain file name (letters, digits, . _ -), got ${String(name)}`));
    }
    try {
      return LmdbStore.open(options);
    } catch (caught) {
      throw new FabricError(StoreIo(`cannot open the store in ${path}: ${toErrorValue(caught).message}`));
    }
  });
}
