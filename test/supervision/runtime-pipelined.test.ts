// Pipelined persistence, driven by a store whose commits the test releases one by one: a grain
// handles its next messages while its earlier writes are uncommitted, yet no reply is released
// before the writes issued up to it are durable, replies come out in mailbox order, a failed
// write fails every reply held behind it and crashes (then reloads) the activation, a crash
// keeps the replies of earlier durable writes, and passivation waits for pending writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delegatingStore } from '../helpers/store-wrapper.js';
import { settle, VirtualClock } from '../../transports/clock.js';
import { err, type Result } from '../../transports/errors.js';
import { createActorSystem, createMemoryStore, defineKind, StoreIo } from '../../supervision/index.js';
import type { ActorStore, ActorSystemOptions, InspectionEvent, PersistOptions, StoredRecord } from '../../supervision/index.js';

type CounterMsg = { type: 'add'; n: number } | { type: 'get' } | { type: 'explode' };

const counter = defineKind<{ total: number }, CounterMsg, number>({
  name: 'counter',
  messageTypes: { add: true, get: true, explode: true },
  initialState: { total: 0 },
  handle(ctx, msg) {
    switch (msg.type) {
      case 'add': {
        const total = ctx.state.total + msg.n;
        // Not awaited: the runtime holds the reply until the write is durable.
        void ctx.persist({ total });
        return total;
      }
      case 'get':
        return ctx.state.total;
      case 'explode':
        throw new Error('boom');
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

interface Gated {
  readonly key: string;
  readonly record: StoredRecord;
  readonly options: PersistOptions;
  readonly resolve: (r: Result<void>) => void;
}

/** A store whose persists wait, in order, until commit(n) writes the first n or fail(n) refuses them. */
class GateStore {
  readonly gated: Gated[] = [];

  constructor(readonly inner: ActorStore) {}

  wrap(): ActorStore {
    const inner = this.inner;
    return delegatingStore(inner, {
      persist: <S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> =>
        new Promise((resolve) => this.gated.push({ key, record, options, resolve })),
    });
  }

  /** Writes the first n gated persists, in order, as one group; resolves once they settled. */
  async commit(n = this.gated.length): Promise<void> {
    const group = this.gated.splice(0, n);
    const results = group.map((g) => this.inner.persist(g.key, g.record, g.options));
    for (let i = 0; i < group.length; i++) group[i]!.resolve(await results[i]!);
    await settle();
  }

  async fail(n: number): Promise<void> {
    for (const g of this.gated.splice(0, n)) g.resolve(err(StoreIo('disk on fire')));
    await settle();
  }
}

function setup(t: { after: (fn: () => Promise<void>) => void }, options: ActorSystemOptions = {}) {
  const gate = new GateStore(createMemoryStore());
  const clock = new VirtualClock(0);
  const events: InspectionEvent[] = [];
  const system = createActorSystem({ clock, store: gate.wrap(), seed: 5, restart: { intensity: 5, periodMs: 10_000, backoff: { minMs: 0, maxMs: 0, jitter: 0 } }, ...options });
  system.inspect((e) => events.push(e));
  assert.ok(system.register(counter).ok);
  t.after(() => system.stop());
  const c = system.ref(counter, 'c');
  const replies: string[] = [];
  /** Asks, recording `label=value` (or `label!CODE`) in the order replies arrive. */
  const ask = (label: string, msg: CounterMsg): Promise<Result<number>> =>
    c.ask(msg, { timeoutMs: 600_000 }).then((r) => {
      replies.push(r.ok ? `${label}=${r.value}` : `${label}!${r.error.code}`);
      return r;
    });
  const received = (): number => events.filter((e) => e.type === 'received').length;
  return { gate, clock, system, events, ask, replies, received };
}

async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await settle();
}

void test('handlers run ahead of their commits; replies wait for durability and keep mailbox order', async (t) => {
  const { gate, ask, replies, received } = setup(t);
  const all = [ask('a1', { type: 'add', n: 1 }), ask('a2', { type: 'add', n: 2 }), ask('g', { type: 'get' }), ask('a3', { type: 'add', n: 3 })];
  await turns();
  assert.equal(received(), 4, 'every message was handled before any commit');
  assert.equal(gate.gated.length, 3, 'three writes are pending at once');
  assert.deepEqual(replies, [], 'no reply before its write is durable');

  await gate.commit(1);
  assert.deepEqual(replies, ['a1=1']);
  assert.equal(gate.inner.load<{ total: number }>('counter/c')?.state.total, 1);
  // The read saw a2's state, so it waits for a2's write too.
  await gate.commit(1);
  assert.deepEqual(replies, ['a1=1', 'a2=3', 'g=3']);
  await gate.commit(1);
  assert.deepEqual(replies, ['a1=1', 'a2=3', 'g=3', 'a3=6']);
  await Promise.all(all);
  assert.equal(gate.inner.load<{ total: number }>('counter/c')?.revision, 3);
});

void test('a serial writer is not bounded by one commit per message: 50 messages, one commit', async (t) => {
  const { gate, ask, replies, received } = setup(t);
  const all = Array.from({ length: 50 }, (_, i) => ask(`a${i}`, { type: 'add', n: 1 }));
  await turns(60);
  assert.equal(received(), 50);
  assert.equal(gate.gated.length, 50, 'fifty writes wait for the same commit');
  assert.equal(replies.length, 0);
  await gate.commit();
  const values = (await Promise.all(all)).map((r) => (r.ok ? r.value : -1));
  assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => i + 1));
  assert.deepEqual(replies, values.map((v, i) => `a${i}=${v}`), 'replies in mailbox order');
});

void test('a failed write fails every reply held behind it, crashes the activation and reloads what is stored', async (t) => {
  const { gate, ask, replies, events } = setup(t);
  const all = [ask('a1', { type: 'add', n: 1 }), ask('a2', { type: 'add', n: 2 }), ask('g', { type: 'get' }), ask('a3', { type: 'add', n: 4 })];
  await turns();
  assert.equal(gate.gated.length, 3);
  await gate.commit(1);
  await gate.fail(1);
  // a2 failed; the read and a3 saw its unwritten state: they fail too, without waiting for a3's write.
  assert.deepEqual(replies, ['a1=1', 'a2!STORE_IO', 'g!STORE_IO', 'a3!STORE_IO']);
  await gate.commit(); // a3's write reaches the store behind the failed one: a revision conflict, nothing written
  await turns();
  assert.ok(events.some((e) => e.type === 'failed' && e.path === 'counter/c' && e.error.code === 'STORE_IO'), 'the activation crashed');
  assert.ok(events.some((e) => e.type === 'restarted' && e.path === 'counter/c'), 'and restarted without waiting for a message');
  const after = ask('g2', { type: 'get' });
  await turns();
  assert.deepEqual(await after, { ok: true, value: 1 }, 'the restarted activation reloaded the stored total');
  await Promise.all(all);
  assert.equal(gate.inner.load<{ total: number }>('counter/c')?.revision, 1);
});

void test('a message queued behind a failure waits for the restart instead of failing', async (t) => {
  const { gate, ask, replies } = setup(t);
  const first = ask('a1', { type: 'add', n: 5 });
  await turns();
  // The failure is known while nothing runs; a read arrives in the same turn, before the crash.
  await gate.fail(1);
  const read = ask('g', { type: 'get' });
  await turns();
  assert.deepEqual(await first, { ok: false, error: { code: 'STORE_IO', message: 'disk on fire', status: 500, retryable: true } });
  assert.deepEqual(await read, { ok: true, value: 0 });
  assert.deepEqual(replies, ['a1!STORE_IO', 'g=0']);
});

void test('a crash keeps the replies of writes that commit; passivation waits for pending writes', async (t) => {
  const { gate, clock, system, ask, replies } = setup(t, { idleAfterMs: 1000, passivationScanMs: 500 });
  const added = ask('a1', { type: 'add', n: 7 });
  const boom = ask('x', { type: 'explode' });
  await turns();
  assert.deepEqual(replies, ['x!INTERNAL'], 'the crash answers its own asker at once');
  assert.equal(gate.gated.length, 1);
  await clock.advanceAsync(5000);
  assert.equal(system.activeCount('counter'), 1, 'not passivated while a write is pending');
  await gate.commit();
  assert.deepEqual(await added, { ok: true, value: 7 }, 'the earlier write committed: its reply is released');
  await boom;
  assert.deepEqual(await ask('g', { type: 'get' }), { ok: true, value: 7 });
  await clock.advanceAsync(5000);
  assert.equal(system.activeCount('counter'), 0, 'passivated once idle with nothing pending');
});
