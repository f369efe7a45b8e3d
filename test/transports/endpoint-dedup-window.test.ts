// The reply window: a repeated request gets the reply already given, a repeat during handling
// waits for it, and memory stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyWindow } from '../../transports/dedup-window.js';

void test('a repeat after the reply gets the same reply', () => {
  const w = new ReplyWindow<string, string>();
  w.begin('inc', 't', 1);
  assert.deepEqual(w.complete('inc', 't', 1, 'reply-1'), []);
  assert.deepEqual(w.repeat('inc', 't', 1, 'again'), { kind: 'answered', reply: 'reply-1' });
});

void test('a repeat while the request is handled waits, and is returned when the reply comes', () => {
  const w = new ReplyWindow<string, string>();
  w.begin('inc', 't', 1);
  assert.deepEqual(w.repeat('inc', 't', 1, 'copy-a'), { kind: 'waiting' });
  assert.deepEqual(w.repeat('inc', 't', 1, 'copy-b'), { kind: 'waiting' });
  assert.deepEqual(w.complete('inc', 't', 1, 'reply-1'), ['copy-a', 'copy-b']);
  assert.deepEqual(w.complete('inc', 't', 1, 'reply-other'), [], 'a second reply changes nothing');
  assert.deepEqual(w.repeat('inc', 't', 1, 'copy-c'), { kind: 'answered', reply: 'reply-1' });
});

void test('requests are remembered per (sender, topic), never across pairs', () => {
  const w = new ReplyWindow<string, string>();
  w.begin('inc', 't', 1);
  w.complete('inc', 't', 1, 'r');
  assert.equal(w.repeat('inc', 'u', 1, 'x').kind, 'forgotten');
  assert.equal(w.repeat('other', 't', 1, 'x').kind, 'forgotten');
});

void test('the window is bounded in entries over all senders, the oldest forgotten first', () => {
  const w = new ReplyWindow<number, string>({ maxEntries: 3 });
  w.begin('a', 't', 1);
  w.complete('a', 't', 1, 10);
  w.begin('b', 't', 1);
  w.begin('a', 't', 2);
  w.begin('c', 'u', 1);
  assert.equal(w.size, 3);
  assert.equal(w.repeat('a', 't', 1, 'x').kind, 'forgotten', 'the oldest entry went first');
  assert.deepEqual(w.complete('a', 't', 1, 99), [], 'a reply for a forgotten request is not stored');
  assert.equal(w.repeat('b', 't', 1, 'x').kind, 'waiting');
  assert.equal(w.repeat('a', 't', 2, 'x').kind, 'waiting');
  assert.equal(w.repeat('c', 'u', 1, 'x').kind, 'waiting');
  assert.equal(w.size, 3);
});

void test('byte replies are kept as copies that stay intact while remembered, across many chunks', () => {
  const w = new ReplyWindow<Uint8Array | string, string>({ maxEntries: 5000 });
  const sent = new Map<number, Uint8Array>();
  for (let seq = 1; seq <= 20_000; seq++) {
    const reply = Buffer.alloc(100 + (seq % 700), seq & 0xff);
    assert.ok(w.begin('inc', 't', seq));
    w.complete('inc', 't', seq, reply);
    sent.set(seq, Uint8Array.from(reply));
    reply.fill(0); // the sender's buffer is reused: the window has its own copy
  }
  assert.equal(w.size, 5000);
  assert.equal(w.repeat('inc', 't', 15_000, 'x').kind, 'forgotten');
  for (const seq of [15_001, 17_777, 20_000]) {
    const seen = w.repeat('inc', 't', seq, 'x');
    assert.ok(seen.kind === 'answered' && seen.reply instanceof Uint8Array);
    assert.deepEqual(Uint8Array.from(seen.reply), sent.get(seq), `seq ${seq}`);
  }
  // a repeat of a request begun but not answered yet is still told apart from one never seen
  assert.ok(w.begin('inc', 't', 20_001));
  assert.equal(w.begin('inc', 't', 20_001), false);
  assert.equal(w.repeat('inc', 't', 20_001, 'x').kind, 'waiting');
  w.complete('inc', 't', 20_001, 'not bytes');
  assert.deepEqual(w.repeat('inc', 't', 20_001, 'x'), { kind: 'answered', reply: 'not bytes' });
});

void test('the index finds every remembered request among thousands of senders and seqs, and forgets the evicted', () => {
  const w = new ReplyWindow<number, string>({ maxEntries: 3000 });
  const started: [string, number][] = [];
  let n = 0;
  for (let round = 0; round < 6; round++) {
    for (let s = 0; s < 700; s++) {
      const sender = `inc-${(s * 7919) % 1000}`;
      const seq = round * 1_000_003 + s * 3 + 2 ** 40; // large seqs exercise the high bits of the hash
      assert.ok(w.begin(sender, 't', seq));
      w.complete(sender, 't', seq, ++n);
      started.push([sender, seq]);
    }
  }
  const remembered = started.slice(-3000);
  const forgotten = started.slice(0, -3000);
  assert.ok(forgotten.length > 1000);
  remembered.forEach(([sender, seq], i) => {
    assert.deepEqual(w.repeat(sender, 't', seq, 'x'), { kind: 'answered', reply: forgotten.length + i + 1 });
  });
  for (const [sender, seq] of forgotten) assert.equal(w.repeat(sender, 't', seq, 'x').kind, 'forgotten');
  assert.equal(w.size, 3000);
});

void test('the window starts small and grows to its bound, keeping every entry and waiter in order', () => {
  const w = new ReplyWindow<number, string>({ maxEntries: 1000 });
  for (let seq = 1; seq <= 1000; seq++) {
    w.begin('inc', 't', seq);
    if (seq % 3 !== 0) w.complete('inc', 't', seq, seq * 10);
    else assert.equal(w.repeat('inc', 't', seq, `waiter-${seq}`).kind, 'waiting');
  }
  assert.equal(w.size, 1000);
  for (let seq = 1; seq <= 1000; seq++) {
    if (seq % 3 !== 0) assert.deepEqual(w.repeat('inc', 't', seq, 'x'), { kind: 'answered', reply: seq * 10 });
    else assert.deepEqual(w.complete('inc', 't', seq, seq * 10), [`waiter-${seq}`], `the waiter of ${seq} moved with it`);
  }
  // Full at its bound: from now on the oldest goes first, as before.
  w.begin('inc', 't', 1001);
  assert.equal(w.size, 1000);
  assert.equal(w.repeat('inc', 't', 1, 'x').kind, 'forgotten');
  assert.deepEqual(w.repeat('inc', 't', 2, 'x'), { kind: 'answered', reply: 20 });
});
