// The activation's mailbox runs many messages per event-loop turn: 200 asks to one actor are all
// answered within a few turns (nact took one turn per message), in order; an ask is never
// answered synchronously; a busy actor yields after its budget, so another actor's messages
// (and timers, I/O) still run between its batches; a crash holds the queue until the restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle, VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, defineKind } from '../../supervision/index.js';

type Msg = { type: 'hit'; n: number } | { type: 'boom' };

function counterKind(log: string[]) {
  return defineKind<null, Msg, number>({
    name: 'hot',
    messageTypes: { hit: true, boom: true },
    initialState: null,
    handle(ctx, msg) {
      if (msg.type === 'boom') throw new Error('boom');
      log.push(`${ctx.id}:${msg.n}`);
      return msg.n;
    },
  });
}

function setup(t: { after: (fn: () => Promise<void>) => void }, log: string[]) {
  const system = createActorSystem({ clock: new VirtualClock(0), store: createMemoryStore(), restart: { intensity: 5, periodMs: 1000, backoff: { minMs: 0, maxMs: 0, jitter: 0 } } });
  const kind = counterKind(log);
  assert.ok(system.register(kind).ok);
  t.after(() => system.stop());
  return { system, kind };
}

void test('200 asks to one actor are answered within a few event-loop turns, in order, never synchronously', async (t) => {
  const log: string[] = [];
  const { system, kind } = setup(t, log);
  const ref = system.ref(kind, 'a');
  const answered: number[] = [];
  const asks = Array.from({ length: 200 }, (_, n) => ref.ask({ type: 'hit', n }).then((r) => answered.push(r.ok ? r.value : -1)));
  await Promise.resolve();
  assert.equal(answered.length, 0, 'not answered synchronously');
  for (let turn = 0; turn < 6; turn++) await settle();
  assert.equal(answered.length, 200, `answered in 6 turns: ${answered.length}`);
  await Promise.all(asks);
  assert.deepEqual(answered, Array.from({ length: 200 }, (_, n) => n));
});

void test('a busy actor yields after its budget: another actor runs between its batches', async (t) => {
  const log: string[] = [];
  const { system, kind } = setup(t, log);
  const hot = system.ref(kind, 'hot');
  const other = system.ref(kind, 'other');
  const all = Array.from({ length: 500 }, (_, n) => hot.ask({ type: 'hit', n }));
  all.push(other.ask({ type: 'hit', n: 0 }));
  await Promise.all(all);
  const at = log.indexOf('other:0');
  assert.ok(at > 0 && at < 200, `the other actor ran at position ${at} of ${log.length}, not after all 500`);
});

void test('a crash holds the queue until the restart; the messages behind it then run in order', async (t) => {
  const log: string[] = [];
  const { system, kind } = setup(t, log);
  const ref = system.ref(kind, 'c');
  const replies = await Promise.all([ref.ask({ type: 'hit', n: 1 }), ref.ask({ type: 'boom' }), ref.ask({ type: 'hit', n: 2 }), ref.ask({ type: 'hit', n: 3 })]);
  assert.deepEqual(
    replies.map((r) => (r.ok ? r.value : r.error.code)),
    [1, 'INTERNAL', 2, 3],
  );
  assert.deepEqual(log, ['c:1', 'c:2', 'c:3']);
});
