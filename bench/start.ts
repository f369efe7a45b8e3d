// How long `await Cloud.start({ hosts: 4 })` takes until it returns ready (a fresh temporary data
// dir each time: a first start, with the admin's bootstrap, DevStack's flavors and four host
// registrations, the HTTP API's port (its routes are built by its first request; the cirros
// image is made after ready), and the admin client's token), against the floor of the same run:
// opening an LMDB store of the same configuration in a fresh dir and starting a bare aedes broker
// on a loopback port. The sides alternate. Also measured, to say what dominates: the same start
// with passwords at the full scrypt cost (what a start with a data dir pays), the same with the
// API's routes and the cirros image made before ready (as `cumulo up` does), the same without
// the HTTP API, one scrypt hash at the full cost, and one durable store write. Each cloud is
// stopped after its settled() (the work it left running), outside the timing.
// Goal: p50 < 150 ms and ratio (p50 ÷ floor p50) ≤ 3.
//   npx tsc -p . && node dist/bench/start.js [--iterations N] [--transport inproc|mqtt]
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Aedes } from 'aedes';
import * as hdr from 'hdr-histogram-js';
import { Cloud, type CloudStartOptions, type TransportChoice } from '../sdk/index.js';
import { openLmdbStore } from '../supervision/index.js';
import { DEFAULT_COST, hashPassword } from '../transports/password-hash.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const ITERATIONS = Number(option('iterations', '30'));
const TRANSPORT = option('transport', 'inproc') as TransportChoice;
const HOSTS = 4;
const WARMUP = 2;

const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
/** Microseconds in the histograms; milliseconds in the result. */
const ms = (us: number): number => Number((us / 1000).toFixed(1));

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return Math.round((performance.now() - t0) * 1000);
}

async function cloudStart(options: CloudStartOptions): Promise<number> {
  let cloud: Cloud | undefined;
  const us = await timed(async () => {
    cloud = await Cloud.start({ hosts: HOSTS, transport: TRANSPORT, ...options });
  });
  await cloud!.fabric!.settled();
  await cloud!.stop();
  return us;
}

/** The floor: the same LMDB store opened in a fresh dir, and a bare aedes listening on loopback. */
async function floor(): Promise<{ us: number; writeUs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-bench-start-'));
  let server: Server | undefined;
  let broker: Aedes | undefined;
  let store: Awaited<ReturnType<typeof openLmdbStore>> | undefined;
  const us = await timed(async () => {
    const [opened, aedes] = await Promise.all([openLmdbStore({ path: join(dir, 'store') }), Aedes.createBroker({})]);
    store = opened;
    broker = aedes;
    const listening = createServer((socket) => aedes.handle(socket));
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    if ((listening.address() as AddressInfo).port === 0) throw new Error('no port');
    server = listening;
  });
  // One durable write on the fresh store: the unit most start steps pay.
  const writeUs = await timed(async () => {
    await store!.persist('bench/one', { state: { n: 1 }, revision: 1, epoch: 0, dedup: {} }, { shard: 0, expectedRevision: 0 });
  });
  await new Promise<void>((resolve) => server!.close(() => resolve()));
  await new Promise<void>((resolve) => broker!.close(() => resolve()));
  await store!.close();
  rmSync(dir, { recursive: true, force: true });
  return { us, writeUs };
}

async function main(): Promise<void> {
  const ours = histogram();
  const fullCost = histogram();
  const noApi = histogram();
  const eagerApi = histogram();
  const floors = histogram();
  const scrypts = histogram();
  const writes = histogram();
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const record = i >= WARMUP;
    // Each run's steps go in a rotating order, so no variant always follows another's clean-up.
    const steps: Array<() => Promise<void>> = [
      async () => {
        const us = await cloudStart({});
        if (record) ours.recordValue(us);
      },
      async () => {
        const f = await floor();
        if (record) floors.recordValue(f.us);
        if (record) writes.recordValue(f.writeUs);
      },
      async () => {
        const us = await cloudStart({ passwordCost: DEFAULT_COST });
        if (record) fullCost.recordValue(us);
      },
      async () => {
        const us = await cloudStart({ apiPort: null });
        if (record) noApi.recordValue(us);
      },
      async () => {
        const us = await cloudStart({ lazyApi: false, builtinImages: 'before-ready' });
        if (record) eagerApi.recordValue(us);
      },
      async () => {
        const us = await timed(async () => {
          await hashPassword('a password of the admin', DEFAULT_COST);
        });
        if (record) scrypts.recordValue(us);
      },
    ];
    for (let k = 0; k < steps.length; k++) {
      await steps[(i + k) % steps.length]!();
      global.gc?.();
    }
  }
  const p50 = ms(ours.getValueAtPercentile(50));
  const floorP50 = ms(floors.getValueAtPercentile(50));
  const ratio = Number((p50 / floorP50).toFixed(2));
  console.log(`Cloud.start({ hosts: ${HOSTS} }) (${TRANSPORT}): p50 ${p50} ms, p99 ${ms(ours.getValueAtPercentile(99))} ms`);
  console.log(`  with passwords at the full cost (N=${DEFAULT_COST}, as with a data dir): p50 ${ms(fullCost.getValueAtPercentile(50))} ms`);
  console.log(`  with the API's routes and the cirros image before ready (as cumulo up): p50 ${ms(eagerApi.getValueAtPercentile(50))} ms`);
  console.log(`  without the HTTP API (apiPort: null): p50 ${ms(noApi.getValueAtPercentile(50))} ms`);
  console.log(`  one scrypt hash at N=${DEFAULT_COST}: p50 ${ms(scrypts.getValueAtPercentile(50))} ms; one durable store write: p50 ${ms(writes.getValueAtPercentile(50))} ms`);
  console.log(`floor (LMDB open + bare aedes): p50 ${floorP50} ms, p99 ${ms(floors.getValueAtPercentile(99))} ms`);
  const result = {
    bench: 'start',
    transport: TRANSPORT,
    hosts: HOSTS,
    iterations: ITERATIONS,
    p50_ms: p50,
    p99_ms: ms(ours.getValueAtPercentile(99)),
    floor_p50_ms: floorP50,
    floor_p99_ms: ms(floors.getValueAtPercentile(99)),
    full_cost_p50_ms: ms(fullCost.getValueAtPercentile(50)),
    as_cumulo_up_p50_ms: ms(eagerApi.getValueAtPercentile(50)),
    no_api_p50_ms: ms(noApi.getValueAtPercentile(50)),
    scrypt_p50_ms: ms(scrypts.getValueAtPercentile(50)),
    store_write_p50_ms: ms(writes.getValueAtPercentile(50)),
    ratio,
    anchor: 'LMDB store open in a fresh dir + bare aedes listening, same run, alternating',
    goal: 'p50_ms < 150 and ratio <= 3',
    met: p50 < 150 && ratio <= 3,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
