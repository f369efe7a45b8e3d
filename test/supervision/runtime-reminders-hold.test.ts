// Reminders held at start: a system created with holdReminders indexes the stored reminders but
// fires none, even overdue ones, until releaseReminders(); then overdue ones fire, and those of
// the kinds it is told to wake fire at once even if due later. (A fabric node must own its shards
// before any actor a reminder wakes can write.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createActorSystem, createMemoryStore, defineKind } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';

const fired: string[] = [];
const sleeper = defineKind({
  name: 'sleeper',
  messageTypes: { plan: true },
  initialState: 0,
  async handle(ctx, msg: { type: 'plan'; inMs: number }) {
    await ctx.setReminder('wake', msg.inMs);
    return 0;
  },
  onReminder(ctx, name) {
    fired.push(`${ctx.key}:${name}`);
  },
});

test('held reminders fire only after release; woken kinds fire at once', async () => {
  const clock = new VirtualClock(1_000);
  const store = createMemoryStore();
  const first = createActorSystem({ store, clock });
  assert.ok(first.register(sleeper).ok);
  assert.ok((await first.ref(sleeper, 'soon').ask({ type: 'plan', inMs: 100 })).ok);
  assert.ok((await first.ref(sleeper, 'late').ask({ type: 'plan', inMs: 60_000 })).ok);
  await first.stop();

  // A restart after the first reminder fell due.
  clock.advance(500);
  const second = createActorSystem({ store, clock, holdReminders: true });
  assert.ok(second.register(sleeper).ok);
  await clock.advanceAsync(1_000);
  assert.deepEqual(fired, [], 'nothing fires while held, not even an overdue reminder');
  second.releaseReminders(['sleeper']);
  await clock.advanceAsync(0);
  assert.deepEqual(fired.sort(), ['sleeper/late:wake', 'sleeper/soon:wake']);
  await second.stop();
});
