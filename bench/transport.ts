// An ask through the fabric (endpoint A asks endpoint B over two MQTT connections, so through the
// broker, never local delivery) versus a raw mqtt.js request/reply between two clients on the same
// broker with a hand-rolled correlation id, same body, same QoS 1, noDelay on both: p50 and p99
// of sequential requests, and throughput with 100 in flight. Goals: p50 ratio <= 1.25, p99 ratio
// <= 1.5, throughput >= 0.8x raw. Runs on the embedded aedes and on mosquitto.
// The machine may be busy with other work: sides alternate in short rounds (ABBA), each round's
// throughputs are paired, and the median paired ratio is the figure.
//   npx tsc -p . && node dist/bench/transport.js [--broker aedes|mosquitto|both] [--target endpoint|actor] [--requests N]
//     [--throughput-requests N] [--inflight N] [--rounds N] [--count-writes] [--only raw|cumulo]
import { Socket, createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encode as cborEncode } from 'cbor-x';
import * as hdr from 'hdr-histogram-js';
import { MqttClient } from 'mqtt';
import { allowAll } from '../transports/allow-all.js';
import { startBroker } from '../transports/broker.js';
import { wallClock } from '../transports/clock.js';
import { createEndpoint, type Endpoint } from '../transports/endpoint.js';
import type { Result } from '../transports/errors.js';
import { newId } from '../transports/ids.js';
import { connectMqtt } from '../transports/mqtt-transport.js';
import { topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { FabricNode } from '../supervision/fabric-node.js';
import { createActorSystem, createMemoryStore, defineKind, type ActorSystem } from '../supervision/index.js';
import { shardOf } from '../transports/topics.js';

type BrokerKind = 'aedes' | 'mosquitto';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** 'endpoint': B is a bare endpoint that answers at once; 'actor': B is a fabric node and an actor answers. */
const TARGET = option('target', 'endpoint') as 'endpoint' | 'actor';
const BROKERS: BrokerKind[] = option('broker', 'both') === 'both' ? ['aedes', 'mosquitto'] : [option('broker', 'aedes') as BrokerKind];
const SEQUENTIAL = Number(option('requests', '5000'));
const IN_FLIGHT = Number(option('inflight', '100'));
const THROUGHPUT_REQUESTS = Number(option('throughput-requests', '50000'));
const WARMUP = 1_000;
/** Latency and throughput are measured in rounds that alternate the sides (see measure()). */
const ROUNDS = Number(option('rounds', '20'));
const GOALS = { p50: 1.25, p99: 1.5, throughput: 0.8 } as const;
/**
 * --count-writes: counts the socket writes (write and writev calls on every socket of the
 * process, broker included when it is aedes) per request in the throughput rounds, per side.
 */
const COUNT_WRITES = process.argv.includes('--count-writes');
let socketWrites = 0;
if (COUNT_WRITES) {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const original = proto[name];
    proto[name] = function (this: Socket, ...args: unknown[]) {
      socketWrites++;
      return original.apply(this, args);
    };
  }
}
/** Sequential requests per side before the other side's turn (see measure()). */
const LATENCY_SLICE = 25;

/** The request body, the same on both sides: about 200 bytes once encoded. */
const BODY = {
  name: 'vm-web-0042',
  flavor: { vcpus: 2, ramMb: 4096, diskGb: 40 },
  image: '4b8e2c6f-37a1-4d2e-9a0b-5c1d7e3f9a21',
  network: 'net-private-01',
  zone: 'nova',
  tags: ['web', 'prod', 'eu-west'],
  userData: 'IyEvYmluL3NoCmVjaG8gaGVsbG8K',
  metadata: { owner: 'team-a', tier: 'frontend' },
};

/** One side of the comparison: sends one request and resolves with its reply. */
interface Side {
  readonly name: string;
  request(): Promise<void>;
  close(): Promise<void>;
}

interface Broker {
  readonly url: string;
  stop(): Promise<void>;
}

async function startBrokerOf(kind: BrokerKind): Promise<Broker> {
  if (kind === 'aedes') {
    const b = await startBroker({ port: 0, authenticator: allowAll });
    return { url: b.url, stop: () => b.close() };
  }
  const m = await startMosquitto();
  return { url: m.url, stop: () => m.stop() };
}

/** What answers on B's side: a bare handler, or an actor behind a fabric node (--target actor). */
interface Target {
  stop(): Promise<void>;
}

async function serveEndpoint(server: Endpoint, topic: string): Promise<Target> {
  const unserve = await server.serve(topic, (d) => void d.reply(d.envelope.body));
  return { stop: unserve };
}

/** A stateless echo actor of kind `bench`, served by a fabric node that owns only its shard. */
const echoKind = defineKind<null, { type: 'echo' }, unknown>({
  name: 'bench',
  messageTypes: { echo: true },
  initialState: null,
  handle: (_ctx, msg) => msg,
});

async function serveActor(server: Endpoint, transport: Transport): Promise<Target> {
  const store = createMemoryStore();
  let node: FabricNode | undefined;
  const system: ActorSystem = createActorSystem({ clock: wallClock, store, shardEpoch: (shard) => node?.epochOf(shard) ?? 0 });
  const registered = system.register(echoKind);
  if (!registered.ok) throw new Error(registered.error.message);
  node = await FabricNode.start({ nodeId: `bench-node-${newId()}`, system, endpoint: server, transport, store, clock: wallClock, shards: [shardOf('bench', 'echo-1')] });
  return {
    stop: async () => {
      await node?.drain();
      await system.stop();
    },
  };
}

/**
 * The fabric side: A asks `bench/echo-1` on its mailbox shard; B answers, through a bare endpoint
 * handler or (--target actor) through the actor runtime.
 */
async function cumuloSide(url: string): Promise<Side> {
  const transports: Transport[] = [await connectMqtt({ url }), await connectMqtt({ url })];
  const [ta, tb] = transports as [Transport, Transport];
  const asker: Endpoint = await createEndpoint({ transport: ta, clock: wallClock });
  const server: Endpoint = await createEndpoint({ transport: tb, clock: wallClock });
  const topic = topics.mailboxOf('bench', 'echo-1');
  const target = TARGET === 'actor' ? await serveActor(server, tb) : await serveEndpoint(server, topic);
  return {
    name: 'cumulo',
    // As thin as the raw side's: the ask's own promise, and a check of its result.
    request: () => asker.ask(topic, 'bench/echo-1', 'echo', BODY).then(mustBeOk),
    close: async () => {
      await target.stop();
      await asker.close();
      await server.close();
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

function mustBeOk(r: Result<unknown>): void {
  if (!r.ok) throw new Error(`ask failed: ${r.error.code} ${r.error.message}`);
}

/**
 * A bare mqtt.js client connected as the fabric's transport connects: Nagle off, MQTT 3.1.1, and
 * mqtt.js's debug calls dropped unless DEBUG is set (see connectMqtt).
 */
function rawClient(url: string): Promise<MqttClient> {
  const { hostname, port } = new URL(url);
  const client = new MqttClient(() => createConnection({ host: hostname, port: Number(port), noDelay: true }), {
    protocolVersion: 4,
    clientId: `raw-${newId()}`,
    clean: true,
    reconnectPeriod: 0,
    manualConnect: true,
    ...(process.env.DEBUG === undefined ? { log: () => undefined } : {}),
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.connect();
  });
}

/** The anchor: requests carry a 16-byte correlation id before the body; the responder echoes. */
async function rawSide(url: string): Promise<Side> {
  const [requester, responder] = [await rawClient(url), await rawClient(url)];
  const requestTopic = 'raw/request';
  const replyTopic = `raw/reply/${requester.options.clientId}`;
  const body = cborEncode(BODY);
  const waiting = new Map<string, () => void>();
  responder.on('message', (_topic, payload) => {
    responder.publish(replyTopic, payload, { qos: 1 });
  });
  requester.on('message', (_topic, payload) => {
    const corr = payload.subarray(0, 16).toString('hex');
    const resolve = waiting.get(corr);
    waiting.delete(corr);
    resolve?.();
  });
  await new Promise<void>((resolve, reject) => responder.subscribe(requestTopic, { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve, reject) => requester.subscribe(replyTopic, { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  return {
    name: 'raw',
    request: () =>
      new Promise<void>((resolve) => {
        const corr = Buffer.from(newId(), 'hex');
        waiting.set(corr.toString('hex'), resolve);
        requester.publish(requestTopic, Buffer.concat([corr, body]), { qos: 1 });
      }),
    close: async () => {
      await Promise.all([requester, responder].map((c) => new Promise<void>((resolve) => c.end(false, () => resolve()))));
    },
  };
}

function histogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

async function sequential(side: Side, n: number, into: hdr.Histogram | undefined): Promise<void> {
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await side.request();
    into?.recordValue(Math.max(1, Math.round((performance.now() - start) * 1000)));
  }
}

/** Requests per second with `inFlight` outstanding at all times. */
async function throughput(side: Side, total: number, inFlight: number): Promise<number> {
  let issued = 0;
  const start = performance.now();
  const worker = async () => {
    while (issued < total) {
      issued++;
      await side.request();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((performance.now() - start) / 1000);
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

async function measure(kind: BrokerKind) {
  const broker = await startBrokerOf(kind);
  const sides = [await rawSide(broker.url), await cumuloSide(broker.url)];
  const latency = new Map(sides.map((s) => [s.name, histogram()]));
  const rates = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  const writes = new Map<string, number>(sides.map((s) => [s.name, 0]));
  const rateRatios: number[] = [];
  try {
    for (const side of sides) {
      await sequential(side, WARMUP, undefined);
      await throughput(side, THROUGHPUT_REQUESTS / 4, IN_FLIGHT);
    }
    // Short rounds alternate the sides so that drift and the load of a shared machine (CPU
    // frequency, GC, other processes) hit both alike; throughput is compared round by round and
    // the median of those paired ratios is reported. Sequential requests alternate in slices
    // of LATENCY_SLICE within a round: a burst of outside load, which sets the p99, then falls
    // on both sides rather than on whichever had the round.
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      gc();
      for (let done = 0; done < SEQUENTIAL / ROUNDS; done += LATENCY_SLICE) {
        for (const side of order) await sequential(side, LATENCY_SLICE, latency.get(side.name));
      }
      const round = new Map<string, number>();
      for (const side of order) {
        gc();
        const writesBefore = socketWrites;
        round.set(side.name, await throughput(side, THROUGHPUT_REQUESTS / ROUNDS, IN_FLIGHT));
        writes.set(side.name, writes.get(side.name)! + socketWrites - writesBefore);
        rates.get(side.name)!.push(round.get(side.name)!);
      }
      rateRatios.push(round.get('cumulo')! / round.get('raw')!);
    }
  } finally {
    for (const side of sides) await side.close();
    await broker.stop();
  }
  const figures = (name: string) => {
    const h = latency.get(name)!;
    const perRequest = COUNT_WRITES ? { socket_writes_per_request: round(writes.get(name)! / (ROUNDS * (THROUGHPUT_REQUESTS / ROUNDS)), 2) } : {};
    return { p50_us: h.getValueAtPercentile(50), p99_us: h.getValueAtPercentile(99), max_us: h.maxValue, throughput_rps: Math.round(median(rates.get(name)!)), ...perRequest };
  };
  const raw = figures('raw');
  const cumulo = figures('cumulo');
  const result = {
    ratio: round(cumulo.p50_us / raw.p50_us),
    ratio_p99: round(cumulo.p99_us / raw.p99_us),
    throughput_ratio: round(median(rateRatios)),
    throughput_ratio_range: [round(Math.min(...rateRatios)), round(Math.max(...rateRatios))],
    cumulo,
    raw,
  };
  const met = result.ratio <= GOALS.p50 && result.ratio_p99 <= GOALS.p99 && result.throughput_ratio >= GOALS.throughput;
  console.log(
    `${kind.padEnd(9)} p50 ${cumulo.p50_us}us vs ${raw.p50_us}us (x${result.ratio}), p99 ${cumulo.p99_us}us vs ${raw.p99_us}us (x${result.ratio_p99}), ` +
      `${cumulo.throughput_rps} vs ${raw.throughput_rps} req/s with ${IN_FLIGHT} in flight (x${result.throughput_ratio}, ` +
      `rounds x${result.throughput_ratio_range[0]}..x${result.throughput_ratio_range[1]}) ${met ? 'goals met' : 'GOALS MISSED'}` +
      (COUNT_WRITES ? `; socket writes per request ${cumulo.socket_writes_per_request} vs ${raw.socket_writes_per_request}` : ''),
  );
  return { ...result, goals_met: met };
}

/**
 * --only raw|cumulo: one side alone, for a CPU profile (node --cpu-prof) or its CPU time per
 * request (process CPU, both clients and, on aedes, the broker), without the other side's work.
 */
async function only(kind: BrokerKind, name: string): Promise<void> {
  const broker = await startBrokerOf(kind);
  const side = name === 'raw' ? await rawSide(broker.url) : await cumuloSide(broker.url);
  try {
    await sequential(side, WARMUP, undefined);
    await throughput(side, THROUGHPUT_REQUESTS / 4, IN_FLIGHT);
    gc();
    const cpu = process.cpuUsage();
    const writesBefore = socketWrites;
    const rate = await throughput(side, THROUGHPUT_REQUESTS, IN_FLIGHT);
    const used = process.cpuUsage(cpu);
    const perRequest = (used.user + used.system) / THROUGHPUT_REQUESTS;
    console.log(
      `${kind} ${name} alone: ${Math.round(rate)} req/s with ${IN_FLIGHT} in flight, ${perRequest.toFixed(1)} us CPU per request` +
        (COUNT_WRITES ? `, ${((socketWrites - writesBefore) / THROUGHPUT_REQUESTS).toFixed(2)} socket writes per request` : ''),
    );
  } finally {
    await side.close();
    await broker.stop();
  }
}

const ONLY = option('only', '');
if (ONLY !== '') {
  for (const kind of BROKERS) await only(kind, ONLY);
  process.exit(0);
}

const results: Partial<Record<BrokerKind, Awaited<ReturnType<typeof measure>>>> = {};
for (const kind of BROKERS) results[kind] = await measure(kind);
const primary = results[BROKERS[0]!]!;
console.log(
  `RESULT ${JSON.stringify({
    bench: 'transport',
    broker: BROKERS[0],
    target: TARGET,
    ratio: primary.ratio,
    ratio_p99: primary.ratio_p99,
    throughput_ratio: primary.throughput_ratio,
    goals: GOALS,
    goals_met: Object.values(results).every((r) => r.goals_met),
    sequential_requests: SEQUENTIAL,
    throughput_requests: THROUGHPUT_REQUESTS,
    rounds: ROUNDS,
    in_flight: IN_FLIGHT,
    ...results,
  })}`,
);
