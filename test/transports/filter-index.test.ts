// FilterIndex (exact Map + wildcard trie) against the linear scan it replaces: after any random
// sequence of set/delete of filters (exact, `+`, `#`, '$' levels, empty levels, invalid ones),
// match(topic) returns exactly the (filter, value) set that testing every filter with matches()
// (mqtt-match plus the '$' rule) returns, each filter once; get, size, wildcards and entries agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FilterIndex, matches } from '../../transports/topic-matcher.js';

const level = fc.constantFrom('', 'a', 'b', 'ab', '$SYS', '$', 'x y');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));
const filterArb = fc.oneof(
  fc
    .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/')),
  fc.constantFrom('#', '+', '+/#', '$SYS/#', '+/+', 'a+', '#/a', 'a/#/b', 'a/b#'),
);

type Op =
  | { readonly op: 'set'; readonly filter: string; readonly value: number }
  | { readonly op: 'delete'; readonly filter: string; readonly pick: number }
  | { readonly op: 'match'; readonly topic: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), filter: filterArb, value: fc.nat(99) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), filter: filterArb, pick: fc.nat(20) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('match' as const), topic: topicArb }) },
);

const sorted = (pairs: ReadonlyArray<readonly [string, number]>): string[] => pairs.map(([f, v]) => `${f}=${v}`).sort();

void test('FilterIndex.match equals the linear matches() scan across set/delete sequences', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(topicArb, { maxLength: 10 }), (ops, finalTopics) => {
      const index = new FilterIndex<number>();
      const model = new Map<string, number>();
      const check = (topic: string): void => {
        const linear = [...model].filter(([filter]) => matches(filter, topic));
        assert.deepEqual(sorted(index.match(topic)), sorted(linear), `match('${topic}') with ${JSON.stringify([...model])}`);
      };
      for (const op of ops) {
        switch (op.op) {
          case 'set':
            index.set(op.filter, op.value);
            model.set(op.filter, op.value);
            break;
          case 'delete': {
            // Mostly a filter that is there (odd picks: a random one, usually absent).
            const present = [...model.keys()];
            const filter = op.pick % 2 === 0 && present.length > 0 ? (present[(op.pick >> 1) % present.length] as string) : op.filter;
            assert.equal(index.delete(filter), model.delete(filter), `delete('${filter}')`);
            break;
          }
          case 'match':
            check(op.topic);
            break;
          default: {
            const never: never = op;
            throw new Error(`unknown op ${JSON.stringify(never)}`);
          }
        }
      }
      for (const topic of finalTopics) check(topic);
      for (const filter of model.keys()) check(filter.replaceAll('+', 'a').replace(/\/?#$/, ''));
      assert.equal(index.size, model.size);
      assert.equal(index.wildcards, [...model.keys()].filter((f) => f.includes('+') || f.includes('#')).length);
      assert.deepEqual(sorted([...index.entries()]), sorted([...model]));
      for (const [filter, value] of model) assert.equal(index.get(filter), value);
    }),
    { numRuns: 2000 },
  );
});

void test('FilterIndex: deleting every filter leaves nothing that matches', () => {
  const index = new FilterIndex<number>();
  const filters = ['#', '+', 'cumulo/events/#', 'cumulo/events/+/+/+', 'cumulo/events/p1/#', 'cumulo/events/p1/server/+', 'cumulo/events/p1/server/s1'];
  filters.forEach((f, i) => index.set(f, i));
  assert.deepEqual(index.match('cumulo/events/p1/server/s1').map(([f]) => f).sort(), [...filters].filter((f) => f !== '+').sort());
  assert.deepEqual(index.match('$SYS/x').map(([f]) => f), [], "leading wildcards skip '$' topics");
  assert.deepEqual(index.match('cumulo/events/p1').map(([f]) => f).sort(), ['#', 'cumulo/events/#', 'cumulo/events/p1/#'], "'#' matches its parent level");
  for (const f of filters) assert.equal(index.delete(f), true);
  assert.equal(index.size, 0);
  assert.deepEqual(index.match('cumulo/events/p1/server/s1'), []);
  assert.equal(index.delete('#'), false);
});
