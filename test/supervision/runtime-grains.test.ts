// Virtual actors over a store: activation from stored state, persist-before-reply (a held-back
// persist holds the reply back), fenced writes crash the actor, de-duplication of redelivered
// (inc, seq), BAD_MESSAGE for malformed bodies, and restarts that reload from the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delegatingStore } from '../helpers/store-wrapper.js';
import { settle, VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { shardOf } from '../../transports/topics.js';
import { createActorSystem, createMemoryStore, defineKind } from '../../supervision/index.js';
import type { ActorStore, ActorSystemOptions, InspectionEvent, PersistOptions, StoredRecord } from '../../supervision/index.js';

interface Account {
  balance: number;
  scratch: number;
}
type AccountMsg = { type: 'deposit'; amount: number } | { type: 'balance' } | { type: 'scribble' } | { type: 'explode' } | { type: 'sloppy'; amount: number };

const account = defineKind<Account, AccountMsg, number>({
  name: 'account',
  messageTypes: { deposit: true, balance: true, scribble: true, explode: true, sloppy: true },
  initialState: { balance: 0, scratch: 0 },
  async handle(ctx, msg) {
    switch (msg.type) {
      case 'deposit':
        await ctx.persist({ ...ctx.state, balance: ctx.state.balance + msg.amount });
        return ctx.state.balance;
      case 'balance':
        return ctx.state.balance;
      case 'scribble':
        // In-memory only: a restart reloads the stored state and loses it.
        ctx.state.scratch++;
        return ctx.state.scratch;
      case 'explode':
        throw new Error('boom');
      case 'sloppy':
        // Forgets to await its persist: the reply must still wait for it.
        void ctx.persist({ ...ctx.state, balance: ctx.state.balance + msg.amount });
        return -1;
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

/** A store whose persists wait for release() (or fail with `failWith`). */
class HeldStore {
  readonly held: Array<() => void> = [];
  hold = false;

  constructor(readonly inner: ActorStore) {}

  wrap(): ActorStore {
    const inner = this.inner;
    return delegatingStore(inner, {
      persist: <S>(key: string, record: StoredRecord<S>, options: PersistOptions): Promise<Result<void>> => {
        if (!this.hold) return inner.persist(key, record, options);
        return new Promise<void>((resolve) => this.held.push(resolve)).then(() => inner.persist(key, record, options));
      },
    });
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore, options: ActorSystemOptions = {}) {
  const clock = new VirtualClock(0);
  const events: InspectionEvent[] = [];
  const system = createActorSystem({ clock, store, seed: 3, restart: { intensity: 2, periodMs: 10_000, backoff: { minMs: 50, maxMs: 50, jitter: 0 } }, ...options });
  system.inspect((e) => events.push(e));
  assert.ok(system.register(account).ok);
  t.after(() => system.stop());
  return { clock, system, events };
}

void test('state is loaded on activation and persisted with revision, epoch and dedup marks', async (t) => {
  const store = createMemoryStore();
  await store.acquireShard(shardOf('account', 'a1'), 'node-1');
  const { system } = setup(t, store);
  const a1 = system.ref(account, 'a1');
  assert.deepEqual(await a1.ask({ type: 'deposit', amount: 5 }), { ok: true, value: 5 });
  assert.deepEqual(await system.deliver('account', 'a1', { type: 'deposit', amount: 2 }, { inc: 'client-1', seq: 1 }), { ok: true, value: 7 });
  const record = store.load<Account>('account/a1')!;
  assert.deepEqual(record, { state: { balance: 7, scratch: 0 }, revision: 2, epoch: 1, dedup: { 'client-1': 1 } });

  // A second system over the same store sees the same actor.
  const other = createActorSystem({ clock: new VirtualClock(0), store });
  t.after(() => other.stop());
  assert.ok(other.register(account).ok);
  assert.deepEqual(await other.ref(account, 'a1').ask({ type: 'balance' }), { ok: true, value: 7 });
  assert.equal(other.servesKind('account'), true);
  assert.equal(other.servesKind('volume'), false);
  assert.equal(other.shardEpoch(shardOf('account', 'a1')), 1);
});

void test('no reply is observed before the persist resolves', async (t) => {
  const held = new HeldStore(createMemoryStore());
  const { system } = setup(t, held.wrap());
  const a = system.ref(account, 'held');
  held.hold = true;
  for (const msg of [{ type: 'deposit', amount: 3 } as const, { type: 'sloppy', amount: 4 } as const]) {
    let replied = false;
    const reply = a.ask(msg, { timeoutMs: 60_000 }).then((r) => {
      replied = true;
      return r;
    });
    for (let i = 0; i < 20; i++) await settle();
    assert.equal(held.held.length, 1, 'the persist was issued');
    assert.equal(replied, false, `${msg.type}: no reply while the persist is held`);
    assert.equal(held.inner.load('account/held')?.revision ?? 0, msg.type === 'deposit' ? 0 : 1);
    held.release();
    const r = await reply;
    assert.ok(r.ok);
  }
  assert.equal(held.inner.load<Account>('account/held')?.state.balance, 7);
});

void test('a fenced persist crashes the actor: the asker gets STORE_FENCED and the activation ends', async (t) => {
  const store = createMemoryStore();
  const shard = shardOf('account', 'fenced');
  await store.acquireShard(shard, 'old-owner');
  // This system writes under epoch 1; another node then takes the shard (epoch 2).
  const { system, events } = setup(t, store, { shardEpoch: () => 1 });
  const a = system.ref(account, 'fenced');
  assert.ok((await a.ask({ type: 'deposit', amount: 1 })).ok);
  await store.acquireShard(shard, 'new-owner');
  const r = await a.ask({ type: 'deposit', amount: 1 });
  assert.equal(!r.ok && r.error.code, 'STORE_FENCED');
  assert.ok(events.some((e) => e.type === 'stopped' && e.path === 'account/fenced' && e.reason === 'fenced'));
  assert.equal(system.activeCount('account'), 0);
  assert.equal(store.load<Account>('account/fenced')?.state.balance, 1, 'the refused write changed nothing');
});

void test('a redelivered (inc, seq) is applied once and answered the same', async (t) => {
  const store = createMemoryStore();
  const { clock, system, events } = setup(t, store, { idleAfterMs: 1000, passivationScanMs: 500 });
  const send = (seq: number, amount: number) => system.deliver('account', 'd1', { type: 'deposit', amount }, { inc: 'sender-A', seq, timeoutMs: 60_000 });
  assert.deepEqual(await send(1, 10), { ok: true, value: 10 });
  assert.deepEqual(await send(1, 10), { ok: true, value: 10 }, 'duplicate: same answer');
  assert.deepEqual(await send(2, 5), { ok: true, value: 15 });
  assert.deepEqual(await send(1, 10), { ok: false, error: { code: 'ALREADY_APPLIED', message: 'account/d1 applied (sender-A, 1) before', status: 409, retryable: false, details: { inc: 'sender-A', seq: 1 } } });
  // Another sender incarnation is independent.
  assert.deepEqual(await system.deliver('account', 'd1', { type: 'deposit', amount: 1 }, { inc: 'sender-B', seq: 1 }), { ok: true, value: 16 });
  assert.equal(events.filter((e) => e.type === 'duplicate').length, 2);

  // Passivated: the marks come back from the store, the replies do not.
  await clock.advanceAsync(3000);
  assert.equal(system.activeCount('account'), 0);
  const again = await send(2, 5);
  assert.equal(!again.ok && again.error.code, 'ALREADY_APPLIED');
  assert.deepEqual(await system.ref(account, 'd1').ask({ type: 'balance' }), { ok: true, value: 16 });
  assert.deepEqual(store.load('account/d1')?.dedup, { 'sender-A': 2, 'sender-B': 1 });
});

void test('malformed bodies answer BAD_MESSAGE without waking the actor; it keeps serving', async (t) => {
  const { system, events } = setup(t, createMemoryStore());
  for (const body of [undefined, 'deposit', [], { type: 3 }, { type: 'withdraw' }]) {
    const r = await system.deliver('account', 'b1', body);
    assert.equal(!r.ok && r.error.code, 'BAD_MESSAGE', JSON.stringify(body));
  }
  assert.equal(events.some((e) => e.type === 'activated'), false);
  assert.deepEqual(await system.deliver('account', 'b1', { type: 'deposit', amount: 1 }), { ok: true, value: 1 });
  assert.equal(((await system.deliver('account', 'b1', { type: 'nope' })) as { ok: false; error: { code: string } }).error.code, 'BAD_MESSAGE');
  assert.deepEqual(await system.deliver('account', 'b1', { type: 'balance' }), { ok: true, value: 1 });
  const unknown = await system.deliver('volume', 'v1', { type: 'balance' });
  assert.equal(!unknown.ok && unknown.error.code, 'UNKNOWN_KIND');
  const badId = await system.deliver('account', 'a/b', { type: 'balance' });
  assert.equal(!badId.ok && badId.error.code, 'ACTOR_BAD_NAME');
  const dup = system.register(account);
  assert.equal(!dup.ok && dup.error.code, 'KIND_TAKEN');
});

void test('a crash restarts the activation from the store after backoff; a spent budget deactivates it', async (t) => {
  const { clock, system, events } = setup(t, createMemoryStore());
  const a = system.ref(account, 'c1');
  assert.deepEqual(await a.ask({ type: 'deposit', amount: 4 }), { ok: true, value: 4 });
  assert.deepEqual(await a.ask({ type: 'scribble' }), { ok: true, value: 1 });
  const crash = await a.ask({ type: 'explode' });
  assert.equal(!crash.ok && crash.error.code, 'INTERNAL');
  const restarted = events.filter((e) => e.type === 'restarted');
  assert.ok(restarted[0]?.type === 'restarted' && restarted[0].backoffMs === 50 && restarted[0].path === 'account/c1');
  // Held during the backoff, then served by the reloaded activation (scratch is gone).
  const during = a.ask({ type: 'scribble' }, { timeoutMs: 60_000 });
  await clock.advanceAsync(50);
  assert.deepEqual(await during, { ok: true, value: 1 });
  assert.deepEqual(await a.ask({ type: 'balance' }), { ok: true, value: 4 });

  // Budget 2 per 10 s: the third crash deactivates; queued messages get ESCALATED.
  await a.ask({ type: 'explode' });
  await clock.advanceAsync(50);
  const third = a.ask({ type: 'explode' });
  const queued = a.ask({ type: 'balance' }, { timeoutMs: 60_000 });
  assert.equal(((await third) as { ok: false; error: { code: string } }).error?.code, 'INTERNAL');
  assert.equal(((await queued) as { ok: false; error: { code: string } }).error?.code, 'ESCALATED');
  assert.ok(events.some((e) => e.type === 'escalated' && e.path === 'account/c1' && !e.fatal));
  // Virtual actors always exist: the next message activates it afresh.
  assert.deepEqual(await a.ask({ type: 'balance' }), { ok: true, value: 4 });
});
