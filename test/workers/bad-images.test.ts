// Untrusted images: a truncated file, a corrupt or hostile header, tables pointing past the end
// of the file or at each other (what would make a naive reader loop or read its own tables as
// data), an absurd virtual size or table size, bad compressed clusters, and fuzzed headers and
// tables. Each gets an error value with a code (IMAGE_TRUNCATED, IMAGE_CORRUPT,
// IMAGE_UNSUPPORTED, IMAGE_TOO_LARGE) quickly: never a crash, a hang or a huge allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { convertImage, DEFAULT_LIMITS, ImageError, parseQcow2Header, probeImage, writeImage, WorkerPool, type ImageLimits } from '../../workers/index.js';
import { noise, tempDir } from './image-fixtures.js';

const MiB = 1024 * 1024;
const C = 65536;
const IMAGE_CODES = new Set(['IMAGE_TRUNCATED', 'IMAGE_CORRUPT', 'IMAGE_UNSUPPORTED', 'IMAGE_TOO_LARGE']);

/** A valid qcow2 with two L2 tables: data at guest 0 and 64 KiB, and at 600 MiB. */
function baseImage(dir: string): { path: string; bytes: Buffer } {
  const path = join(dir, 'base.qcow2');
  writeImage(path, 'qcow2', 1024 * MiB + 4 * MiB, [
    { kind: 'data', offset: 0, bytes: noise(1, 2 * C) },
    { kind: 'data', offset: 600 * MiB, bytes: noise(2, C) },
  ]);
  return { path, bytes: readFileSync(path) };
}

function u64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 2 ** 32 + buf.readUInt32BE(at + 4);
}
function w64(buf: Buffer, at: number, v: number | bigint): void {
  buf.writeBigUInt64BE(BigInt(v), at);
}

/** What reading the image answers: 'ok' or the error code (anything else thrown fails the test). */
function outcome(path: string, dir: string, limits: ImageLimits = DEFAULT_LIMITS): string {
  try {
    const probe = probeImage(path, limits);
    if (probe.format !== 'qcow2') return `probe:${probe.format}`;
    convertImage(path, 'qcow2', join(dir, 'out.raw'), 'raw', limits);
    return 'ok';
  } catch (e) {
    if (e instanceof ImageError) return e.value.code;
    throw e;
  }
}

function variant(dir: string, base: Buffer, name: string, change: (b: Buffer) => unknown): string {
  const copy = Buffer.from(base);
  const result = change(copy);
  const changed = Buffer.isBuffer(result) ? result : copy;
  const path = join(dir, `${name}.qcow2`);
  writeFileSync(path, changed);
  return path;
}

void test('the base image is valid (the mutations below start from a readable file)', async (t) => {
  const dir = tempDir(t);
  const { path } = baseImage(dir);
  assert.equal(outcome(path, dir), 'ok');
});

void test('a file cut anywhere is IMAGE_TRUNCATED', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const cuts = [4, 50, 71, 80, 103, 110, C, C + 100, 3 * C, 4 * C + 8, bytes.length - C - 1, bytes.length - 8, bytes.length - 1];
  for (const cut of cuts) {
    const path = variant(dir, bytes, `cut${cut}`, (b) => b.subarray(0, cut));
    assert.equal(outcome(path, dir), 'IMAGE_TRUNCATED', `cut at ${cut}`);
  }
  const tiny = variant(dir, bytes, 'tiny', (b) => b.subarray(0, 3));
  assert.throws(() => convertImage(tiny, 'qcow2', join(dir, 'o.raw'), 'raw', DEFAULT_LIMITS), (e: unknown) => e instanceof ImageError && e.value.code === 'IMAGE_CORRUPT');
});

void test('hostile or corrupt header fields each get their code', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const cases: ReadonlyArray<[string, (b: Buffer) => unknown, string]> = [
    ['version 4', (b) => b.writeUInt32BE(4, 4), 'IMAGE_UNSUPPORTED'],
    ['version 1', (b) => b.writeUInt32BE(1, 4), 'IMAGE_UNSUPPORTED'],
    ['cluster bits 8', (b) => b.writeUInt32BE(8, 20), 'IMAGE_CORRUPT'],
    ['cluster bits 31', (b) => b.writeUInt32BE(31, 20), 'IMAGE_CORRUPT'],
    ['header length 100', (b) => b.writeUInt32BE(100, 100), 'IMAGE_CORRUPT'],
    ['header length past the cluster', (b) => b.writeUInt32BE(C + 8, 100), 'IMAGE_CORRUPT'],
    ['a backing file', (b) => w64(b, 8, 512), 'IMAGE_UNSUPPORTED'],
    ['encryption', (b) => b.writeUInt32BE(2, 32), 'IMAGE_UNSUPPORTED'],
    ['an unknown incompatible feature', (b) => b.writeUInt32BE(1 << 7, 76), 'IMAGE_UNSUPPORTED'],
    ['a high incompatible feature', (b) => b.writeUInt32BE(1, 72), 'IMAGE_UNSUPPORTED'],
    ['marked corrupt', (b) => b.writeUInt32BE(2, 76), 'IMAGE_CORRUPT'],
    ['an external data file', (b) => b.writeUInt32BE(4, 76), 'IMAGE_UNSUPPORTED'],
    ['extended L2 entries', (b) => b.writeUInt32BE(16, 76), 'IMAGE_UNSUPPORTED'],
    ['zstd compression', (b) => { b.writeUInt32BE(8, 76); b[104] = 1; }, 'IMAGE_UNSUPPORTED'],
    ['refcount order 7', (b) => b.writeUInt32BE(7, 96), 'IMAGE_CORRUPT'],
    ['no refcount table', (b) => b.writeUInt32BE(0, 56), 'IMAGE_CORRUPT'],
    ['too many snapshots', (b) => b.writeUInt32BE(70000, 60), 'IMAGE_CORRUPT'],
  ];
  for (const [name, change, code] of cases) assert.equal(outcome(variant(dir, bytes, name.replace(/\W/g, '_'), change), dir), code, name);
  // Only the dirty bit: refcounts may be stale, the data is still read.
  assert.equal(outcome(variant(dir, bytes, 'dirty', (b) => b.writeUInt32BE(1, 76)), dir), 'ok');
});

void test('absurd sizes are refused before anything is allocated or read', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const cases: ReadonlyArray<[string, (b: Buffer) => unknown, string]> = [
    ['virtual size 2^62', (b) => w64(b, 24, 2n ** 62n), 'IMAGE_TOO_LARGE'],
    ['virtual size past the limit', (b) => w64(b, 24, 2 ** 45), 'IMAGE_TOO_LARGE'],
    ['a virtual size the L1 table does not cover', (b) => w64(b, 24, 2 ** 40), 'IMAGE_CORRUPT'],
    ['an L1 table of 2^31 entries', (b) => b.writeUInt32BE(2 ** 31, 36), 'IMAGE_TOO_LARGE'],
    ['an L1 table of 2^21 entries past the end', (b) => b.writeUInt32BE(2 ** 21, 36), 'IMAGE_TRUNCATED'],
    ['a refcount table of 2^20 clusters', (b) => b.writeUInt32BE(2 ** 20, 56), 'IMAGE_TOO_LARGE'],
    ['a refcount table of 100 clusters past the end', (b) => b.writeUInt32BE(100, 56), 'IMAGE_TRUNCATED'],
  ];
  for (const [name, change, code] of cases) assert.equal(outcome(variant(dir, bytes, name.replace(/\W/g, '_'), change), dir), code, name);
  const before = process.memoryUsage().rss;
  outcome(variant(dir, bytes, 'huge-l1', (b) => b.writeUInt32BE(2 ** 21, 36)), dir);
  assert.ok(process.memoryUsage().rss - before < 64 * MiB);
});

void test('tables pointing past the end, at the header, at each other or at themselves', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const h = parseQcow2Header(bytes, bytes.length, DEFAULT_LIMITS);
  const l1 = h.l1Offset;
  const rt = h.refcountTableOffset;
  const l2a = u64(bytes, l1) % 2 ** 56;
  const l2b = u64(bytes, l1 + 8) % 2 ** 56;
  assert.ok(l2a > 0 && l2b > 0 && l2a !== l2b);
  const COPIED = 2n ** 63n;
  const cases: ReadonlyArray<[string, (b: Buffer) => unknown, string]> = [
    ['L1 table offset past the end', (b) => w64(b, 40, bytes.length + C), 'IMAGE_TRUNCATED'],
    ['L1 table offset misaligned', (b) => w64(b, 40, l1 + 8), 'IMAGE_CORRUPT'],
    ['L1 table at the header', (b) => w64(b, 40, 0), 'IMAGE_CORRUPT'],
    ['refcount table past the end', (b) => w64(b, 48, bytes.length), 'IMAGE_TRUNCATED'],
    ['refcount table on the L1 table', (b) => w64(b, 48, l1), 'IMAGE_CORRUPT'],
    ['L1 entry past the end', (b) => w64(b, l1, COPIED | BigInt(bytes.length + 4 * C)), 'IMAGE_TRUNCATED'],
    ['L1 entry misaligned', (b) => w64(b, l1, COPIED | BigInt(l2a + 512)), 'IMAGE_CORRUPT'],
    ['L1 entry reserved bits', (b) => w64(b, l1, COPIED | BigInt(l2a + 1)), 'IMAGE_CORRUPT'],
    ['L1 entry pointing at the L1 table (a loop)', (b) => w64(b, l1, COPIED | BigInt(l1)), 'IMAGE_CORRUPT'],
    ['two L1 entries sharing one L2 table', (b) => w64(b, l1 + 8, COPIED | BigInt(l2a)), 'IMAGE_CORRUPT'],
    ['L1 entry pointing at the refcount table', (b) => w64(b, l1, COPIED | BigInt(rt)), 'IMAGE_CORRUPT'],
    ['L2 entry pointing at its own table (a loop)', (b) => w64(b, l2a, COPIED | BigInt(l2a)), 'IMAGE_CORRUPT'],
    ['L2 entry pointing at the other L2 table', (b) => w64(b, l2a + 16, COPIED | BigInt(l2b)), 'IMAGE_CORRUPT'],
    ['two L2 entries sharing a data cluster', (b) => w64(b, l2a + 8, u64(b, l2a)), 'IMAGE_CORRUPT'],
    ['L2 entry past the end', (b) => w64(b, l2a + 16, COPIED | BigInt(bytes.length + C)), 'IMAGE_TRUNCATED'],
    ['L2 entry misaligned', (b) => w64(b, l2a + 16, COPIED | BigInt(C + 4096)), 'IMAGE_CORRUPT'],
    ['L2 entry reserved bits', (b) => w64(b, l2a, BigInt(u64(b, l2a)) | (1n << 57n)), 'IMAGE_CORRUPT'],
    ['refcount block past the end', (b) => w64(b, rt, bytes.length + C), 'IMAGE_TRUNCATED'],
    ['refcount block on the refcount table (a loop)', (b) => w64(b, rt, rt), 'IMAGE_CORRUPT'],
    ['refcount block misaligned', (b) => w64(b, rt, rt + C + 100), 'IMAGE_CORRUPT'],
    ['a second refcount block on a data cluster', (b) => w64(b, rt + 8, C), 'IMAGE_CORRUPT'],
  ];
  for (const [name, change, code] of cases) assert.equal(outcome(variant(dir, bytes, name.replace(/\W/g, '_'), change), dir), code, name);
});

void test('compressed clusters that do not inflate to a cluster are IMAGE_CORRUPT', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const h = parseQcow2Header(bytes, bytes.length, DEFAULT_LIMITS);
  const l2a = u64(bytes, h.l1Offset) % 2 ** 56;
  // A compressed descriptor for 64 KiB clusters: offset in bits 0..53, extra sectors in 54..61.
  const compressed = (offset: number, sectors: number): bigint => (1n << 62n) | (BigInt(sectors - 1) << 54n) | BigInt(offset);
  const dataAt = u64(bytes, l2a) % 2 ** 56;
  const write = (payload: Buffer) => (b: Buffer): void => {
    payload.copy(b, dataAt);
    w64(b, l2a, compressed(dataAt, Math.ceil(payload.length / 512)));
  };
  const cases: ReadonlyArray<[string, (b: Buffer) => unknown, string]> = [
    ['garbage', write(noise(5, 2000)), 'IMAGE_CORRUPT'],
    ['inflates short', write(deflateRawSync(Buffer.alloc(1000, 1))), 'IMAGE_CORRUPT'],
    ['inflates long (a deflate bomb)', write(deflateRawSync(Buffer.alloc(50 * MiB, 0))), 'IMAGE_CORRUPT'],
    ['past the end', (b) => w64(b, l2a, compressed(bytes.length + 100, 1)), 'IMAGE_TRUNCATED'],
  ];
  for (const [name, change, code] of cases) assert.equal(outcome(variant(dir, bytes, name.replace(/\W/g, '_'), change), dir), code, name);
  // A well-formed compressed cluster reads back.
  const good = noise(9, C);
  const path = variant(dir, bytes, 'good', write(deflateRawSync(good)));
  assert.equal(outcome(path, dir), 'ok');
  assert.ok(readFileSync(join(dir, 'out.raw')).subarray(0, C).equals(good));
});

void test('fuzzed headers and tables: a coded error or a readable image, quickly', async (t) => {
  const dir = tempDir(t);
  const { bytes } = baseImage(dir);
  const h = parseQcow2Header(bytes, bytes.length, DEFAULT_LIMITS);
  const limits: ImageLimits = { maxVirtualSize: 2 * 1024 * MiB };
  const regions = [
    [0, 128],
    [h.l1Offset, h.l1Offset + 24],
    [u64(bytes, h.l1Offset) % 2 ** 56, (u64(bytes, h.l1Offset) % 2 ** 56) + 32],
    [h.refcountTableOffset, h.refcountTableOffset + 16],
  ] as const;
  const seen = new Map<string, number>();
  let n = 0;
  fc.assert(
    fc.property(
      fc.array(fc.record({ region: fc.integer({ min: 0, max: regions.length - 1 }), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
      (edits) => {
        const path = variant(dir, bytes, `fuzz${n++ % 4}`, (b) => {
          for (const e of edits) {
            const [from, to] = regions[e.region]!;
            b[from + (e.at % (to - from))] = e.value;
          }
        });
        const started = performance.now();
        const result = outcome(path, dir, limits);
        assert.ok(result === 'ok' || result.startsWith('probe:') || IMAGE_CODES.has(result), result);
        assert.ok(performance.now() - started < 2000, 'bounded work');
        seen.set(result, (seen.get(result) ?? 0) + 1);
      },
    ),
    { numRuns: 400, seed: 99 },
  );
  assert.ok(seen.size >= 3, `several outcomes: ${JSON.stringify([...seen])}`);
});

void test('through the pool, a bad image is an error value with its code', async (t) => {
  const dir = tempDir(t);
  const pool = new WorkerPool({ threads: 1 });
  t.after(() => pool.close());
  const { bytes } = baseImage(dir);
  const path = variant(dir, bytes, 'absurd', (b) => w64(b, 24, 2n ** 62n));
  const probed = await pool.probe(path);
  assert.ok(!probed.ok);
  assert.equal(probed.error.code, 'IMAGE_TOO_LARGE');
  assert.equal(probed.error.status, 400);
  const converted = await pool.convert({ source: variant(dir, bytes, 'cut', (b) => b.subarray(0, 5000)), sourceFormat: 'qcow2', target: join(dir, 'x.raw'), targetFormat: 'raw' });
  assert.ok(!converted.ok);
  assert.equal(converted.error.code, 'IMAGE_TRUNCATED');
});
