// A store that hands every call to another one, for tests that hold back or fail some writes:
// overrides replace the calls a test intercepts. Entries (loadEntries) are not passed on unless
// an override adds them, as a store written before entries existed would behave.
import type { ActorStore } from '../../supervision/store.js';

export function delegatingStore(inner: ActorStore, overrides: Partial<ActorStore> = {}): ActorStore {
  return {
    load: (key) => inner.load(key),
    persist: (key, record, options) => inner.persist(key, record, options),
    remove: (key, options) => inner.remove(key, options),
    shardEpoch: (shard) => inner.shardEpoch(shard),
    acquireShard: (shard, owner) => inner.acquireShard(shard, owner),
    putReminder: (r) => inner.putReminder(r),
    deleteReminder: (key, name) => inner.deleteReminder(key, name),
    reminders: () => inner.reminders(),
    flushed: () => inner.flushed(),
    close: () => inner.close(),
    ...overrides,
  };
}
