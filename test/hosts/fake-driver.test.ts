// The fake hypervisor driver: boot times from fixed, uniform and exponential distributions,
// a failure rate, seeded per-host randomness (a host's draws do not depend on other hosts'),
// and the injected clock (a boot resolves only when virtual time reaches it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeDriver, drawBootTime, type DriverOutcome } from '../../hosts/compute/index.js';
import { seededRandom } from '../../supervision/index.js';
import { settle, VirtualClock } from '../../transports/clock.js';

const spec = (hostId: string, instanceId: string) => ({ hostId, instanceId, resources: { vcpus: 1, ramMb: 512, diskGb: 1 } });

void test('boot time distributions: fixed, uniform within bounds, exponential around its mean', () => {
  const random = seededRandom(42);
  assert.equal(drawBootTime({ kind: 'fixed', ms: 250 }, random), 250);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const u = drawBootTime({ kind: 'uniform', minMs: 100, maxMs: 200 }, random);
    assert.ok(u >= 100 && u < 200);
    sum += drawBootTime({ kind: 'exponential', meanMs: 1000 }, random);
  }
  assert.ok(Math.abs(sum / 10_000 - 1000) < 50, `exponential mean ${sum / 10_000}`);
});

void test('failure rate and seeded per-host streams: the same outcomes whatever the interleaving of hosts', async () => {
  const clock = new VirtualClock(0);
  const outcomes = async (order: string[]): Promise<Record<string, boolean[]>> => {
    const driver = createFakeDriver({ failureRate: 0.3, seed: 9 });
    const seen: Record<string, boolean[]> = {};
    for (let i = 0; i < 1000; i++) {
      for (const host of order) {
        const o: DriverOutcome = await driver.spawn(spec(host, `i-${i}`), { clock });
        (seen[host] ??= []).push(o.ok);
      }
    }
    return seen;
  };
  const ab = await outcomes(['a', 'b']);
  const ba = await outcomes(['b', 'a']);
  assert.deepEqual(ab, ba);
  const failed = ab.a!.filter((ok) => !ok).length;
  assert.ok(failed > 240 && failed < 360, `failures ${failed} of 1000 at rate 0.3`);
  assert.notDeepEqual(ab.a, ab.b, 'hosts draw from different streams');
  assert.throws(() => createFakeDriver({ failureRate: 1.5 }), RangeError);
});

void test('a boot resolves when the (given) clock reaches its drawn time', async () => {
  const clock = new VirtualClock(0);
  const other = new VirtualClock(0);
  const driver = createFakeDriver({ bootTime: { kind: 'uniform', minMs: 1000, maxMs: 2000 }, clock });
  let done: DriverOutcome | undefined;
  // The driver's own clock wins over the one the host passes.
  void driver.spawn(spec('h', 'i'), { clock: other }).then((o) => (done = o));
  other.advance(10_000);
  await settle();
  assert.equal(done, undefined);
  await clock.advanceAsync(999);
  assert.equal(done, undefined);
  await clock.advanceAsync(1001);
  assert.deepEqual(done, { ok: true });
});
