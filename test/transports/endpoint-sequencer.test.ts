// Order per (sender incarnation, topic): in-order delivery, held early arrivals, gap timeout on the
// virtual clock, late arrivals of given-up seqs delivered once, duplicates spotted, state bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../transports/clock.js';
import { ReceiveOrder, SendSequence } from '../../transports/sequencer.js';

function harness(options: { maxPairs?: number; maxEarly?: number; gapTimeoutMs?: number } = {}) {
  const clock = new VirtualClock();
  const delivered: Array<{ item: string; late: boolean }> = [];
  const duplicates: string[] = [];
  const order = new ReceiveOrder<string>({
    clock,
    ...options,
    deliver: (item, late) => delivered.push({ item, late }),
    duplicate: (item) => duplicates.push(item),
  });
  const items = () => delivered.map((d) => d.item);
  return { clock, order, delivered, duplicates, items };
}

void test('SendSequence counts per topic from 1 without gaps', () => {
  const s = new SendSequence();
  assert.deepEqual([s.next('a'), s.next('a'), s.next('b'), s.next('a'), s.next('b')], [1, 2, 1, 3, 2]);
});

void test('SendSequence takes back the last seq of a topic only', () => {
  const s = new SendSequence();
  s.next('a');
  const refused = s.next('a');
  s.takeBack('a', refused);
  assert.equal(s.next('a'), 2, 'the refused seq is issued again');
  s.next('a');
  s.takeBack('a', 2); // not the last one: a gap-free stream cannot give it back
  assert.equal(s.next('a'), 4);
});

void test('in-order arrivals are delivered at once', () => {
  const h = harness();
  for (let seq = 1; seq <= 5; seq++) h.order.accept('inc1', 't', seq, `m${seq}`);
  assert.deepEqual(h.items(), ['m1', 'm2', 'm3', 'm4', 'm5']);
  assert.equal(h.clock.pending(), 0, 'no gap timer without a gap');
});

void test('an early arrival waits for the gap to fill, then both go in order', () => {
  const h = harness();
  h.order.accept('inc1', 't', 1, 'm1');
  h.order.accept('inc1', 't', 3, 'm3');
  h.order.accept('inc1', 't', 4, 'm4');
  assert.deepEqual(h.items(), ['m1']);
  assert.equal(h.order.stats().held, 2);
  h.order.accept('inc1', 't', 2, 'm2');
  assert.deepEqual(h.items(), ['m1', 'm2', 'm3', 'm4']);
  assert.equal(h.order.stats().held, 0);
  assert.equal(h.clock.pending(), 0, 'the gap timer is cancelled once the gap fills');
});

void test('pairs are independent: a gap of one sender or topic holds back no other', () => {
  const h = harness();
  h.order.accept('inc1', 't', 1, 'a1');
  h.order.accept('inc1', 't', 3, 'a3');
  h.order.accept('inc2', 't', 1, 'b1');
  h.order.accept('inc1', 'u', 1, 'c1');
  assert.deepEqual(h.items(), ['a1', 'b1', 'c1']);
});

void test('a gap is given up after the gap timeout; the missing seq, arriving late, is delivered once', () => {
  const h = harness({ gapTimeoutMs: 100 });
  h.order.accept('inc1', 't', 1, 'm1');
  h.order.accept('inc1', 't', 3, 'm3');
  h.clock.advance(99);
  assert.deepEqual(h.items(), ['m1']);
  h.clock.advance(1);
  assert.deepEqual(h.items(), ['m1', 'm3']);
  assert.equal(h.order.stats().skipped, 1);
  h.order.accept('inc1', 't', 2, 'm2');
  assert.deepEqual(h.delivered.at(-1), { item: 'm2', late: true });
  h.order.accept('inc1', 't', 2, 'm2 again');
  assert.deepEqual(h.duplicates, ['m2 again'], 'a late seq is delivered only once');
});

void test('seqs already delivered and seqs already held are duplicates', () => {
  const h = harness();
  h.order.accept('inc1', 't', 1, 'm1');
  h.order.accept('inc1', 't', 1, 'm1 again');
  h.order.accept('inc1', 't', 3, 'm3');
  h.order.accept('inc1', 't', 3, 'm3 again');
  assert.deepEqual(h.duplicates, ['m1 again', 'm3 again']);
  assert.deepEqual(h.items(), ['m1']);
});

void test('a full early buffer gives the gap up at once, without waiting for the timer', () => {
  const h = harness({ maxEarly: 3 });
  for (const seq of [3, 4, 5, 6]) h.order.accept('inc1', 't', seq, `m${seq}`);
  assert.deepEqual(h.items(), ['m3', 'm4', 'm5', 'm6']);
  assert.equal(h.order.stats().held, 0);
  assert.equal(h.clock.pending(), 0);
});

void test('a gap that remains after progress gets a fresh timeout', () => {
  const h = harness({ gapTimeoutMs: 100 });
  h.order.accept('inc1', 't', 1, 'm1');
  h.order.accept('inc1', 't', 3, 'm3');
  h.order.accept('inc1', 't', 5, 'm5');
  h.clock.advance(60);
  h.order.accept('inc1', 't', 2, 'm2');
  assert.deepEqual(h.items(), ['m1', 'm2', 'm3']);
  h.clock.advance(60);
  assert.deepEqual(h.items(), ['m1', 'm2', 'm3'], 'the gap before 5 opened 60 ms ago, not 120');
  h.clock.advance(40);
  assert.deepEqual(h.items(), ['m1', 'm2', 'm3', 'm5']);
});

void test('pairs are bounded: the least recently used is forgotten, its held items handed over', () => {
  const h = harness({ maxPairs: 2 });
  h.order.accept('a', 't', 1, 'a1');
  h.order.accept('a', 't', 3, 'a3');
  h.order.accept('b', 't', 1, 'b1');
  h.order.accept('c', 't', 1, 'c1');
  assert.equal(h.order.stats().pairs, 2);
  assert.equal(h.order.stats().evictedPairs, 1);
  assert.deepEqual(h.items(), ['a1', 'b1', 'a3', 'c1']);
  assert.equal(h.clock.pending(), 0, 'the evicted pair left no timer behind');
  // A forgotten pair starts again at 1, so a repeat of an old seq is taken as new.
  h.order.accept('a', 't', 1, 'a1 after eviction');
  assert.equal(h.items().at(-1), 'a1 after eviction');
});

void test('a pair first heard after seq 1 takes up the stream there at once; earlier seqs count as given up', () => {
  const h = harness({ gapTimeoutMs: 100 });
  h.order.accept('inc1', 't', 5, 'm5');
  assert.deepEqual(h.items(), ['m5'], 'delivered without waiting for seqs 1-4');
  assert.equal(h.clock.pending(), 0, 'no gap timer');
  h.order.accept('inc1', 't', 7, 'm7');
  h.order.accept('inc1', 't', 6, 'm6');
  h.order.accept('inc1', 't', 5, 'm5 again');
  h.order.accept('inc1', 't', 2, 'm2');
  h.order.accept('inc1', 't', 2, 'm2 again');
  assert.deepEqual(h.delivered, [
    { item: 'm5', late: false },
    { item: 'm6', late: false },
    { item: 'm7', late: false },
    { item: 'm2', late: true },
  ]);
  assert.deepEqual(h.duplicates, ['m5 again', 'm2 again']);
  // Without takeUp (an in-memory hand-over that may overtake the stream's start) a new pair expects 1.
  h.order.accept('inc2', 't', 2, 'n2', false);
  assert.equal(h.items().at(-1), 'm2', 'n2 waits for n1');
  h.order.accept('inc2', 't', 1, 'n1', false);
  assert.deepEqual(h.items().slice(-2), ['n1', 'n2']);
});

void test('property: any arrival order after the first seq, with repeats, delivers each seq exactly once, in order when nothing was given up', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 60 }).chain((n) =>
        fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 1, max: n }), { maxLength: 20 })),
      ),
      ([n, shuffled, repeats]) => {
        const h = harness({ maxEarly: 1000 });
        // The stream is heard from its start (a pair first heard later starts there: see above).
        const arrivals = [1, ...shuffled.filter((seq) => seq !== 1)];
        for (const r of repeats) arrivals.splice(1 + (r % arrivals.length), 0, r);
        for (const seq of arrivals) h.order.accept('inc', 't', seq, String(seq));
        assert.deepEqual(h.items(), [...Array(n).keys()].map((i) => String(i + 1)));
        assert.equal(h.duplicates.length, repeats.length);
      },
    ),
  );
});

void test('property: with gap timeouts between arrivals, every seq is still delivered exactly once', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.boolean()), { maxLength: 80 }), (steps) => {
      const h = harness({ gapTimeoutMs: 10, maxEarly: 4 });
      const seen = new Set<number>();
      for (const [seq, wait] of steps) {
        h.order.accept('inc', 't', seq, String(seq));
        seen.add(seq);
        if (wait) h.clock.advance(10);
      }
      h.clock.advance(10_000);
      const got = h.items().map(Number);
      assert.equal(new Set(got).size, got.length, 'no seq delivered twice');
      assert.deepEqual([...got].sort((a, b) => a - b), [...seen].sort((a, b) => a - b));
    }),
  );
});
