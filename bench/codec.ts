// Encode + decode of one typical envelope (a compute.create request, ~300 bytes) through cumulo's
// CBOR codec, validation included, versus JSON.stringify + Buffer.from + toString + JSON.parse of
// the same envelope with no validation, in the same run. Goal: <= 6 µs per op and ratio < 1.
// Extra figures: the JSON form of cumulo's codec (what foreign MQTT clients use), and plain cbor-x
// (maps, no checks) on the same envelope.
//   npx tsc -p . && node dist/bench/codec.js [opsPerRound] [rounds]
import { performance } from 'node:perf_hooks';
import { Decoder, Encoder } from 'cbor-x';
import * as hdr from 'hdr-histogram-js';
import { decodeEnvelope, encodeEnvelope } from '../transports/codec.js';
import type { Envelope } from '../transports/envelope.js';
import { newId } from '../transports/ids.js';

const OPS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 7);
/** Ops timed together: one clock read per chunk keeps timer overhead out of a ~3 µs op. */
const CHUNK = 200;

// A compute.create request as the SDK sends it: real 128-bit ids, a bearer token, and a body of
// 8 fields: 300 bytes as CBOR, 420 as JSON.
const client = newId();
const envelope: Envelope = {
  v: 1,
  type: 'compute.create',
  to: 'instance/01JD8X3N5V6QK2W9RZ4T7YBCMA',
  from: `client/${client}`,
  replyTo: `cumulo/reply/${client}`,
  corr: newId(),
  inc: newId(),
  seq: 48_213,
  deadline: 1_767_225_630_000,
  token: 'gAAAAABnQ2tDYXJlZnVs',
  body: {
    name: 'web-1',
    flavor: 'm1.small',
    image: 'cirros',
    network: 'private',
    zone: 'nova',
    count: 1,
    keyName: 'ops',
    tags: ['web'],
  },
};

type Op = () => number;

const cumuloCbor: Op = () => {
  const decoded = decodeEnvelope(encodeEnvelope(envelope));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value.envelope.seq;
};

const cumuloJson: Op = () => {
  const decoded = decodeEnvelope(encodeEnvelope(envelope, 'json'));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value.envelope.seq;
};

// cbor-x as it comes (maps for every object, no checks): the starting point the codec improves on.
const plainEncoder = new Encoder({ useRecords: false });
const plainDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });
const plainCbor: Op = () => (plainDecoder.decode(plainEncoder.encode(envelope)) as Envelope).seq;

const plainJson: Op = () => {
  const decoded = JSON.parse(Buffer.from(JSON.stringify(envelope)).toString('utf8')) as Envelope;
  return decoded.seq;
};

let sink = 0;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fixed = (x: number, digits = 3): number => Number(x.toFixed(digits));

type Name = 'cumulo-cbor' | 'json' | 'cumulo-json' | 'plain-cbor-x';
const ops: Record<Name, Op> = { 'cumulo-cbor': cumuloCbor, json: plainJson, 'cumulo-json': cumuloJson, 'plain-cbor-x': plainCbor };

/**
 * One round: chunk by chunk, each side in turn, so that load from anything else on the machine
 * falls on every side alike. Each chunk's per-op time goes into the side's histogram (in ns);
 * returns each side's median chunk, the round's figure (robust to a preempted chunk).
 */
function round(names: readonly Name[], histograms: Record<Name, hdr.Histogram>): Record<Name, number> {
  const perRound = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let done = 0; done < OPS; done += CHUNK) {
    for (const n of names) {
      const op = ops[n];
      const t0 = performance.now();
      for (let i = 0; i < CHUNK; i++) sink += op();
      const ns = ((performance.now() - t0) * 1e6) / CHUNK;
      histograms[n].recordValue(Math.max(1, Math.round(ns)));
      perRound[n].push(ns);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(perRound[n]) / 1000])) as Record<Name, number>;
}

function measure(names: readonly Name[]): Record<Name, number> {
  const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000, numberOfSignificantValueDigits: 3 });
  // Warm up (JIT tiers, inline caches) on throwaway histograms.
  const warm = Object.fromEntries(names.map((n) => [n, build()])) as Record<Name, hdr.Histogram>;
  round(names, warm);
  for (const n of names) warm[n].destroy();
  const histograms = Object.fromEntries(names.map((n) => [n, build()])) as Record<Name, hdr.Histogram>;
  const rounds = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Name, number[]>;
  for (let r = 0; r < ROUNDS; r++) {
    const figures = round(names, histograms);
    for (const n of names) rounds[n].push(figures[n]);
  }
  const result = {} as Record<Name, number>;
  for (const n of names) {
    const h = histograms[n];
    result[n] = median(rounds[n]);
    console.log(
      `${n.padEnd(12)} ${result[n].toFixed(3)} µs/op (median of ${ROUNDS} round medians)` +
        `  chunks: p50 ${(h.getValueAtPercentile(50) / 1000).toFixed(3)}  p99 ${(h.getValueAtPercentile(99) / 1000).toFixed(3)} µs/op`,
    );
    h.destroy();
  }
  return result;
}

function main(): void {
  // The comparison first, on its own; the extra figures afterwards, so that their objects (from
  // JSON.parse, from plain cbor-x) do not make the codec's property reads polymorphic meanwhile.
  const main = measure(['cumulo-cbor', 'json']);
  const extra = measure(['cumulo-json', 'plain-cbor-x']);
  const us = (n: Name) => main[n] ?? extra[n];
  const bytesCbor = encodeEnvelope(envelope).length;
  const bytesJson = Buffer.byteLength(JSON.stringify(envelope));
  console.log(`bytes: cbor ${bytesCbor}, json ${bytesJson}; ${OPS} ops per side x ${ROUNDS} rounds, chunks of ${CHUNK} (checksum ${sink % 1000})`);
  const cumuloUs = us('cumulo-cbor');
  const jsonUs = us('json');
  const goal = cumuloUs <= 6 && cumuloUs < jsonUs;
  console.log(`goal (<= 6 µs per encode+decode and faster than JSON): ${goal ? 'met' : 'MISSED'}`);
  console.log(
    `RESULT ${JSON.stringify({
      bench: 'codec',
      ratio: fixed(cumuloUs / jsonUs),
      cumulo_us: fixed(cumuloUs),
      json_us: fixed(jsonUs),
      bytes_cbor: bytesCbor,
      bytes_json: bytesJson,
      cumulo_json_form_us: fixed(us('cumulo-json')),
      plain_cbor_x_us: fixed(us('plain-cbor-x')),
      goal_met: goal,
    })}`,
  );
}

main();
