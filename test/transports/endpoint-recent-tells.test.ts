// The sender's memory of recent tells (resent after a reconnect): bounded by age while the link is
// up, kept whole while it is down, and bounded in count whatever the clock does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentTells } from '../../transports/endpoint-recent-tells.js';

const b = (n: number) => Uint8Array.of(n & 0xff);
const seqs = (tells: RecentTells, from: number) => tells.since(from).map((t) => t.bytes[0]);

void test('tells older than the keep time are forgotten while the link is up', () => {
  const tells = new RecentTells(100);
  for (let t = 0; t < 300; t += 10) tells.add('x', b(t / 10), t);
  assert.deepEqual(seqs(tells, 0), [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], 'the last 100 ms');
  assert.deepEqual(seqs(tells, 250), [25, 26, 27, 28, 29]);
});

void test('while held nothing is forgotten by age; release forgets what has aged meanwhile', () => {
  const tells = new RecentTells(100);
  tells.add('x', b(1), 0);
  tells.hold();
  tells.add('x', b(2), 500);
  tells.add('y', b(3), 1000);
  assert.deepEqual(seqs(tells, 0), [1, 2, 3]);
  assert.deepEqual(tells.since(0).map((t) => t.topic), ['x', 'x', 'y']);
  tells.release(1050);
  assert.deepEqual(seqs(tells, 0), [3]);
});

void test('never more than maxKept, even on a clock that stands still', () => {
  const tells = new RecentTells(100, 50);
  tells.hold();
  for (let i = 0; i < 5000; i++) tells.add('x', b(i), 0);
  assert.equal(tells.size, 50);
  assert.deepEqual(seqs(tells, 0), Array.from({ length: 50 }, (_, i) => (4950 + i) & 0xff));
});
