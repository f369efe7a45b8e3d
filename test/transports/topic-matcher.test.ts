// Topic filters: filterMatcher (made once per filter, reads topics in place) decides exactly as
// matches() (mqtt-match, MQTT 3.1.1 §4.7) on random filters and topics, including empty levels,
// '$' topics, '#' matching its parent level, and topics longer or shorter than the filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FilterIndex, filterMatcher, matches } from '../../transports/topic-matcher.js';

const level = fc.constantFrom('', 'a', 'b', 'ab', '$SYS', 'reply', 'x y');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));

void test('filterMatcher agrees with matches() on every filter and topic', () => {
  fc.assert(
    fc.property(fc.oneof(filterArb, fc.constant('#'), fc.constant('+')), fc.array(topicArb, { maxLength: 8 }), (filter, topics) => {
      const match = filterMatcher(filter);
      for (const topic of topics) assert.equal(match(topic), matches(filter, topic), `${filter} ~ ${topic}`);
    }),
    { numRuns: 3000 },
  );
  const reply = filterMatcher('cumulo/reply/+');
  assert.equal(reply('cumulo/reply/abc'), true);
  for (const other of ['cumulo/reply', 'cumulo/reply/a/b', 'cumulo/replyx/a', 'cumulo/mbox/1', '$cumulo/reply/a']) assert.equal(reply(other), false, other);
  assert.equal(filterMatcher('a/#')('a'), true, "'#' matches its parent level");
  assert.equal(filterMatcher('#')('$SYS/x'), false, 'wildcards at the first level skip $ topics');
});

void test('FilterIndex: exactly() finds only the exact filter; wildcards counts wildcard filters', () => {
  const index = new FilterIndex<number>();
  index.set('a/b', 1);
  assert.equal(index.wildcards, 0);
  index.set('a/+', 2);
  assert.equal(index.wildcards, 1);
  assert.equal(index.exactly('a/b'), 1);
  assert.equal(index.exactly('a/c'), undefined);
  assert.deepEqual(
    index.match('a/b').map(([filter]) => filter),
    ['a/b', 'a/+'],
  );
  index.delete('a/+');
  assert.equal(index.wildcards, 0);
});
