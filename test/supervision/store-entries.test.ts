// Entries: sub-records of a record, one store key each, written in the record's transaction. On
// both stores it proves: puts and removes round trip, sorted by id, and stay apart from records
// whose key merely starts alike; a fenced or conflicting write changes no entry; remove() drops
// them with the record; bad ids are STORE_BAD_INPUT. With the runtime: a kind with entries
// reloads them on activation (from the store, or from the record on a store without entries),
// and its stored record stays the size of its state, not of its entries.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { delegatingStore } from '../helpers/store-wrapper.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { createActorSystem, createMemoryStore, defineKind, openLmdbStore } from '../../supervision/index.js';
import type { ActorStore, StoredRecord } from '../../supervision/index.js';

const rec = (n: number, revision: number, epoch = 0): StoredRecord<{ n: number }> => ({ state: { n }, revision, epoch, dedup: {} });

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-entries-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const implementations: ReadonlyArray<{ readonly name: string; readonly open: (t: TestContext) => Promise<ActorStore> }> = [
  { name: 'memory', open: () => Promise.resolve(createMemoryStore()) },
  {
    name: 'lmdb',
    open: async (t) => {
      const store = await openLmdbStore({ path: tempDir(t) });
      t.after(() => store.close());
      return store;
    },
  },
];

function code(result: Result<unknown>): string {
  return result.ok ? 'ok' : result.error.code;
}

for (const impl of implementations) {
  void test(`${impl.name}: entries round trip with their record, apart from lookalike keys, fenced and checked alike`, async (t) => {
    const store = await impl.open(t);
    const entries = (key: string) => store.loadEntries!(key);
    assert.equal(code(await store.persist('idx/p1', rec(1, 1), { shard: 2, expectedRevision: 0, entries: { put: [['b', { v: 2 }], ['a', { v: 1 }]] } })), 'ok');
    assert.equal(code(await store.persist('idx/p10', rec(1, 1), { shard: 2, expectedRevision: 0, entries: { put: [['a', { v: 10 }]] } })), 'ok');
    assert.equal(code(await store.persist('idx/p', rec(1, 1), { shard: 2, expectedRevision: 0 })), 'ok');
    assert.deepEqual(entries('idx/p1'), [['a', { v: 1 }], ['b', { v: 2 }]]);
    assert.deepEqual(entries('idx/p10'), [['a', { v: 10 }]]);
    assert.deepEqual(entries('idx/p'), []);

    assert.equal(code(await store.persist('idx/p1', rec(2, 2), { shard: 2, expectedRevision: 1, entries: { put: [['c', { v: 3 }], ['a', { v: 11 }]], remove: ['b'] } })), 'ok');
    assert.deepEqual(entries('idx/p1'), [['a', { v: 11 }], ['c', { v: 3 }]]);
    assert.equal(store.load<{ n: number }>('idx/p1')?.revision, 2);

    // A revision conflict and a fenced write change no entry.
    assert.equal(code(await store.persist('idx/p1', rec(9, 2), { shard: 2, expectedRevision: 1, entries: { remove: ['a'] } })), 'STORE_CONFLICT');
    await store.acquireShard(2, 'node-b');
    assert.equal(code(await store.persist('idx/p1', rec(9, 3, 0), { shard: 2, expectedRevision: 2, entries: { put: [['z', 1]] } })), 'STORE_FENCED');
    assert.deepEqual(entries('idx/p1'), [['a', { v: 11 }], ['c', { v: 3 }]]);

    for (const bad of [{ put: [['', 1]] }, { remove: ['a\u0000b'] }, { put: [['x']] }, { remove: 'a' }]) {
      const r = await store.persist('idx/p1', rec(3, 3, 1), { shard: 2, expectedRevision: 2, entries: bad as never });
      assert.equal(code(r), 'STORE_BAD_INPUT', JSON.stringify(bad));
    }

    assert.equal(code(await store.remove('idx/p1', { shard: 2, epoch: 1 })), 'ok');
    assert.equal(store.load('idx/p1'), undefined);
    assert.deepEqual(entries('idx/p1'), []);
    assert.deepEqual(entries('idx/p10'), [['a', { v: 10 }]], 'a lookalike key keeps its entries');
  });
}

type IndexMsg = { type: 'put'; id: string; v: number } | { type: 'drop'; id: string } | { type: 'list' };

const index = defineKind<{ count: number }, IndexMsg, Array<[string, number]>, number>({
  name: 'idx',
  messageTypes: { put: true, drop: true, list: true },
  initialState: { count: 0 },
  entries: true,
  handle(ctx, msg) {
    switch (msg.type) {
      case 'put':
        void ctx.persist({ count: ctx.entries.size + (ctx.entries.has(msg.id) ? 0 : 1) }, { put: [[msg.id, msg.v]] });
        return [];
      case 'drop':
        void ctx.persist({ count: ctx.entries.size - (ctx.entries.has(msg.id) ? 1 : 0) }, { remove: [msg.id] });
        return [];
      case 'list':
        return [...ctx.entries].sort(([a], [b]) => (a < b ? -1 : 1));
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

/** The store without loadEntries, as a store written before entries existed would be. */
function withoutEntries(inner: ActorStore): ActorStore {
  return delegatingStore(inner);
}

for (const variant of ['lmdb', 'no-entries store'] as const) {
  void test(`${variant}: a kind with entries reloads them on activation; its record holds only its state`, async (t) => {
    const lmdb = await openLmdbStore({ path: tempDir(t) });
    t.after(() => lmdb.close());
    const store = variant === 'lmdb' ? lmdb : withoutEntries(createMemoryStore());
    const first = createActorSystem({ clock: new VirtualClock(0), store });
    assert.ok(first.register(index).ok);
    const ref = first.ref(index, 'p');
    const puts = Array.from({ length: 200 }, (_, i) => ref.ask({ type: 'put', id: `s${String(i).padStart(3, '0')}`, v: i }));
    for (const r of await Promise.all(puts)) assert.ok(r.ok);
    assert.ok((await ref.ask({ type: 'drop', id: 's007' })).ok);
    assert.ok((await ref.ask({ type: 'put', id: 's001', v: -1 })).ok);
    await first.stop();

    const record = store.load<{ count: number }>('idx/p')!;
    assert.deepEqual(record.state, { count: 199 });
    assert.equal(record.revision, 202);
    if (variant === 'lmdb') assert.equal(record.entries, undefined, 'entries are stored apart, not in the record');
    else assert.equal(Object.keys(record.entries ?? {}).length, 199, 'without store support they ride in the record');

    const second = createActorSystem({ clock: new VirtualClock(0), store });
    t.after(() => second.stop());
    assert.ok(second.register(index).ok);
    const listed = await second.ref(index, 'p').ask({ type: 'list' });
    assert.ok(listed.ok);
    assert.equal(listed.value.length, 199);
    assert.deepEqual(listed.value.slice(0, 3), [['s000', 0], ['s001', -1], ['s002', 2]]);
    assert.equal(listed.value.some(([id]) => id === 's007'), false);
  });
}
