// The durable store's error codes and the input checks that produce them. Both store
// implementations (memory, LMDB) run the same checks, so bad input gets the same clear error
// from either and changes nothing.
import { defineError } from '../transports/errors.js';
import type { ErrorValue } from '../transports/errors.js';
import type { PersistOptions, Reminder, StoredRecord } from './store.js';

/** The record's epoch is older than the shard's: another node owns the shard now. */
export const StoreFenced = defineError('STORE_FENCED', 409, false);
/** The stored revision is not the one the writer expected: reload and decide again. */
export const StoreConflict = defineError('STORE_CONFLICT', 409, false);
/** A key, shard, revision, epoch, reminder or value the store cannot accept. */
export const StoreBadInput = defineError('STORE_BAD_INPUT', 400, false);
/** The store was closed; nothing more is read or written through this instance. */
export const StoreClosed = defineError('STORE_CLOSED', 503, false);
/** The storage engine failed to write (disk full, map full, I/O error). */
export const StoreIo = defineError('STORE_IO', 500, true);

/** LMDB keys are at most 1978 bytes; keep well under with the key encoding's overhead. */
export const MAX_KEY_BYTES = 512;
export const MAX_NAME_BYTES = 256;
/** Shard numbers index a fencing domain; they fit an unsigned 32-bit integer. */
export const MAX_SHARD = 0xffff_ffff;

const isNonNegativeInteger = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

function checkText(what: string, value: unknown, maxBytes: number): ErrorValue | undefined {
  if (typeof value !== 'string') return StoreBadInput(`${what} must be a string, got ${typeof value}`);
  if (value.length === 0) return StoreBadInput(`${what} must not be empty`);
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: short strings need no byte count.
  if (value.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > maxBytes) return StoreBadInput(`${what} is ${bytes} bytes long, more than ${maxBytes}`);
  }
  // lmdb-js' ordered-binary keys use NUL as a delimiter.
  if (value.includes('\u0000')) return StoreBadInput(`${what} must not contain NUL characters`);
  return undefined;
}

export const checkKey = (key: unknown): ErrorValue | undefined => checkText('key', key, MAX_KEY_BYTES);

export function checkShard(shard: unknown): ErrorValue | undefined {
  if (!isNonNegativeInteger(shard) || shard > MAX_SHARD) {
    return StoreBadInput(`shard must be an integer from 0 to ${MAX_SHARD}, got ${String(shard)}`);
  }
  return undefined;
}

export function checkEpoch(epoch: unknown): ErrorValue | undefined {
  return isNonNegativeInteger(epoch) ? undefined : StoreBadInput(`epoch must be a non-negative integer, got ${String(epoch)}`);
}

export const checkOwner = (owner: unknown): ErrorValue | undefined => checkText('owner', owner, MAX_NAME_BYTES);

/** Checks everything persist() is given except the encodability of the state. */
export function checkPersist(key: unknown, record: unknown, options: unknown): ErrorValue | undefined {
  const keyError = checkKey(key);
  if (keyError !== undefined) return keyError;
  if (typeof options !== 'object' || options === null) return StoreBadInput('persist options must be an object');
  const { shard, expectedRevision } = options as Partial<PersistOptions>;
  const shardError = checkShard(shard);
  if (shardError !== undefined) return shardError;
  if (!isNonNegativeInteger(expectedRevision)) {
    return StoreBadInput(`expectedRevision must be a non-negative integer, got ${String(expectedRevision)}`);
  }
  if (typeof record !== 'object' || record === null) return StoreBadInput('record must be an object');
  const { state, revision, epoch, dedup } = record as Partial<StoredRecord>;
  // Revisions count writes: the next one is always the expected one plus one.
  if (revision !== expectedRevision + 1) {
    return StoreBadInput(`record.revision must be expectedRevision + 1 = ${expectedRevision + 1}, got ${String(revision)}`);
  }
  const epochError = checkEpoch(epoch);
  if (epochError !== undefined) return StoreBadInput(`record.${epochError.message}`);
  if (state === undefined || typeof state === 'function' || typeof state === 'symbol') {
    return StoreBadInput(`record.state must be a storable value, got ${typeof state}`);
  }
  if (typeof dedup !== 'object' || dedup === null || Array.isArray(dedup)) {
    return StoreBadInput('record.dedup must be an object of sequence numbers');
  }
  for (const sender in dedup) {
    if (!isNonNegativeInteger(dedup[sender])) return StoreBadInput(`record.dedup[${sender}] must be a non-negative integer`);
  }
  return checkEntries((options as Partial<PersistOptions>).entries);
}

/** Entry ids are non-empty text without NUL (it bounds a record's range of entries). */
function checkEntries(entries: unknown): ErrorValue | undefined {
  if (entries === undefined) return undefined;
  if (typeof entries !== 'object' || entries === null) return StoreBadInput('entries must be an object of changes');
  const { put, remove } = entries as { put?: unknown; remove?: unknown };
  const ids: unknown[] = [];
  if (put !== undefined) {
    if (!Array.isArray(put)) return StoreBadInput('entries.put must be an array of [id, value]');
    for (const pair of put as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || pair[1] === undefined) return StoreBadInput('entries.put must be an array of [id, value]');
      ids.push(pair[0]);
    }
  }
  if (remove !== undefined) {
    if (!Array.isArray(remove)) return StoreBadInput('entries.remove must be an array of ids');
    ids.push(...(remove as unknown[]));
  }
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 512 || id.includes('\u0000')) return StoreBadInput(`entry ids must be 1-512 characters without NUL, got ${JSON.stringify(String(id).slice(0, 64))}`);
  }
  return undefined;
}

export function checkRemove(key: unknown, options: unknown): ErrorValue | undefined {
  const keyError = checkKey(key);
  if (keyError !== undefined) return keyError;
  if (typeof options !== 'object' || options === null) return StoreBadInput('remove options must be an object');
  const { shard, epoch } = options as { shard?: unknown; epoch?: unknown };
  return checkShard(shard) ?? checkEpoch(epoch);
}

export function checkReminder(reminder: unknown): ErrorValue | undefined {
  if (typeof reminder !== 'object' || reminder === null) return StoreBadInput('reminder must be an object');
  const { key, name, dueAt, periodMs } = reminder as Partial<Reminder>;
  const textError = checkKey(key) ?? checkText('reminder name', name, MAX_NAME_BYTES);
  if (textError !== undefined) return textError;
  if (typeof dueAt !== 'number' || !Number.isFinite(dueAt)) return StoreBadInput(`reminder dueAt must be a finite number, got ${String(dueAt)}`);
  if (periodMs !== undefined && (typeof periodMs !== 'number' || !Number.isFinite(periodMs) || periodMs <= 0)) {
    return StoreBadInput(`reminder periodMs must be a positive number, got ${String(periodMs)}`);
  }
  return undefined;
}

export const checkReminderId = (key: unknown, name: unknown): ErrorValue | undefined =>
  checkKey(key) ?? checkText('reminder name', name, MAX_NAME_BYTES);

/** Orders reminders earliest due first, then by key and name so the order is total. */
export function compareReminders(a: Reminder, b: Reminder): number {
  if (a.dueAt !== b.dueAt) return a.dueAt - b.dueAt;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
