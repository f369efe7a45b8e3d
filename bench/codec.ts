// Encode + decode of one typical envelope (a compute.create request, ~300 bytes) through cumulo's
// CBOR codec, validation included, versus JSON.stringify + Buffer.from + toString + JSON.parse of
// the same envelope with no validation, in the same run. Goal: <= 6 µs per op and ratio < 1.
// The JSON form of cumulo's codec (what foreign MQTT clients use) is reported as an extra figure.
//   npx tsc -p . && node dist/bench/codec.js [opsPerRound] [rounds]
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { decodeEnvelope, encodeEnvelope } from '../transports/codec.js';
import type { Envelope } from '../transports/envelope.js';
import { newId } from '../transports/ids.js';

const OPS = Number(process.argv[2] ?? 200_000);
const ROUNDS = Number(process.argv[3] ?? 7);
/** Ops timed together: one clock read per chunk keeps timer overhead out of a ~2 µs op. */
const CHUNK = 100;

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
  token: 'gAAAAABnQ2tDYXJlZnVsbHlGYWtlVG9rZW5Gb3JCZW5jaGVzX3Byb2plY3QtZGVtbw',
  body: {
    name: 'web-1',
    flavorRef: 'm1.small',
    imageRef: '6f1c0e2a-9d3b-4c59-a8e7-2b3f4d5e6a7b',
    networks: [{ uuid: 'c3a1f2e4-5b6d-4e8f-9a0b-1c2d3e4f5a6b' }],
    availability_zone: 'nova',
    min_count: 1,
    max_count: 1,
    metadata: { role: 'web', tier: 'front' },
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

const plainJson: Op = () => {
  const decoded = JSON.parse(Buffer.from(JSON.stringify(envelope)).toString('utf8')) as Envelope;
  return decoded.seq;
};

let sink = 0;

/** Per-op µs of each chunk into the histogram (in ns); returns the round's mean per-op µs. */
function round(op: Op, histogram: hdr.Histogram): number {
  const started = performance.now();
  for (let done = 0; done < OPS; done += CHUNK) {
    const t0 = performance.now();
    for (let i = 0; i < CHUNK; i++) sink += op();
    histogram.recordValue(Math.max(1, Math.round(((performance.now() - t0) * 1e6) / CHUNK)));
  }
  return ((performance.now() - started) * 1000) / OPS;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fixed = (x: number, digits = 3): number => Number(x.toFixed(digits));

function main(): void {
  const names = ['cumulo-cbor', 'json', 'cumulo-json'] as const;
  const ops: Record<(typeof names)[number], Op> = { 'cumulo-cbor': cumuloCbor, json: plainJson, 'cumulo-json': cumuloJson };
  const histograms = Object.fromEntries(
    names.map((n) => [n, hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 })]),
  ) as Record<(typeof names)[number], hdr.Histogram>;
  const means: Record<(typeof names)[number], number[]> = { 'cumulo-cbor': [], json: [], 'cumulo-json': [] };

  // Warm up (JIT tiers, inline caches), then alternate so drift and GC hit every side alike.
  const scratch = hdr.build();
  for (const n of names) round(ops[n], scratch);
  scratch.destroy();
  for (let r = 0; r < ROUNDS; r++) {
    for (const n of names) means[n].push(round(ops[n], histograms[n]));
  }

  const bytesCbor = encodeEnvelope(envelope).length;
  const bytesJson = Buffer.byteLength(JSON.stringify(envelope));
  for (const n of names) {
    const h = histograms[n];
    console.log(
      `${n.padEnd(12)} median of round means ${median(means[n]).toFixed(3)} µs/op` +
        `  chunk p50 ${(h.getValueAtPercentile(50) / 1000).toFixed(3)} µs  p99 ${(h.getValueAtPercentile(99) / 1000).toFixed(3)} µs`,
    );
    h.destroy();
  }
  const cumuloUs = median(means['cumulo-cbor']);
  const jsonUs = median(means.json);
  const jsonFormUs = median(means['cumulo-json']);
  console.log(`bytes: cbor ${bytesCbor}, json ${bytesJson}; ${OPS} ops x ${ROUNDS} rounds (checksum ${sink % 1000})`);
  const goal = cumuloUs <= 6 && cumuloUs < jsonUs;
  console.log(`goal (<= 6 µs and faster than JSON): ${goal ? 'met' : 'MISSED'}`);
  console.log(
    `RESULT ${JSON.stringify({
      bench: 'codec',
      ratio: fixed(cumuloUs / jsonUs),
      cumulo_us: fixed(cumuloUs),
      json_us: fixed(jsonUs),
      bytes_cbor: bytesCbor,
      bytes_json: bytesJson,
      cumulo_json_form_us: fixed(jsonFormUs),
      goal_met: goal,
    })}`,
  );
}

main();
