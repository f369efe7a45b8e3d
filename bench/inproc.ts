// Asks per second between actors of one process, against nact's own query in the same run.
// Work: PAIRS actor pairs (A_i, B_i); A_i, on one `run` message, asks B_i ASKS times in sequence
// (each ask awaits B_i's reply: n -> n + 1) and answers the sum; all pairs run at once. cumulo
// does it with typed refs and ask() (deadline per ask on the wall clock); the anchor does the
// same with nact spawn/query (a 32-bit temporary reference and a setTimeout per query).
// Rounds alternate between the two; the figure of each is its median round.
//   npx tsc -p . && node dist/bench/inproc.js [pairs=8] [asksPerPair=25000] [rounds=7]
import { createActorSystem, defineActor } from '../supervision/index.js';
import type { ActorRef } from '../supervision/index.js';
import { nactAskPairs } from '../supervision/nact-baseline.js';

const PAIRS = Number(process.argv[2] ?? 8);
const ASKS = Number(process.argv[3] ?? 25_000);
const ROUNDS = Number(process.argv[4] ?? 7);

type Ping = { type: 'ping'; n: number };
type Run = { type: 'run'; count: number };

function cumuloPairs(pairs: number) {
  const system = createActorSystem({ askTimeoutMs: 60_000 });
  const as: ActorRef<Run, number>[] = [];
  for (let i = 0; i < pairs; i++) {
    const b = system.spawn(
      defineActor<null, Ping, number>({ name: `b-${i}`, messageTypes: { ping: true }, init: () => null, handle: (_ctx, msg) => msg.n + 1 }),
    );
    if (!b.ok) throw new Error(b.error.message);
    const target = b.value;
    const a = system.spawn(
      defineActor<null, Run, number>({
        name: `a-${i}`,
        messageTypes: { run: true },
        init: () => null,
        async handle(_ctx, msg) {
          let sum = 0;
          for (let n = 0; n < msg.count; n++) {
            const r = await target.ask({ type: 'ping', n });
            if (!r.ok) throw new Error(r.error.code);
            sum += r.value;
          }
          return sum;
        },
      }),
    );
    if (!a.ok) throw new Error(a.error.message);
    as.push(a.value);
  }
  return {
    async run(count: number): Promise<number> {
      const sums = await Promise.all(as.map((a) => a.ask({ type: 'run', count }, { timeoutMs: 600_000 })));
      let total = 0;
      for (const s of sums) {
        if (!s.ok) throw new Error(s.error.code);
        total += s.value;
      }
      return total;
    },
    stop: () => system.stop(),
  };
}

async function timed(run: (count: number) => Promise<number>, count: number): Promise<number> {
  global.gc?.();
  const t0 = process.hrtime.bigint();
  const sum = await run(count);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const expected = PAIRS * ((count * (count + 1)) / 2);
  if (sum !== expected) throw new Error(`wrong sum ${sum} != ${expected}`);
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const ourPairs = cumuloPairs(PAIRS);
  const nactPairs = nactAskPairs(PAIRS);
  const ours = (count: number) => ourPairs.run(count);
  const theirs = (count: number) => nactPairs.run(count);
  // Warm-up: let both reach their optimized code.
  await timed(ours, ASKS / 5);
  await timed(theirs, ASKS / 5);
  const oursMs: number[] = [];
  const theirsMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      theirsMs.push(await timed(theirs, ASKS));
      oursMs.push(await timed(ours, ASKS));
    } else {
      oursMs.push(await timed(ours, ASKS));
      theirsMs.push(await timed(theirs, ASKS));
    }
    console.log(`round ${r + 1}: cumulo ${oursMs[r]!.toFixed(1)} ms, nact ${theirsMs[r]!.toFixed(1)} ms`);
  }
  await ourPairs.stop();
  nactPairs.stop();
  const total = PAIRS * ASKS;
  const oursMedian = median(oursMs);
  const theirsMedian = median(theirsMs);
  const result = {
    bench: 'inproc',
    pairs: PAIRS,
    asks_per_round: total,
    rounds: ROUNDS,
    cumulo_ms: Number(oursMedian.toFixed(1)),
    nact_ms: Number(theirsMedian.toFixed(1)),
    asks_per_s: Math.round(total / (oursMedian / 1000)),
    nact_per_s: Math.round(total / (theirsMedian / 1000)),
    ratio: Number((oursMedian / theirsMedian).toFixed(3)),
    goal: 'ratio <= 1.5 and asks_per_s >= 200000',
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
