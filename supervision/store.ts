// The durable store's contract. An actor's state, its revision, the shard epoch it was written
// under and its de-duplication marks are one record, written in one transaction before the actor
// replies or publishes. Shard ownership is fenced by epoch: a write under an older epoch than the
// shard's current one is refused, so a node that lost its shard cannot write.
import type { Result } from '../transports/errors.js';

/** Highest applied sequence number per sender incarnation. */
export type DedupMarks = Readonly<Record<string, number>>;

export interface StoredRecord<S = unknown> {
  readonly state: S;
  /** 1 for the first write, +1 for each later one. */
  readonly revision: number;
  /** The shard epoch under which this record was written. */
  readonly epoch: number;
  readonly dedup: DedupMarks;
  /**
   * Every entry of the record, kept here only for a store without loadEntries (an actor with
   * entries then writes them all each time); a store with loadEntries keeps one key per entry.
   */
  readonly entries?: Readonly<Record<string, unknown>>;
}

/**
 * Changes to a record's entries: sub-records under its key, one store key each, written in the
 * same transaction as the record (same fence, same revision check), so a write costs the size of
 * what changed, not of everything the actor holds.
 */
export interface EntryChanges<E = unknown> {
  readonly put?: ReadonlyArray<readonly [id: string, value: E]>;
  readonly remove?: readonly string[];
}

/** A durable reminder (Orleans' sense): survives restarts and wakes a passivated actor. */
export interface Reminder {
  /** The actor's key, `kind/id`. */
  readonly key: string;
  readonly name: string;
  /** Clock time (ms) when it is next due. */
  readonly dueAt: number;
  /** Repeat period in ms; absent for one-shot reminders. */
  readonly periodMs?: number;
}

export interface PersistOptions {
  readonly shard: number;
  /** The revision the writer believes is stored (0 when none): a mismatch is a CONFLICT. */
  readonly expectedRevision: number;
  /** Entry changes written with the record (a store with loadEntries only). */
  readonly entries?: EntryChanges;
}

export interface ActorStore {
  /** The last committed record, read synchronously (LMDB reads are memory-mapped). */
  load<S>(key: string): StoredRecord<S> | undefined;
  /**
   * Every committed entry of the record, by id (optional: a store without it keeps entries in
   * the record, see StoredRecord.entries). remove() deletes them with the record.
   */
  loadEntries?(key: string): Array<[string, unknown]>;
  /**
   * Writes the record; resolves when committed (grouped with other writes, never one commit per
   * call), or with STORE_FENCED when record.epoch is older than the shard's epoch, or
   * STORE_CONFLICT on a revision mismatch. Refused writes change nothing.
   */
  persist<S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>>;
  /** Deletes the record (fenced like persist). */
  remove(key: string, options: { readonly shard: number; readonly epoch: number }): Promise<Result<void>>;
  /** The shard's current epoch (0 when never owned). */
  shardEpoch(shard: number): number;
  /** Takes ownership of a shard: its epoch becomes previous + 1, which is returned. */
  acquireShard(shard: number, owner: string): Promise<number>;
  putReminder(reminder: Reminder): Promise<void>;
  deleteReminder(key: string, name: string): Promise<void>;
  /** Every stored reminder, earliest due first. */
  reminders(): Reminder[];
  /** Resolves once everything committed so far is on disk. */
  flushed(): Promise<void>;
  close(): Promise<void>;
}
