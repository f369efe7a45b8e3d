// Passivation and reactivation of virtual actors on a virtual clock: no message is lost when it
// arrives while the actor is passivated or still activating; activation timers die with the
// activation; durable reminders survive a new system over the same store and wake passivated
// actors; and concurrent first messages activate an actor once, under fast-check interleavings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { settle, VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, defineKind } from '../../supervision/index.js';
import type { ActorStore, InspectionEvent, KindDefinition, MemoryStore } from '../../supervision/index.js';

interface Tally {
  total: number;
  seen: string[];
  reminded: number;
  ticks: number;
}
type TallyMsg =
  | { type: 'add'; amount: number; tag: string }
  | { type: 'read' }
  | { type: 'remind'; inMs: number; periodMs?: number }
  | { type: 'tick-every'; ms: number }
  | { type: 'forget' };

function tallyKind(hooks: Partial<Pick<KindDefinition<Tally, TallyMsg, Tally>, 'onActivate'>> = {}) {
  return defineKind<Tally, TallyMsg, Tally>({
    name: 'tally',
    messageTypes: { add: true, read: true, remind: true, 'tick-every': true, forget: true },
    initialState: { total: 0, seen: [], reminded: 0, ticks: 0 },
    idleAfterMs: 1000,
    ...hooks,
    async handle(ctx, msg) {
      switch (msg.type) {
        case 'add':
          await ctx.persist({ ...ctx.state, total: ctx.state.total + msg.amount, seen: [...ctx.state.seen, msg.tag] });
          return ctx.state;
        case 'read':
          return ctx.state;
        case 'remind':
          await ctx.setReminder('wake', msg.inMs, msg.periodMs === undefined ? {} : { periodMs: msg.periodMs });
          return ctx.state;
        case 'tick-every':
          ctx.setTimer('tick', msg.ms, { repeat: true });
          return ctx.state;
        case 'forget':
          await ctx.cancelReminder('wake');
          return ctx.state;
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
    async onReminder(ctx, name) {
      assert.equal(name, 'wake');
      await ctx.persist({ ...ctx.state, reminded: ctx.state.reminded + 1 });
    },
    onTimer(ctx) {
      ctx.state.ticks++;
    },
  });
}

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore, kind = tallyKind(), clock = new VirtualClock(0)) {
  const events: InspectionEvent[] = [];
  const system = createActorSystem({ clock, store, seed: 5, passivationScanMs: 250, askTimeoutMs: 1e9 });
  system.inspect((e) => events.push(e));
  assert.ok(system.register(kind).ok);
  t.after(() => system.stop());
  return { clock, system, events };
}

const count = (events: InspectionEvent[], type: InspectionEvent['type'], path = 'tally/t1') => events.filter((e) => e.type === type && e.path === path).length;

void test('idle actors are passivated by the scan and come back from the store on their next message', async (t) => {
  const { clock, system, events } = setup(t, createMemoryStore());
  const ref = system.ref(tallyKind(), 't1');
  await ref.ask({ type: 'add', amount: 1, tag: 'a' });
  await clock.advanceAsync(999);
  assert.equal(system.activeCount('tally'), 1, 'not idle long enough');
  await clock.advanceAsync(1000);
  assert.equal(system.activeCount('tally'), 0);
  assert.equal(count(events, 'passivated'), 1);
  // The same ref (it kept the old activation) reactivates a new one.
  const r = await ref.ask({ type: 'add', amount: 2, tag: 'b' });
  assert.deepEqual(r.ok && r.value.seen, ['a', 'b']);
  assert.equal(count(events, 'activated'), 2);
});

void test('messages sent while passivating or activating are held and delivered in order', async (t) => {
  let openGate: () => void = () => {};
  let gated = false;
  const kind = tallyKind({
    async onActivate() {
      if (gated) await new Promise<void>((resolve) => (openGate = resolve));
    },
  });
  const { clock, system, events } = setup(t, createMemoryStore(), kind);
  const ref = system.ref(kind, 't1');
  await ref.ask({ type: 'add', amount: 1, tag: 'first' });

  // A message sent from inside the passivation (its inspection event fires synchronously).
  const during: Promise<unknown>[] = [];
  const unsubscribe = system.inspect((e) => {
    if (e.type === 'passivated') during.push(ref.ask({ type: 'add', amount: 1, tag: 'during-passivation' }));
  });
  gated = true;
  await clock.advanceAsync(2000);
  unsubscribe();
  assert.equal(count(events, 'passivated'), 1);
  assert.equal(during.length, 1);

  // The reactivation waits on the gate; more messages queue behind it.
  for (let i = 0; i < 3; i++) during.push(ref.ask({ type: 'add', amount: 1, tag: `during-activation-${i}` }));
  for (let i = 0; i < 10; i++) await settle();
  assert.equal(count(events, 'activated'), 1, 'second activation not finished');
  openGate();
  await Promise.all(during);
  const final = await ref.ask({ type: 'read' });
  assert.deepEqual(final.ok && final.value.seen, ['first', 'during-passivation', 'during-activation-0', 'during-activation-1', 'during-activation-2']);
  assert.equal(count(events, 'activated'), 2);
});

void test('activation timers fire on the clock and die with the activation', async (t) => {
  const { clock, system, events } = setup(t, createMemoryStore());
  const ref = system.ref(tallyKind(), 't1');
  await ref.ask({ type: 'tick-every', ms: 100 });
  await clock.advanceAsync(350);
  const r = await ref.ask({ type: 'read' });
  assert.equal(r.ok && r.value.ticks, 3);
  // Timers do not keep an actor alive: it is passivated, and its timer stops firing.
  await clock.advanceAsync(2000);
  assert.equal(system.activeCount('tally'), 0);
  const fired = count(events, 'timer-fired');
  await clock.advanceAsync(1000);
  assert.equal(count(events, 'timer-fired'), fired);
  assert.equal(system.activeCount('tally'), 0);
});

void test('a reminder survives a new system over the same store and wakes a passivated actor', async (t) => {
  const store: MemoryStore = createMemoryStore();
  const clock = new VirtualClock(0);
  const first = createActorSystem({ clock, store, seed: 1 });
  assert.ok(first.register(tallyKind()).ok);
  const set = await first.ref(tallyKind(), 't1').ask({ type: 'remind', inMs: 10_000, periodMs: 5000 });
  assert.ok(set.ok);
  await first.stop();
  assert.deepEqual(store.reminders(), [{ key: 'tally/t1', name: 'wake', dueAt: 10_000, periodMs: 5000 }]);

  // "Process restart": a new system on the same store and clock.
  const { system, events } = setup(t, store, tallyKind(), clock);
  assert.equal(system.activeCount(), 0);
  await clock.advanceAsync(9_999);
  assert.equal(count(events, 'reminder-fired'), 0);
  await clock.advanceAsync(1);
  await store.flushed();
  assert.equal(count(events, 'reminder-fired'), 1);
  assert.equal(count(events, 'activated'), 1, 'the reminder activated the actor');
  assert.equal(store.load<Tally>('tally/t1')?.state.reminded, 1);
  assert.equal(store.reminders()[0]?.dueAt, 15_000, 'rescheduled one period later');

  // Idle: passivated before the next period; the reminder wakes it again.
  await clock.advanceAsync(2_000);
  assert.equal(system.activeCount('tally'), 0);
  await clock.advanceAsync(3_000);
  await store.flushed();
  assert.equal(count(events, 'reminder-fired'), 2);
  assert.equal(count(events, 'activated'), 2);
  const r = await system.ref(tallyKind(), 't1').ask({ type: 'read' });
  assert.equal(r.ok && r.value.reminded, 2);
});

void test('a one-shot reminder fires once and is deleted; a cancelled one never fires', async (t) => {
  const store = createMemoryStore();
  const { clock, system, events } = setup(t, store);
  const t1 = system.ref(tallyKind(), 't1');
  const t2 = system.ref(tallyKind(), 't2');
  assert.ok((await t1.ask({ type: 'remind', inMs: 5000 })).ok);
  assert.ok((await t2.ask({ type: 'remind', inMs: 5000 })).ok);
  assert.equal(store.reminders().length, 2);
  assert.ok((await t2.ask({ type: 'forget' })).ok);
  assert.deepEqual(store.reminders().map((r) => r.key), ['tally/t1']);
  await clock.advanceAsync(20_000);
  await store.flushed();
  assert.equal(count(events, 'reminder-fired'), 1);
  assert.equal(count(events, 'reminder-fired', 'tally/t2'), 0);
  assert.deepEqual(store.reminders(), []);
  assert.equal(store.load<Tally>('tally/t1')?.state.reminded, 1);
});

void test('concurrent first messages activate an actor once (fast-check scheduler)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 8 }), fc.integer({ min: 0, max: 3 }), async (s, amounts, scans) => {
      const store = createMemoryStore();
      const clock = new VirtualClock(0);
      let live = 0;
      let maxLive = 0;
      const kind = tallyKind({
        async onActivate() {
          live++;
          maxLive = Math.max(maxLive, live);
          await s.schedule(Promise.resolve('activation step'));
        },
      });
      const system = createActorSystem({ clock, store, seed: 1, askTimeoutMs: 1e9 });
      system.inspect((e) => {
        if (e.type === 'passivated') live--;
      });
      system.register(kind);
      try {
        // Each send and scan starts when the scheduler releases it, in an order it picks.
        const replies = amounts.map((amount, i) =>
          s.schedule(Promise.resolve(`send m${i}`)).then(() => system.ref(kind, 't1').ask({ type: 'add', amount, tag: `m${i}` })),
        );
        const scanning = Array.from({ length: scans }, (_, i) =>
          s.schedule(Promise.resolve(`scan ${i}`)).then(() => {
            clock.advance(kind.idleAfterMs! + 1);
            system.passivateIdle();
            clock.advance(kind.idleAfterMs! + 1);
            system.passivateIdle();
          }),
        );
        let done = false;
        const all = Promise.all([...replies, ...scanning]).finally(() => (done = true));
        while (!done) {
          await s.waitAll();
          await settle();
        }
        const results = await all;
        for (const r of results.slice(0, amounts.length)) assert.ok((r as { ok: boolean }).ok);
        assert.equal(maxLive, 1, 'never two activations at once');
        const total = amounts.reduce((a, b) => a + b, 0);
        const final = await system.ref(kind, 't1').ask({ type: 'read' });
        assert.ok(final.ok);
        assert.equal(final.value.total, total, 'every message applied exactly once');
        assert.equal(final.value.seen.length, amounts.length);
      } finally {
        await system.stop();
      }
    }),
    { numRuns: 60, seed: 20260101 },
  );
});
