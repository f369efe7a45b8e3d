// The asker's pending table: a request settles exactly once (reply, deadline on the clock, close),
// and stays listed for retransmission until then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../transports/clock.js';
import { Unavailable, ok } from '../../transports/errors.js';
import { PendingRequests } from '../../transports/endpoint-pending.js';

void test('a reply settles the request once and cancels its deadline timer', async () => {
  const clock = new VirtualClock(1000);
  const table = new PendingRequests<string>(clock);
  const answer = table.add('c1', 'msg', 1500);
  assert.equal(table.settle('c1', ok('pong')), true);
  assert.equal(table.settle('c1', ok('late copy')), false, 'a second reply finds nothing');
  assert.deepEqual(await answer, ok('pong'));
  assert.equal(clock.pending(), 0);
  assert.equal(table.size, 0);
});

void test('a request without reply resolves TIMEOUT exactly at its deadline', async () => {
  const clock = new VirtualClock(1000);
  const table = new PendingRequests<string>(clock);
  let settled = false;
  const answer = table.add('c1', 'msg', 1500).then((r) => {
    settled = true;
    return r;
  });
  await clock.advanceAsync(499);
  assert.equal(settled, false);
  await clock.advanceAsync(1);
  const result = await answer;
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.code, 'TIMEOUT');
  assert.equal(table.timedOut, 1);
  assert.equal(table.settle('c1', ok('too late')), false);
});

void test('pending requests are listed for retransmission by when they were last sent', () => {
  const clock = new VirtualClock(0);
  const table = new PendingRequests<string>(clock);
  void table.add('a', 'A', 10_000);
  clock.advance(100);
  void table.add('b', 'B', 10_000);
  assert.deepEqual(table.sentBefore(50).map((p) => p.message), ['A']);
  const [a] = table.sentBefore(50);
  table.markResent(a!);
  assert.deepEqual(table.sentBefore(50), []);
  assert.deepEqual(table.sentBefore().map((p) => [p.message, p.resent]), [['A', 1], ['B', 0]]);
  table.failAll(Unavailable('closing'));
});

void test('failAll settles every request with the error', async () => {
  const clock = new VirtualClock(0);
  const table = new PendingRequests<string>(clock);
  const answers = [table.add('a', 'A', 100), table.add('b', 'B', 100)];
  table.failAll(Unavailable('endpoint closed'));
  for (const r of await Promise.all(answers)) assert.equal(!r.ok && r.error.code, 'UNAVAILABLE');
  assert.equal(clock.pending(), 0);
});

void test('requests share one deadline timer, and each still times out exactly at its own deadline', async () => {
  // Deadlines in arrival order share the lane's timer; an earlier one than the lane's last gets
  // its own. Whatever the mix, every request times out at its deadline, not before, not after.
  const clock = new VirtualClock(0);
  const table = new PendingRequests<string>(clock);
  const deadlines = [100, 100, 250, 180, 400, 90, 400, 1000, 120, 1000];
  const outcomes = new Map<string, { code: string; at: number }>();
  const answers = deadlines.map((deadline, i) =>
    table.add(`c${i}`, `m${i}`, deadline).then((r) => {
      outcomes.set(`c${i}`, { code: r.ok ? 'ok' : r.error.code, at: clock.now() });
    }),
  );
  assert.ok(clock.pending() < deadlines.length, 'in-order deadlines share a timer');
  // replies for some: the others still time out on time
  assert.equal(table.settle('c0', ok('pong')), true);
  assert.equal(table.settle('c7', ok('pong')), true);
  for (let t = 0; t < 1000; t += 10) await clock.advanceAsync(10);
  await Promise.all(answers);
  deadlines.forEach((deadline, i) => {
    const expected = i === 0 || i === 7 ? { code: 'ok', at: 0 } : { code: 'TIMEOUT', at: deadline };
    assert.deepEqual(outcomes.get(`c${i}`), expected, `c${i}`);
  });
  assert.equal(table.timedOut, deadlines.length - 2);
  assert.equal(table.size, 0);
  assert.equal(clock.pending(), 0, 'no timer is left once nothing is pending');
});

void test('a thousand requests in flight hold one timer; replies to all of them leave none', async () => {
  const clock = new VirtualClock(0);
  const table = new PendingRequests<number>(clock);
  const answers: Array<Promise<unknown>> = [];
  for (let i = 0; i < 1000; i++) {
    answers.push(table.add(`c${i}`, i, clock.now() + 30_000));
    clock.advance(1);
  }
  assert.equal(clock.pending(), 1);
  for (let i = 0; i < 1000; i++) assert.ok(table.settle(`c${i}`, ok(i)));
  await Promise.all(answers);
  assert.equal(clock.pending(), 0);
  assert.equal(table.timedOut, 0);
});
