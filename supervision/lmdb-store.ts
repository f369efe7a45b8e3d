// The durable ActorStore on lmdb-js: one LMDB environment with three sub-databases (records,
// shard epochs, reminders). A record's revision and a shard's epoch are their entries' LMDB
// versions, so a persist is a conditional write that lmdb-js's write thread checks inside its
// batched transaction: a block conditional on the shard's epoch being at most the record's, around
// a put conditional on the stored revision. Many persists share one commit; none waits for a
// commit of its own, and each resolves once its commit is visible.
//
// Durability: a put resolves when its transaction has committed. The committed pages are then in
// the OS page cache, which a killed process (kill -9) cannot lose; with the default
// overlappingSync the fsync follows the commit and `flushed()` resolves once it is done, which is
// what survives a power loss. We keep lmdb-js's safe defaults (sync on, no noSync/useWritemap).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase, RootDatabaseOptionsWithPath } from 'lmdb';
import { err, FabricError, ok, toErrorValue } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import type { ActorStore, PersistOptions, Reminder, StoredRecord } from './store.js';
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
 * lmdb-js's ifVersion as implemented (index.d.ts omits both): `null` asks that the entry not
 * exist, and `ifLessThan` accepts any stored version up to the given one.
 */
type IfVersion = (key: string | number, version: number | null, writes: () => void, options?: { ifLessThan: boolean }) => Promise<boolean>;

const AT_MOST = { ifLessThan: true } as const;
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

export class LmdbStore implements ActorStore {
  private readonly ifRecordVersion: IfVersion;
  private readonly ifEpochAtMost: IfVersion;
  /** Shards whose epoch entry exists: the fencing condition needs an entry to compare with. */
  private readonly epochEntries = new Set<number>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly env: RootDatabase,
    private readonly records: Database<StoredRecord, string>,
    private readonly epochs: Database<EpochEntry, number>,
    private readonly reminderDb: Database<Reminder, ReminderKey>,
  ) {
    this.ifRecordVersion = (records.ifVersion as unknown as IfVersion).bind(records);
    this.ifEpochAtMost = (epochs.ifVersion as unknown as IfVersion).bind(epochs);
    for (const shard of epochs.getKeys()) this.epochEntries.add(shard);
  }

  static open(options: LmdbStoreOptions): LmdbStore {
    mkdirSync(options.path, { recursive: true });
    // safeRestore stays off whatever LMDB_RESTORE says: after a process crash (same boot), the
    // last committed transaction is the one to use, since its writes were acknowledged.
    const envOptions: RootDatabaseOptionsWithPath & { readonly safeRestore: boolean } = {
      path: join(options.path, `${options.name ?? 'cumulo'}.mdb`),
      maxDbs: 4,
      strictAsyncOrder: true,
      safeRestore: false, // an lmdb-js option its typings omit
    };
    const env = open(envOptions);
    const records = env.openDB<StoredRecord, string>({ name: 'records', useVersions: true, ...RECORD_ENCODING });
    const epochs = env.openDB<EpochEntry, number>({ name: 'epochs', useVersions: true, keyEncoding: 'uint32' });
    const reminders = env.openDB<Reminder, ReminderKey>({ name: 'reminders' });
    return new LmdbStore(env, records, epochs, reminders);
  }

  /** Renews the read snapshot first (under a microsecond), so another process's commit shows. */
  load<S>(key: string): StoredRecord<S> | undefined {
    this.throwIfUnusable(checkKey(key));
    this.freshSnapshot();
    return this.records.get(key) as StoredRecord<S> | undefined;
  }

  persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkPersist(key, record, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    const { shard, expectedRevision } = options;
    const epoch = record.epoch;
    this.ensureEpochEntry(shard);
    let written: Promise<boolean> | undefined;
    try {
      if (expectedRevision > 0) {
        // The hot path: one fencing block around a put conditional on the stored revision.
        void this.ifEpochAtMost(
          shard,
          epoch,
          () => (written = this.records.put(key, record, record.revision, expectedRevision)),
          AT_MOST,
        );
      } else {
        // A first write. lmdb-js evaluates a not-exists condition even inside a failed outer
        // block, so here the not-exists block is the outer one and the fence the inner one.
        void this.ifRecordVersion(key, null, () => {
          written = this.ifEpochAtMost(shard, epoch, () => void this.records.put(key, record, record.revision), AT_MOST);
        });
      }
    } catch (caught) {
      // put() encodes before it queues anything: a value it cannot encode wrote nothing.
      return Promise.resolve(err(StoreBadInput(`record cannot be stored: ${toErrorValue(caught).message}`)));
    }
    if (written === undefined) return Promise.resolve(err(StoreIo('the write was not queued')));
    return written.then(
      (done) => (done ? OK : err(this.refusal(key, shard, epoch, expectedRevision))),
      (caught: unknown) => err(StoreIo(toErrorValue(caught).message)),
    );
  }

  remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>> {
    const invalid = this.closedError() ?? checkRemove(key, options);
    if (invalid !== undefined) return Promise.resolve(err(invalid));
    const { shard, epoch } = options;
    this.ensureEpochEntry(shard);
    return this.ifEpochAtMost(shard, epoch, () => void this.records.remove(key), AT_MOST).then(
      (held): Result<void> => {
        if (held) return ok(undefined);
        this.freshSnapshot();
        return err(this.fenced(shard, epoch, this.readEpoch(shard)));
      },
      (caught: unknown) => err(StoreIo(toErrorValue(caught).message)),
    );
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
    // An asynchronous transaction holds LMDB's write lock, which every process shares: two
    // acquirers, here or elsewhere, always get distinct epochs. strictAsyncOrder keeps it in call
    // order with this store's conditional writes, so it fences exactly the writes issued after it.
    const epoch = await this.write(() =>
      this.epochs.transaction(() => {
        const next = (this.epochs.getEntry(shard)?.version ?? 0) + 1;
        void this.epochs.put(shard, { owner }, next);
        return next;
      }),
    );
    this.epochEntries.add(shard);
    return epoch;
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
    await this.env.flushed;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.env.flushed;
      await this.env.close();
    })();
    return this.closing;
  }

  /** The epoch entry is created (version 0, only if absent) in the same batch, ahead of the write. */
  private ensureEpochEntry(shard: number): void {
    if (this.epochEntries.has(shard)) return;
    this.epochEntries.add(shard);
    void this.ifEpochAtMost(shard, null, () => void this.epochs.put(shard, { owner: '' }, 0));
  }

  /**
   * lmdb-js keeps a read snapshot until the next timer turn or this instance's next commit;
   * another process's (or instance's) commit is seen only after a reset.
   */
  private freshSnapshot(): void {
    this.env.resetReadTxn();
  }

  private readEpoch(shard: number): number {
    return this.epochs.getEntry(shard)?.version ?? 0;
  }

  /** Why a persist was refused; fencing first, since a stale owner must stop, not reload. */
  private refusal(key: string, shard: number, epoch: number, expectedRevision: number): ErrorValue {
    this.freshSnapshot();
    const current = this.readEpoch(shard);
    if (current > epoch) return this.fenced(shard, epoch, current);
    const stored = this.records.getEntry(key)?.version ?? 0;
    return StoreConflict(`${key} is at revision ${stored}, not ${expectedRevision}`, { key, stored });
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
