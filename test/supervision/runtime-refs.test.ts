// Typed refs and request/reply of the actor runtime: asks answer values, deadlines on the
// virtual clock answer TIMEOUT, names are unique, malformed messages are answered BAD_MESSAGE
// while the actor keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../transports/clock.js';
import { createActorSystem, defineActor, refuse } from '../../supervision/index.js';
import { BadRequest } from '../../transports/errors.js';
import type { ActorRef } from '../../supervision/index.js';

type CounterMsg = { type: 'add'; n: number } | { type: 'get' } | { type: 'hang' };

const counter = (name: string) =>
  defineActor<number, CounterMsg, number>({
    name,
    messageTypes: { add: true, get: true, hang: true },
    init: () => 0,
    handle(ctx, msg) {
      switch (msg.type) {
        case 'add':
          ctx.setState(ctx.state + msg.n);
          return ctx.state;
        case 'get':
          return ctx.state;
        case 'hang':
          return new Promise<number>(() => {}); // never answers: the asker's deadline decides
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
  });

function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const clock = new VirtualClock(1_000);
  const system = createActorSystem({ clock, seed: 1 });
  t.after(() => system.stop());
  return { clock, system };
}

void test('ask returns the handler reply as a value, in order', async (t) => {
  const { system } = setup(t);
  const spawned = system.spawn(counter('c1'));
  assert.ok(spawned.ok);
  const ref: ActorRef<CounterMsg, number> = spawned.value;
  assert.equal(ref.path, '/c1');
  const replies = await Promise.all([ref.ask({ type: 'add', n: 2 }), ref.ask({ type: 'add', n: 3 }), ref.ask({ type: 'get' })]);
  assert.deepEqual(replies, [
    { ok: true, value: 2 },
    { ok: true, value: 5 },
    { ok: true, value: 5 },
  ]);
  ref.tell({ type: 'add', n: 10 });
  assert.deepEqual(await ref.ask({ type: 'get' }), { ok: true, value: 15 });
});

void test('a duplicate name is an error value, the first actor keeps its name', async (t) => {
  const { system } = setup(t);
  assert.ok(system.spawn(counter('same')).ok);
  const second = system.spawn(counter('same'));
  assert.equal(second.ok, false);
  assert.equal(!second.ok && second.error.code, 'ACTOR_NAME_TAKEN');
  const bad = system.spawn(counter('has/slash'));
  assert.equal(!bad.ok && bad.error.code, 'ACTOR_BAD_NAME');
});

void test('an ask past its deadline answers TIMEOUT on the virtual clock', async (t) => {
  const { clock, system } = setup(t);
  const spawned = system.spawn(counter('slow'));
  assert.ok(spawned.ok);
  const ref = spawned.value;
  const pending = ref.ask({ type: 'hang' }, { timeoutMs: 250 });
  let settled = false;
  void pending.then(() => (settled = true));
  await clock.advanceAsync(249);
  assert.equal(settled, false, 'no answer before the deadline');
  await clock.advanceAsync(1);
  const result = await pending;
  assert.equal(!result.ok && result.error.code, 'TIMEOUT');
  // An absolute deadline already passed is refused at once, nothing delivered.
  const late = await ref.ask({ type: 'get' }, { deadline: clock.now() - 1 });
  assert.equal(!late.ok && late.error.code, 'TIMEOUT');
});

void test('malformed messages answer BAD_MESSAGE and the actor keeps serving', async (t) => {
  const { system } = setup(t);
  const spawned = system.spawn(counter('strict'));
  assert.ok(spawned.ok);
  const ref = spawned.value as unknown as ActorRef<{ type: string }, unknown>;
  const untyped = ref as unknown as { ask(m: unknown): Promise<{ ok: boolean; error?: { code: string } }> };
  for (const bad of [null, 42, 'add', {}, { type: 7 }, { type: 'unknown' }]) {
    const r = await untyped.ask(bad);
    assert.equal(r.ok, false);
    assert.equal(r.error?.code, 'BAD_MESSAGE', `for ${JSON.stringify(bad)}`);
  }
  assert.deepEqual(await ref.ask({ type: 'add', n: 1 } as { type: string }), { ok: true, value: 1 });
});

test('refuse() answers an error value and the actor keeps its state and serves on', async () => {
  const system = createActorSystem({ clock: new VirtualClock() });
  const counter = defineActor({
    name: 'refusing',
    messageTypes: { add: true },
    init: () => 0,
    handle: (ctx, msg: { type: 'add'; n: number }) => {
      if (msg.n < 0) return refuse(BadRequest('n must not be negative'));
      ctx.setState(ctx.state + msg.n);
      return ctx.state;
    },
  });
  const ref = system.spawn(counter);
  assert.ok(ref.ok);
  assert.deepEqual(await ref.value.ask({ type: 'add', n: 2 }), { ok: true, value: 2 });
  const refused = await ref.value.ask({ type: 'add', n: -1 });
  assert.equal(refused.ok ? 'ok' : refused.error.code, 'BAD_REQUEST');
  assert.deepEqual(await ref.value.ask({ type: 'add', n: 3 }), { ok: true, value: 5 });
  await system.stop();
});
