// Proves that shard fencing holds across processes sharing one data directory: once process B
// acquires a shard (epoch + 1), process A's later writes under the old epoch fail with
// STORE_FENCED and change nothing; and that concurrent acquisitions from two processes never
// hand out the same epoch. Both writers are real child processes over the same LMDB files.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../transports/errors.js';
import type { StoredRecord } from '../../supervision/store.js';
import { openLmdbStore } from '../../supervision/lmdb-store.js';
import type { Command, Counter, Reply, Request } from '../fixtures/durable-writer.js';

const WRITER = fileURLToPath(new URL('../fixtures/durable-writer.js', import.meta.url));

interface Peer {
  ask<T>(command: Command): Promise<T>;
}

/** A child process serving store commands, concurrently, each answer matched by its id. */
async function startPeer(t: TestContext, dir: string): Promise<Peer> {
  const child = spawn(process.execPath, [WRITER, 'serve', dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child, 'spawn');
  const waiting = new Map<number, (value: unknown) => void>();
  let lastId = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { id, value } = JSON.parse(line) as Reply;
    waiting.get(id)?.(value);
    waiting.delete(id);
  });
  t.after(async () => {
    if (child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.stdin.end();
    await exited;
  });
  return {
    ask: <T>(command: Command) =>
      new Promise<T>((resolve) => {
        const id = ++lastId;
        waiting.set(id, (value) => resolve(value as T));
        child.stdin.write(`${JSON.stringify({ id, command } satisfies Request)}\n`);
      }),
  };
}

const rec = (n: number, revision: number, epoch: number): StoredRecord<Counter> => ({ state: { n }, revision, epoch, dedup: {} });

const codeOf = (result: Result<unknown>): string => (result.ok ? 'ok' : result.error.code);

void test('a shard acquired by process B fences process A, which keeps its old epoch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-fence-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = await startPeer(t, dir);
  const b = await startPeer(t, dir);
  const persist = (peer: Peer, key: string, record: StoredRecord, shard = 3): Promise<Result<void>> =>
    peer.ask({ type: 'persist', key, record, options: { shard, expectedRevision: record.revision - 1 } });

  assert.equal(await a.ask<number>({ type: 'acquire', shard: 3, owner: 'a' }), 1);
  assert.equal(codeOf(await persist(a, 'vm/x', rec(1, 1, 1))), 'ok');
  assert.equal(await b.ask<number>({ type: 'acquire', shard: 3, owner: 'b' }), 2);

  // A does not know yet; all its writes under epoch 1 are refused, new keys and removes too.
  assert.equal(codeOf(await persist(a, 'vm/x', rec(2, 2, 1))), 'STORE_FENCED');
  assert.equal(codeOf(await persist(a, 'vm/fresh', rec(1, 1, 1))), 'STORE_FENCED');
  assert.equal(codeOf(await a.ask<Result<void>>({ type: 'remove', key: 'vm/x', shard: 3, epoch: 1 })), 'STORE_FENCED');
  const burst = await Promise.all(Array.from({ length: 200 }, (_, i) => persist(a, `vm/burst-${i}`, rec(1, 1, 1))));
  assert.ok(burst.every((r) => codeOf(r) === 'STORE_FENCED'), 'every write of the burst is fenced');
  assert.deepEqual(await a.ask({ type: 'load', key: 'vm/x' }), rec(1, 1, 1));
  assert.equal(await a.ask({ type: 'load', key: 'vm/burst-7' }), null);
  assert.equal(await a.ask<number>({ type: 'epoch', shard: 3 }), 2, 'A sees the new epoch when it looks');

  // B writes under the new epoch; A reads B's write; other shards are still A's to write.
  assert.equal(codeOf(await persist(b, 'vm/x', rec(2, 2, 2))), 'ok');
  assert.deepEqual(await a.ask({ type: 'load', key: 'vm/x' }), rec(2, 2, 2));
  // Record structures are shared through the database: a shape new to A decodes in A.
  const shaped: StoredRecord = { state: { name: 'web-1', tags: ['a', 'b'], flavor: { vcpus: 2, ramMb: 512 } }, revision: 1, epoch: 2, dedup: { 'b-1': 1 } };
  assert.equal(codeOf(await persist(b, 'vm/shaped', shaped)), 'ok');
  assert.deepEqual(await a.ask({ type: 'load', key: 'vm/shaped' }), shaped);
  assert.equal(await a.ask<number>({ type: 'acquire', shard: 4, owner: 'a' }), 1);
  assert.equal(codeOf(await persist(a, 'vm/y', rec(1, 1, 1), 4)), 'ok');

  // And this process, a third writer on the same files, is fenced the same way.
  const local = await openLmdbStore({ path: dir });
  t.after(() => local.close());
  assert.equal(codeOf(await local.persist('vm/x', rec(3, 3, 1), { shard: 3, expectedRevision: 2 })), 'STORE_FENCED');
  assert.deepEqual(local.load('vm/x'), rec(2, 2, 2));
});

void test('concurrent acquisitions from two processes get distinct, consecutive epochs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-fence-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const peers = [await startPeer(t, dir), await startPeer(t, dir)];
  const rounds = 60;
  const epochs = await Promise.all(
    peers.flatMap((peer, p) => Array.from({ length: rounds }, () => peer.ask<number>({ type: 'acquire', shard: 9, owner: `peer-${p}` }))),
  );
  assert.deepEqual(
    [...epochs].sort((x, y) => x - y),
    Array.from({ length: 2 * rounds }, (_, i) => i + 1),
  );
});
