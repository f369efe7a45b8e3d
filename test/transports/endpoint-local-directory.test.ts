// The process's directory of served topics: exact and wildcard filters, several inboxes on one
// topic each found once, and unregistering that leaves the others in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalDirectory, type LocalInbox } from '../../transports/local-directory.js';

const inbox = (): LocalInbox => () => undefined;

void test('a topic finds the inboxes of exact and wildcard filters that match it, and no others', () => {
  const d = new LocalDirectory();
  const [shard7, anyShard, hostA, other] = [inbox(), inbox(), inbox(), inbox()];
  d.register('cumulo/mbox/7', shard7);
  d.register('cumulo/mbox/+', anyShard);
  d.register('cumulo/host/a/#', hostA);
  d.register('cumulo/mbox/8', other);
  assert.deepEqual(d.lookup('cumulo/mbox/7'), [shard7, anyShard]);
  assert.deepEqual(d.lookup('cumulo/host/a'), [hostA], '# also matches its parent level');
  assert.deepEqual(d.lookup('cumulo/host/a/vm/1'), [hostA]);
  assert.deepEqual(d.lookup('cumulo/host/b'), []);
  assert.deepEqual(d.lookup('cumulo/mbox/7/x'), []);
});

void test('an inbox registered under two matching filters is found once', () => {
  const d = new LocalDirectory();
  const one = inbox();
  d.register('cumulo/mbox/7', one);
  d.register('cumulo/mbox/+', one);
  assert.deepEqual(d.lookup('cumulo/mbox/7'), [one]);
});

void test('unregistering removes that inbox only, and empty filters disappear', () => {
  const d = new LocalDirectory();
  const [a, b] = [inbox(), inbox()];
  const offA = d.register('cumulo/mbox/1', a);
  const offB = d.register('cumulo/mbox/1', b);
  offA();
  assert.deepEqual(d.lookup('cumulo/mbox/1'), [b]);
  offA(); // idempotent
  assert.deepEqual(d.lookup('cumulo/mbox/1'), [b]);
  offB();
  assert.deepEqual(d.lookup('cumulo/mbox/1'), []);
  assert.equal(d.size, 0);
});
