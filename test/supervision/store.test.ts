// The ActorStore contract, run against both implementations (in-memory and LMDB): round trips,
// revision conflicts, epoch fencing, reminders, bad input, many concurrent persists, closing;
// and for LMDB, recovery after close and reopen, and two instances sharing one data directory.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorValue } from '../../transports/errors.js';
import type { Result } from '../../transports/errors.js';
import type { ActorStore, StoredRecord } from '../../supervision/store.js';
import { createMemoryStore } from '../../supervision/memory-store.js';
import { openLmdbStore } from '../../supervision/lmdb-store.js';

interface Counter {
  readonly n: number;
}

const rec = (n: number, revision: number, epoch = 0, dedup: Record<string, number> = {}): StoredRecord<Counter> => ({
  state: { n },
  revision,
  epoch,
  dedup,
});

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-store-'));
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

function assertError(result: Result<unknown>, code: string): void {
  assert.equal(result.ok, false, `expected ${code}, got ok`);
  if (!result.ok) assert.equal(result.error.code, code, result.error.message);
}

async function assertThrowsCode(action: () => unknown, code: string): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    (caught: unknown) => {
      const value = (caught as { value?: unknown }).value;
      assert.ok(isErrorValue(value), `not a FabricError: ${String(caught)}`);
      assert.equal(value.code, code);
      return true;
    },
  );
}

for (const impl of implementations) {
  void test(`${impl.name}: persist, load and remove round trip; a persist resolves asynchronously`, async (t) => {
    const store = await impl.open(t);
    assert.equal(store.load('counter/a'), undefined);
    let settled = false;
    const first = store.persist('counter/a', rec(1, 1, 0, { 'sender-1': 4 }), { shard: 7, expectedRevision: 0 });
    void first.then(() => (settled = true));
    assert.equal(settled, false, 'persist resolved synchronously');
    assert.deepEqual(await first, { ok: true, value: undefined });
    assert.deepEqual(store.load('counter/a'), rec(1, 1, 0, { 'sender-1': 4 }));
    assert.deepEqual(await store.persist('counter/a', rec(2, 2), { shard: 7, expectedRevision: 1 }), { ok: true, value: undefined });
    const loaded = store.load<Counter>('counter/a');
    assert.deepEqual(loaded, rec(2, 2));
    assert.deepEqual(await store.remove('counter/a', { shard: 7, epoch: 0 }), { ok: true, value: undefined });
    assert.equal(store.load('counter/a'), undefined);
    // Removing what is absent is not an error; starting over begins again at revision 1.
    assert.deepEqual(await store.remove('counter/a', { shard: 7, epoch: 0 }), { ok: true, value: undefined });
    assert.deepEqual(await store.persist('counter/a', rec(9, 1), { shard: 7, expectedRevision: 0 }), { ok: true, value: undefined });
    await store.flushed();
    assert.deepEqual(store.load('counter/a'), rec(9, 1));
  });

  void test(`${impl.name}: a revision mismatch is STORE_CONFLICT and changes nothing`, async (t) => {
    const store = await impl.open(t);
    assert.equal((await store.persist('counter/b', rec(1, 1), { shard: 1, expectedRevision: 0 })).ok, true);
    // A second "first write" of the same key.
    assertError(await store.persist('counter/b', rec(5, 1), { shard: 1, expectedRevision: 0 }), 'STORE_CONFLICT');
    // A writer ahead of the store, and one behind it.
    assertError(await store.persist('counter/b', rec(5, 4), { shard: 1, expectedRevision: 3 }), 'STORE_CONFLICT');
    assert.equal((await store.persist('counter/b', rec(2, 2), { shard: 1, expectedRevision: 1 })).ok, true);
    assertError(await store.persist('counter/b', rec(5, 2), { shard: 1, expectedRevision: 1 }), 'STORE_CONFLICT');
    // A key never written has revision 0.
    assertError(await store.persist('counter/none', rec(5, 3), { shard: 1, expectedRevision: 2 }), 'STORE_CONFLICT');
    assert.deepEqual(store.load('counter/b'), rec(2, 2));
    assert.equal(store.load('counter/none'), undefined);
    // Two writers racing in the same group commit: exactly one wins.
    const racing = await Promise.all([
      store.persist('counter/b', rec(30, 3), { shard: 1, expectedRevision: 2 }),
      store.persist('counter/b', rec(31, 3), { shard: 1, expectedRevision: 2 }),
    ]);
    assert.deepEqual(
      racing.map((r) => (r.ok ? 'ok' : r.error.code)),
      ['ok', 'STORE_CONFLICT'],
    );
    assert.deepEqual(store.load('counter/b'), rec(30, 3));
  });

  void test(`${impl.name}: writes under an epoch older than the shard's are STORE_FENCED and change nothing`, async (t) => {
    const store = await impl.open(t);
    assert.equal(store.shardEpoch(4), 0);
    assert.equal((await store.persist('vm/x', rec(1, 1, 0), { shard: 4, expectedRevision: 0 })).ok, true);
    assert.equal(await store.acquireShard(4, 'node-a'), 1);
    assert.equal(store.shardEpoch(4), 1);
    assertError(await store.persist('vm/x', rec(2, 2, 0), { shard: 4, expectedRevision: 1 }), 'STORE_FENCED');
    assert.equal((await store.persist('vm/x', rec(2, 2, 1), { shard: 4, expectedRevision: 1 })).ok, true);
    assert.equal(await store.acquireShard(4, 'node-b'), 2);
    // Fencing is reported even when the revision is also stale.
    assertError(await store.persist('vm/x', rec(3, 2, 1), { shard: 4, expectedRevision: 1 }), 'STORE_FENCED');
    assertError(await store.persist('vm/x', rec(3, 3, 1), { shard: 4, expectedRevision: 2 }), 'STORE_FENCED');
    assertError(await store.persist('vm/new', rec(1, 1, 1), { shard: 4, expectedRevision: 0 }), 'STORE_FENCED');
    assertError(await store.remove('vm/x', { shard: 4, epoch: 1 }), 'STORE_FENCED');
    assert.deepEqual(store.load('vm/x'), rec(2, 2, 1));
    assert.equal(store.load('vm/new'), undefined);
    // Other shards are untouched by shard 4's epoch.
    assert.equal(store.shardEpoch(5), 0);
    assert.equal((await store.persist('vm/y', rec(1, 1, 0), { shard: 5, expectedRevision: 0 })).ok, true);
    // The new owner writes and removes.
    assert.equal((await store.persist('vm/x', rec(3, 3, 2), { shard: 4, expectedRevision: 2 })).ok, true);
    assert.equal((await store.remove('vm/x', { shard: 4, epoch: 2 })).ok, true);
    assert.equal(store.load('vm/x'), undefined);
    // Writes keep their call order: an acquisition fences a stale write issued right after it,
    // not one issued right before it.
    const before = store.persist('vm/before', rec(1, 1, 0), { shard: 6, expectedRevision: 0 });
    const acquired = store.acquireShard(6, 'node-c');
    const after = store.persist('vm/after', rec(1, 1, 0), { shard: 6, expectedRevision: 0 });
    assert.equal((await before).ok, true);
    assert.equal(await acquired, 1);
    assertError(await after, 'STORE_FENCED');
    assert.equal(store.load('vm/after'), undefined);
    // Concurrent acquisitions get distinct, consecutive epochs.
    const epochs = await Promise.all([store.acquireShard(9, 'a'), store.acquireShard(9, 'b'), store.acquireShard(9, 'c')]);
    assert.deepEqual([...epochs].sort(), [1, 2, 3]);
    assert.equal(store.shardEpoch(9), 3);
  });

  void test(`${impl.name}: reminders are kept per (key, name) and listed earliest due first`, async (t) => {
    const store = await impl.open(t);
    assert.deepEqual(store.reminders(), []);
    await store.putReminder({ key: 'vm/b', name: 'poll', dueAt: 300, periodMs: 50 });
    await store.putReminder({ key: 'vm/a', name: 'expire', dueAt: 100 });
    await store.putReminder({ key: 'vm/c', name: 'retry', dueAt: 200 });
    await store.putReminder({ key: 'vm/a', name: 'poll', dueAt: 200 });
    assert.deepEqual(store.reminders(), [
      { key: 'vm/a', name: 'expire', dueAt: 100 },
      { key: 'vm/a', name: 'poll', dueAt: 200 },
      { key: 'vm/c', name: 'retry', dueAt: 200 },
      { key: 'vm/b', name: 'poll', dueAt: 300, periodMs: 50 },
    ]);
    // Putting the same (key, name) again moves it; deleting removes only that one.
    await store.putReminder({ key: 'vm/b', name: 'poll', dueAt: 50, periodMs: 50 });
    await store.deleteReminder('vm/a', 'expire');
    await store.deleteReminder('vm/a', 'absent');
    assert.deepEqual(store.reminders(), [
      { key: 'vm/b', name: 'poll', dueAt: 50, periodMs: 50 },
      { key: 'vm/a', name: 'poll', dueAt: 200 },
      { key: 'vm/c', name: 'retry', dueAt: 200 },
    ]);
  });

  void test(`${impl.name}: bad input gets STORE_BAD_INPUT and changes nothing`, async (t) => {
    const store = await impl.open(t);
    assert.equal((await store.persist('vm/ok', rec(1, 1), { shard: 2, expectedRevision: 0 })).ok, true);
    const bad: ReadonlyArray<readonly [string, () => Promise<Result<void>>]> = [
      ['non-integer shard', () => store.persist('vm/ok', rec(2, 2), { shard: 1.5, expectedRevision: 1 })],
      ['negative shard', () => store.persist('vm/ok', rec(2, 2), { shard: -1, expectedRevision: 1 })],
      ['shard too large', () => store.persist('vm/ok', rec(2, 2), { shard: 2 ** 32, expectedRevision: 1 })],
      ['negative expected revision', () => store.persist('vm/ok', rec(2, 0), { shard: 2, expectedRevision: -1 })],
      ['fractional revision', () => store.persist('vm/ok', rec(2, 1.5), { shard: 2, expectedRevision: 0.5 })],
      ['revision not expected + 1', () => store.persist('vm/ok', rec(2, 3), { shard: 2, expectedRevision: 1 })],
      ['negative epoch', () => store.persist('vm/ok', rec(2, 2, -1), { shard: 2, expectedRevision: 1 })],
      ['key not a string', () => store.persist(42 as unknown as string, rec(2, 2), { shard: 2, expectedRevision: 1 })],
      ['empty key', () => store.persist('', rec(1, 1), { shard: 2, expectedRevision: 0 })],
      ['key too long', () => store.persist('k'.repeat(600), rec(1, 1), { shard: 2, expectedRevision: 0 })],
      ['key with NUL', () => store.persist('vm/\u0000', rec(1, 1), { shard: 2, expectedRevision: 0 })],
      ['undefined state', () => store.persist('vm/ok', { ...rec(2, 2), state: undefined }, { shard: 2, expectedRevision: 1 })],
      ['bad dedup mark', () => store.persist('vm/ok', rec(2, 2, 0, { s: -3 }), { shard: 2, expectedRevision: 1 })],
      ['record not an object', () => store.persist('vm/ok', null as unknown as StoredRecord, { shard: 2, expectedRevision: 1 })],
      ['options missing', () => store.persist('vm/ok', rec(2, 2), undefined as unknown as { shard: number; expectedRevision: number })],
      ['remove with bad epoch', () => store.remove('vm/ok', { shard: 2, epoch: Number.NaN })],
      ['remove with bad key', () => store.remove('', { shard: 2, epoch: 0 })],
    ];
    for (const [what, attempt] of bad) {
      const result = await attempt();
      assert.equal(result.ok, false, what);
      if (!result.ok) {
        assert.equal(result.error.code, 'STORE_BAD_INPUT', what);
        assert.ok(result.error.message.length > 10, `${what}: message says what is wrong`);
      }
    }
    await assertThrowsCode(() => store.load(''), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.shardEpoch(1.5), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.acquireShard(-1, 'node'), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.acquireShard(3, ''), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.putReminder({ key: 'vm/ok', name: 'r', dueAt: Number.NaN }), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.putReminder({ key: 'vm/ok', name: '', dueAt: 1 }), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.putReminder({ key: 'vm/ok', name: 'r', dueAt: 1, periodMs: 0 }), 'STORE_BAD_INPUT');
    await assertThrowsCode(() => store.deleteReminder('vm/ok', 7 as unknown as string), 'STORE_BAD_INPUT');
    // Nothing changed.
    assert.deepEqual(store.load('vm/ok'), rec(1, 1));
    assert.equal(store.shardEpoch(3), 0);
    assert.deepEqual(store.reminders(), []);
  });

  void test(`${impl.name}: thousands of concurrent persists all resolve and are all stored`, async (t) => {
    const store = await impl.open(t);
    const keys = Array.from({ length: 3000 }, (_, i) => `counter/${i}`);
    const shardOf = (i: number): number => i % 256;
    const first = await Promise.all(keys.map((key, i) => store.persist(key, rec(i, 1, 0, { s: i }), { shard: shardOf(i), expectedRevision: 0 })));
    assert.ok(first.every((r) => r.ok));
    const second = await Promise.all(keys.map((key, i) => store.persist(key, rec(i + 1, 2, 0, { s: i + 1 }), { shard: shardOf(i), expectedRevision: 1 })));
    assert.ok(second.every((r) => r.ok));
    keys.forEach((key, i) => assert.deepEqual(store.load(key), rec(i + 1, 2, 0, { s: i + 1 })));
  });

  void test(`${impl.name}: after close, every operation is STORE_CLOSED; close is idempotent`, async (t) => {
    const store = await impl.open(t);
    const pending = store.persist('vm/last', rec(1, 1), { shard: 0, expectedRevision: 0 });
    await store.close();
    // A write issued before close still commits.
    assert.equal((await pending).ok, true);
    assertError(await store.persist('vm/late', rec(1, 1), { shard: 0, expectedRevision: 0 }), 'STORE_CLOSED');
    assertError(await store.remove('vm/last', { shard: 0, epoch: 0 }), 'STORE_CLOSED');
    await assertThrowsCode(() => store.load('vm/last'), 'STORE_CLOSED');
    await assertThrowsCode(() => store.acquireShard(0, 'node'), 'STORE_CLOSED');
    await assertThrowsCode(() => store.reminders(), 'STORE_CLOSED');
    await store.close();
  });
}

void test('lmdb: records, epochs and reminders survive close and reopen', async (t) => {
  const path = tempDir(t);
  const first = await openLmdbStore({ path });
  assert.equal(await first.acquireShard(11, 'node-a'), 1);
  assert.equal((await first.persist('vm/r', rec(1, 1, 1, { 'inc-1': 3 }), { shard: 11, expectedRevision: 0 })).ok, true);
  assert.equal((await first.persist('vm/r', rec(2, 2, 1, { 'inc-1': 4 }), { shard: 11, expectedRevision: 1 })).ok, true);
  await first.putReminder({ key: 'vm/r', name: 'tick', dueAt: 1000, periodMs: 10 });
  await first.close();

  const second = await openLmdbStore({ path });
  t.after(() => second.close());
  assert.deepEqual(second.load('vm/r'), rec(2, 2, 1, { 'inc-1': 4 }));
  assert.equal(second.shardEpoch(11), 1);
  assert.deepEqual(second.reminders(), [{ key: 'vm/r', name: 'tick', dueAt: 1000, periodMs: 10 }]);
  // The revision and the fence carry over.
  assertError(await second.persist('vm/r', rec(3, 2, 1), { shard: 11, expectedRevision: 1 }), 'STORE_CONFLICT');
  assert.equal(await second.acquireShard(11, 'node-b'), 2);
  assertError(await second.persist('vm/r', rec(3, 3, 1), { shard: 11, expectedRevision: 2 }), 'STORE_FENCED');
});

void test('lmdb: two store instances on one data directory fence each other', async (t) => {
  const path = tempDir(t);
  const a = await openLmdbStore({ path });
  const b = await openLmdbStore({ path });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  assert.equal(await a.acquireShard(20, 'a'), 1);
  assert.equal((await a.persist('vm/s', rec(1, 1, 1), { shard: 20, expectedRevision: 0 })).ok, true);
  assert.deepEqual(b.load('vm/s'), rec(1, 1, 1));
  assert.equal(await b.acquireShard(20, 'b'), 2);
  assertError(await a.persist('vm/s', rec(2, 2, 1), { shard: 20, expectedRevision: 1 }), 'STORE_FENCED');
  assert.equal((await b.persist('vm/s', rec(2, 2, 2), { shard: 20, expectedRevision: 1 })).ok, true);
  assert.deepEqual(a.load('vm/s'), rec(2, 2, 2));
});

void test('lmdb: records of many shapes written concurrently by two instances decode in both', async (t) => {
  // Each instance has its own encoder; record structures are shared through the database.
  const path = tempDir(t);
  const a = await openLmdbStore({ path });
  const b = await openLmdbStore({ path });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const shaped = (writer: string, i: number): StoredRecord => ({
    state: { [`field${i % 40}`]: i, writer, nested: { [`inner${i % 7}`]: [i, `${writer}-${i}`] } },
    revision: 1,
    epoch: 0,
    dedup: { [`${writer}-incarnation-${i}`]: i },
  });
  const writes = Array.from({ length: 200 }, (_, i) => [
    a.persist(`shape/a${i}`, shaped('a', i), { shard: i % 3, expectedRevision: 0 }),
    b.persist(`shape/b${i}`, shaped('b', i), { shard: i % 3, expectedRevision: 0 }),
  ]).flat();
  assert.ok((await Promise.all(writes)).every((r) => r.ok));
  for (let i = 0; i < 200; i++) {
    assert.deepEqual(a.load(`shape/b${i}`), shaped('b', i));
    assert.deepEqual(b.load(`shape/a${i}`), shaped('a', i));
  }
  await a.close();
  const reopened = await openLmdbStore({ path });
  t.after(() => reopened.close());
  assert.deepEqual(reopened.load('shape/a199'), shaped('a', 199));
  assert.deepEqual(reopened.load('shape/b0'), shaped('b', 0));
});

void test('lmdb: environments with different names in one directory are independent', async (t) => {
  const path = tempDir(t);
  const one = await openLmdbStore({ path, name: 'one' });
  const two = await openLmdbStore({ path, name: 'two' });
  t.after(async () => {
    await one.close();
    await two.close();
  });
  assert.equal((await one.persist('vm/n', rec(1, 1), { shard: 0, expectedRevision: 0 })).ok, true);
  assert.equal(two.load('vm/n'), undefined);
  // A name is a file name in the directory, never a path out of it.
  await assertThrowsCode(() => openLmdbStore({ path, name: '../elsewhere' }), 'STORE_BAD_INPUT');
  await assertThrowsCode(() => openLmdbStore({ path: '' }), 'STORE_BAD_INPUT');
});
