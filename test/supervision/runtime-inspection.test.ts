// The typed inspection stream and its adapters: pino lines at fitting levels that never carry
// message bodies (a token in a body does not reach the log), and prom-client metrics in a
// caller-provided Registry (messages, restarts, passivations, active actors per kind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../transports/clock.js';
import { attachMetrics, createActorSystem, createMemoryStore, defineActor, defineKind, logInspection } from '../../supervision/index.js';

type LoginMsg = { type: 'login'; user: string; token: string } | { type: 'crash'; token: string };

const session = defineKind<{ logins: number }, LoginMsg, number>({
  name: 'session',
  messageTypes: { login: true, crash: true },
  initialState: { logins: 0 },
  idleAfterMs: 100,
  async handle(ctx, msg) {
    switch (msg.type) {
      case 'login':
        await ctx.persist({ logins: ctx.state.logins + 1 });
        return ctx.state.logins;
      case 'crash':
        throw new Error('refused');
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const clock = new VirtualClock(0);
  const system = createActorSystem({ clock, store: createMemoryStore(), seed: 1, passivationScanMs: 50, restart: { backoff: { minMs: 0, maxMs: 0 } } });
  assert.ok(system.register(session).ok);
  t.after(() => system.stop());
  return { clock, system };
}

void test('log lines carry event types and levels, never message bodies', async (t) => {
  const { clock, system } = setup(t);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  system.inspect(logInspection(pino({ level: 'trace' }, sink)));
  const s = system.ref(session, 's1');
  await s.ask({ type: 'login', user: 'ann', token: 'tok-SECRET-1' });
  await s.ask({ type: 'crash', token: 'tok-SECRET-2' });
  await system.deliver('session', 's1', { type: 'steal', token: 'tok-SECRET-3' });
  await clock.advanceAsync(500);
  await new Promise<void>((resolve) => setImmediate(resolve));
  const text = JSON.stringify(lines);
  assert.equal(text.includes('SECRET'), false, 'no body reaches the log');
  const byType = (type: string) => lines.filter((l) => l.type === type);
  assert.equal(byType('received').length, 2);
  assert.equal(byType('received')[0]!.messageType, 'login');
  assert.equal(byType('failed')[0]!.level, 40, 'failures warn');
  assert.equal(byType('dead-letter')[0]!.messageType, 'steal');
  assert.equal(byType('passivated').length, 1);
});

void test('metrics count messages, restarts and passivations and gauge active actors per kind', async (t) => {
  const { clock, system } = setup(t);
  const registry = new Registry();
  const detach = attachMetrics(system, registry);
  t.after(detach);
  const worker = system.spawn(
    defineActor<number, { type: 'boom' }, number>({
      name: 'w',
      messageTypes: { boom: true },
      init: () => 0,
      handle: () => {
        throw new Error('boom');
      },
    }),
  );
  assert.ok(worker.ok);
  for (const id of ['a', 'b', 'c']) await system.ref(session, id).ask({ type: 'login', user: id, token: 'x' });
  await worker.value.ask({ type: 'boom' });
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
  assert.deepEqual((await metric('cumulo_actor_active')).map((v) => [v.labels.kind, v.value]), [['session', 3]]);
  assert.equal((await metric('cumulo_actor_messages_total')).find((v) => v.labels.kind === 'session')?.value, 3);
  assert.equal((await metric('cumulo_actor_restarts_total')).find((v) => v.labels.kind === '(spawned)')?.value, 1);
  assert.equal((await metric('cumulo_actor_persists_total'))[0]?.value, 3);
  await clock.advanceAsync(500);
  assert.equal((await metric('cumulo_actor_passivations_total'))[0]?.value, 3);
  assert.deepEqual((await metric('cumulo_actor_active')).map((v) => v.value), [0]);
  assert.equal(registry.getMetricsAsArray().length, 11);
});
