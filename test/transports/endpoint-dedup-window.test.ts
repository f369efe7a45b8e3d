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
