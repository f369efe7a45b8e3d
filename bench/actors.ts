// Memory and reactivation latency with many virtual actors. 1,000,000 actors of one kind have
// stored state (MemoryStore, so their records are on this heap too); 100,000 of them are active.
// Another 100,000 were active and then passivated by the scan; the figure is the time from a
// message to one of those until its reply (store load, activation, one mailbox turn), one at a
// time. Anchor, same ids, same run, alternating in chunks: nact alone doing the same step (load
// the stored state, spawn a nact actor holding it, query it once; ratio = total time of ours ÷
// total time of nact's). Map-get time of the state is printed for scale.
// With `lmdb` as third argument the records live in an LMDB store in a temporary directory
// (off the JS heap) instead.
//   npx tsc -p . && node --expose-gc dist/bench/actors.js [registered=1000000] [active=100000] [memory|lmdb]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { VirtualClock } from '../transports/clock.js';
import { createActorSystem, createMemoryStore, defineKind, openLmdbStore } from '../supervision/index.js';
import type { ActorStore } from '../supervision/index.js';
import { nactActivator } from '../supervision/nact-baseline.js';

const REGISTERED = Number(process.argv[2] ?? 1_000_000);
const ACTIVE = Number(process.argv[3] ?? 100_000);
const STORE = process.argv[4] === 'lmdb' ? 'lmdb' : 'memory';
const IDLE_MS = 1000;

interface Item {
  owner: string;
  count: number;
  tags: string[];
}
type ItemMsg = { type: 'get' } | { type: 'bump' };

const item = defineKind<Item, ItemMsg, number>({
  name: 'item',
  messageTypes: { get: true, bump: true },
  initialState: { owner: '', count: 0, tags: [] },
  idleAfterMs: IDLE_MS,
  async handle(ctx, msg) {
    switch (msg.type) {
      case 'get':
        return ctx.state.count;
      case 'bump':
        await ctx.persist({ ...ctx.state, count: ctx.state.count + 1 });
        return ctx.state.count;
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

const idOf = (i: number): string => `it-${i.toString(36).padStart(6, '0')}`;
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
const histogram = () => hdr.build({ lowestDiscernibleValue: 100, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
const ms = (ns: number): number => Number((ns / 1e6).toFixed(4));

async function main(): Promise<void> {
  const dir = STORE === 'lmdb' ? mkdtempSync(join(tmpdir(), 'cumulo-bench-actors-')) : undefined;
  const store: ActorStore = dir === undefined ? createMemoryStore() : await openLmdbStore({ path: dir });
  const t0 = Date.now();
  for (let start = 0; start < REGISTERED; start += 10_000) {
    const writes: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(REGISTERED, start + 10_000); i++) {
      const state: Item = { owner: `user-${i % 977}`, count: i, tags: ['a', 'b'] };
      writes.push(store.persist(`item/${idOf(i)}`, { state, revision: 1, epoch: 0, dedup: {} }, { shard: 0, expectedRevision: 0 }));
    }
    await Promise.all(writes);
  }
  console.log(`stored ${REGISTERED} records in ${Date.now() - t0} ms`);

  for (let i = 0; i < 3; i++) global.gc?.();
  const storeOnly = process.memoryUsage();
  const clock = new VirtualClock(0);
  const system = createActorSystem({ clock, store, passivationScanMs: 3_600_000, askTimeoutMs: 600_000 });
  const registered = system.register(item);
  if (!registered.ok) throw new Error(registered.error.message);
  const ask = async (i: number): Promise<void> => {
    const r = await system.ref(item, idOf(i)).ask({ type: 'get' });
    if (!r.ok || r.value !== i) throw new Error(`bad reply for ${i}: ${JSON.stringify(r)}`);
  };
  const activateRange = async (from: number, to: number): Promise<void> => {
    for (let start = from; start < to; start += 1000) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(to, start + 1000); i++) batch.push(ask(i));
      await Promise.all(batch);
    }
  };

  // The ids to reactivate: active once, then passivated by the scan while the others stay active.
  const cold = { from: ACTIVE, to: 2 * ACTIVE };
  await activateRange(cold.from, cold.to);
  clock.advance(IDLE_MS + 1);
  system.passivateIdle();
  await activateRange(0, ACTIVE);
  clock.advance(IDLE_MS + 1);
  const passivated = system.passivateIdle();
  if (passivated !== ACTIVE || system.activeCount('item') !== ACTIVE) throw new Error(`expected ${ACTIVE} passivated and active, got ${passivated}, ${system.activeCount('item')}`);

  // nact's stop() defers a callback per stopped actor with a copy of its context: let them run.
  await new Promise<void>((resolve) => setImmediate(resolve));
  for (let i = 0; i < 3; i++) global.gc?.();
  const memory = process.memoryUsage();
  console.log(`${REGISTERED} registered, ${system.activeCount('item')} active: rss ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB`);

  // Ours and the anchor alternate in chunks of 1000 ids, so that GC pauses and cache effects
  // fall on both alike.
  const ids = Array.from({ length: cold.to - cold.from }, (_, k) => idOf(cold.from + k));
  const nactSide = nactActivator();
  const ours = histogram();
  const theirs = histogram();
  let oursTotal = 0;
  let theirsTotal = 0;
  for (let chunk = 0; chunk < ids.length; chunk += 1000) {
    for (let k = chunk; k < Math.min(ids.length, chunk + 1000); k++) {
      const start = process.hrtime.bigint();
      await ask(cold.from + k);
      const ns = Number(process.hrtime.bigint() - start);
      oursTotal += ns;
      ours.recordValue(ns);
    }
    for (let k = chunk; k < Math.min(ids.length, chunk + 1000); k++) {
      const id = ids[k]!;
      const start = process.hrtime.bigint();
      const state = store.load<Item>(`item/${id}`)?.state;
      const reply = (await nactSide.activate(id, state)) as Item;
      const ns = Number(process.hrtime.bigint() - start);
      if (reply.count !== cold.from + k) throw new Error('nact anchor: wrong reply');
      theirsTotal += ns;
      theirs.recordValue(ns);
    }
  }
  nactSide.stop();
  if (system.activeCount('item') !== 2 * ACTIVE) throw new Error('reactivation count mismatch');

  // Scale only: the state fetched from a plain Map, no actor at all.
  const plain = new Map<string, Item>();
  for (const id of ids) plain.set(id, store.load<Item>(`item/${id}`)!.state);
  const m0 = process.hrtime.bigint();
  let sink = 0;
  for (const id of ids) sink += plain.get(id)!.count;
  const mapNs = Number(process.hrtime.bigint() - m0) / ids.length;
  if (sink === 0) throw new Error('map anchor read nothing');

  await system.stop();
  await store.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  const result = {
    bench: 'actors',
    store: STORE,
    registered: REGISTERED,
    active: ACTIVE,
    rss_mb: mb(memory.rss),
    heap_mb: mb(memory.heapUsed),
    heap_store_only_mb: mb(storeOnly.heapUsed),
    bytes_per_active: Math.round((memory.heapUsed - storeOnly.heapUsed) / ACTIVE),
    peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
    reactivations: ids.length,
    reactivation_p50_ms: ms(ours.getValueAtPercentile(50)),
    reactivation_p99_ms: ms(ours.getValueAtPercentile(99)),
    reactivation_max_ms: ms(ours.maxValue),
    nact_p50_ms: ms(theirs.getValueAtPercentile(50)),
    nact_p99_ms: ms(theirs.getValueAtPercentile(99)),
    map_get_ns: Number(mapNs.toFixed(1)),
    ratio: Number((oursTotal / theirsTotal).toFixed(3)),
    anchor: 'nact spawn + query of the same stored states',
    goal: 'rss_mb and heap_mb < 2048, reactivation_p99_ms < 1',
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
