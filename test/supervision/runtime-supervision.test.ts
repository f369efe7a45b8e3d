// Supervision on a virtual clock: which children each strategy restarts (with their state
// reset), restart budgets that escalate to the parent and, at the root, to onFatal, backoff
// delays between restarts (exponential, jittered by a seeded generator), and stop order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settle, VirtualClock } from '../../transports/clock.js';
import { backoffDelay, createActorSystem, defineActor, seededRandom } from '../../supervision/index.js';
import type { ActorRef, ActorSystemOptions, InspectionEvent, Strategy, SupervisorRef } from '../../supervision/index.js';

type WorkerMsg = { type: 'add' } | { type: 'get' } | { type: 'boom' };

const worker = (name: string) =>
  defineActor<number, WorkerMsg, number>({
    name,
    messageTypes: { add: true, get: true, boom: true },
    init: () => 0,
    handle(ctx, msg) {
      switch (msg.type) {
        case 'add':
          ctx.setState(ctx.state + 1);
          return ctx.state;
        case 'get':
          return ctx.state;
        case 'boom':
          throw new Error(`${ctx.path} exploded`);
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
  });

const NO_BACKOFF = { minMs: 0, maxMs: 0 };

function setup(t: { after: (fn: () => Promise<void>) => void }, options: ActorSystemOptions = {}) {
  const clock = new VirtualClock(0);
  const events: InspectionEvent[] = [];
  const system = createActorSystem({ clock, seed: 7, ...options });
  system.inspect((e) => events.push(e));
  t.after(() => system.stop());
  return { clock, system, events };
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { code: string } }): T {
  if (!r.ok) throw new Error(`unexpected error ${r.error.code}`);
  return r.value;
}

async function values(refs: ActorRef<WorkerMsg, number>[]): Promise<number[]> {
  return Promise.all(refs.map(async (r) => unwrap(await r.ask({ type: 'get' }))));
}

async function crashAndCheck(strategy: Strategy): Promise<void> {
  await test(strategy, async (t) => {
    const { system, events } = setup(t);
    const sup = unwrap(system.supervisor({ name: 'sup', strategy, intensity: 5, periodMs: 1000, backoff: NO_BACKOFF }));
    const refs = ['a', 'b', 'c'].map((n) => unwrap(sup.spawn(worker(n))));
    for (const r of refs) for (let i = 0; i < 3; i++) unwrap(await r.ask({ type: 'add' }));
    assert.deepEqual(await values(refs), [3, 3, 3]);
    const crash = await refs[1]!.ask({ type: 'boom' });
    assert.equal(!crash.ok && crash.error.code, 'INTERNAL', 'the asker of the failing message gets the failure');
    const after = await values(refs);
    const restarted = events.filter((e) => e.type === 'restarted').map((e) => e.path);
    switch (strategy) {
      case 'one-for-one':
        assert.deepEqual(after, [3, 0, 3]);
        assert.deepEqual(restarted, ['/sup/b']);
        break;
      case 'one-for-all':
        assert.deepEqual(after, [0, 0, 0]);
        assert.deepEqual(restarted, ['/sup/a', '/sup/b', '/sup/c']);
        break;
      case 'rest-for-one':
        assert.deepEqual(after, [3, 0, 0]);
        assert.deepEqual(restarted, ['/sup/b', '/sup/c']);
        break;
    }
    const failed = events.find((e) => e.type === 'failed');
    assert.ok(failed?.type === 'failed' && failed.path === '/sup/b' && failed.messageType === 'boom');
    // Every child keeps serving after the restart.
    for (const r of refs) unwrap(await r.ask({ type: 'add' }));
  });
}

void test('strategies restart the failed child, all children, or the failed one and those started after it', async () => {
  await crashAndCheck('one-for-one');
  await crashAndCheck('one-for-all');
  await crashAndCheck('rest-for-one');
});

void test('a spent budget stops the children and escalates to the parent; at the root it is fatal', async (t) => {
  const fatal: InspectionEvent[] = [];
  const { system, events } = setup(t, {
    restart: { intensity: 1, periodMs: 60_000, backoff: NO_BACKOFF },
    onFatal: (e) => fatal.push(e),
  });
  const sup = unwrap(system.supervisor({ name: 'sup', strategy: 'one-for-one', intensity: 2, periodMs: 1000, backoff: NO_BACKOFF }));
  const w = unwrap(sup.spawn(worker('w')));
  unwrap(await w.ask({ type: 'add' }));
  for (let i = 0; i < 2; i++) await w.ask({ type: 'boom' });
  assert.equal(events.filter((e) => e.type === 'restarted' && e.path === '/sup/w').length, 2);
  assert.equal(events.some((e) => e.type === 'escalated'), false, 'within budget: no escalation');

  // Third failure within the period: the budget (2) is spent.
  await w.ask({ type: 'boom' });
  const escalated = events.filter((e) => e.type === 'escalated');
  assert.equal(escalated.length, 1);
  assert.ok(escalated[0]!.type === 'escalated' && escalated[0]!.path === '/sup' && !escalated[0]!.fatal);
  const stoppedAt = events.findIndex((e) => e.type === 'stopped' && e.path === '/sup/w');
  const escalatedAt = events.findIndex((e) => e.type === 'escalated');
  assert.ok(stoppedAt >= 0 && stoppedAt < escalatedAt, 'children stopped before escalating');
  // The root (one-for-one, budget 1) restarted the supervisor, which started its child again.
  assert.ok(events.some((e) => e.type === 'restarted' && e.path === '/sup' && e.reason.code === 'ESCALATED'));
  assert.equal(unwrap(await w.ask({ type: 'get' })), 0);
  assert.equal(fatal.length, 0);

  // Spend the supervisor's budget again: the root's own budget (1 restart) is now spent too.
  for (let i = 0; i < 3; i++) await w.ask({ type: 'boom' });
  assert.equal(fatal.length, 1, 'root escalation reaches onFatal');
  assert.ok(fatal[0]!.type === 'escalated' && fatal[0]!.path === '/' && fatal[0]!.fatal);
  assert.ok(events.some((e) => e.type === 'escalated' && e.fatal), 'and the inspection stream');
  const after = await w.ask({ type: 'get' });
  assert.equal(!after.ok && after.error.code, 'ACTOR_STOPPED');
});

void test('backoff between restarts grows exponentially with seeded jitter, on the clock', async (t) => {
  const policy = { minMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 };
  const { clock, system, events } = setup(t, { seed: 42 });
  const sup = unwrap(system.supervisor({ name: 'sup', strategy: 'one-for-one', intensity: 10, periodMs: 60_000, backoff: policy }));
  const w = unwrap(sup.spawn(worker('w')));
  const expectedRandom = seededRandom(42);
  const bases = [100, 200, 400, 800, 1000, 1000];
  for (let attempt = 1; attempt <= bases.length; attempt++) {
    unwrap(await w.ask({ type: 'add' }));
    await w.ask({ type: 'boom' });
    const expected = backoffDelay(policy, attempt, expectedRandom);
    const restarted = events.filter((e) => e.type === 'restarted');
    const last = restarted[restarted.length - 1]!;
    assert.ok(last.type === 'restarted');
    assert.equal(last.attempt, attempt);
    assert.equal(last.backoffMs, expected);
    const base = bases[attempt - 1]!;
    assert.ok(last.backoffMs >= base && last.backoffMs <= base * 1.5, `${last.backoffMs} within [${base}, ${base * 1.5}]`);

    // Messages wait out the backoff: no answer one millisecond early, the fresh state right after.
    let answered = false;
    const pending = w.ask({ type: 'get' }, { timeoutMs: 60_000 }).then((r) => {
      answered = true;
      return r;
    });
    await clock.advanceAsync(expected - 1);
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(answered, false, `held during the ${expected} ms backoff`);
    await clock.advanceAsync(1);
    assert.deepEqual(await pending, { ok: true, value: 0 });
  }
  // Once the window has passed, the budget and the backoff start over.
  await clock.advanceAsync(60_000);
  await w.ask({ type: 'boom' });
  const last = events.filter((e) => e.type === 'restarted').pop()!;
  assert.ok(last.type === 'restarted' && last.attempt === 1 && last.backoffMs >= 100 && last.backoffMs <= 150);
});

void test('stopping stops children before their parent, last started first', async (t) => {
  const { system, events } = setup(t);
  const sup = unwrap(system.supervisor({ name: 'sup', strategy: 'one-for-one' }));
  const inner: SupervisorRef = unwrap(sup.supervisor({ name: 'inner', strategy: 'one-for-all' }));
  unwrap(sup.spawn(worker('a')));
  unwrap(inner.spawn(worker('x')));
  unwrap(inner.spawn(worker('y')));
  const c = unwrap(sup.spawn(worker('c')));
  assert.deepEqual(sup.children, ['inner', 'a', 'c']);
  unwrap(system.supervisorRoot.stopChild('sup'));
  const order = events.filter((e) => e.type === 'stopped').map((e) => e.path);
  assert.deepEqual(order, ['/sup/c', '/sup/a', '/sup/inner/y', '/sup/inner/x', '/sup/inner', '/sup']);
  const r = await c.ask({ type: 'get' });
  assert.equal(!r.ok && r.error.code, 'ACTOR_STOPPED');
  // The name is free again.
  assert.ok(system.supervisor({ name: 'sup', strategy: 'one-for-one' }).ok);
});

void test('an init() that fails on restart counts against the budget, and an escalation ends the restart', async (t) => {
  const fatal: InspectionEvent[] = [];
  const { system, events } = setup(t, { restart: { intensity: 0, periodMs: 1000, backoff: NO_BACKOFF }, onFatal: (e) => fatal.push(e) });
  let initFails = false;
  const sup = unwrap(system.supervisor({ name: 'sup', strategy: 'one-for-all', intensity: 2, periodMs: 1000, backoff: NO_BACKOFF }));
  const fragile = defineActor<number, WorkerMsg, number>({
    ...worker('x'),
    init: () => {
      if (initFails) throw new Error('cannot start');
      return 0;
    },
  });
  unwrap(sup.spawn(fragile));
  const y = unwrap(sup.spawn(worker('y')));
  unwrap(await y.ask({ type: 'add' }));
  initFails = true;
  const crash = await y.ask({ type: 'boom' });
  assert.equal(!crash.ok && crash.error.code, 'INTERNAL');
  // boom (1st restart) → x's init fails (2nd) → fails again: budget of 2 spent.
  assert.deepEqual(
    events.filter((e) => e.type === 'failed').map((e) => e.type === 'failed' && e.messageType),
    ['boom', undefined, undefined],
  );
  assert.equal(events.filter((e) => e.type === 'escalated' && e.path === '/sup').length, 1);
  assert.equal(fatal.length, 1, 'the root, with no budget, reports it as fatal');
  const after = await y.ask({ type: 'get' });
  assert.equal(!after.ok && after.error.code, 'ACTOR_STOPPED', 'y is not started again after the escalation');
});
