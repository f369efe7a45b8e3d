// Properties of conversion over random sparse images (random sizes, block placements that cross
// cluster and L2 boundaries, unaligned pieces, random and compressible data): raw → qcow2 → raw
// by our code gives back the source bytes, and our qcow2 passes `qemu-img check` and reads the
// same in qemu-img; a qcow2 qemu-img writes with a random cluster size, compressed or not, reads
// the same in our reader as in qemu-img. The first property runs the synchronous converter, the
// others the one with I/O in flight (what the pool runs), both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { convertImage, convertImageAsync, DEFAULT_LIMITS } from '../../workers/index.js';
import { compressible, noise, qemuImg, tempDir, writeRaw, type Block } from './image-fixtures.js';

const KiB = 1024;

const imageArb = fc
  .record({
    sectors: fc.integer({ min: 1, max: 12 * 2048 }), // up to 12 MiB, in 512-byte sectors
    blocks: fc.array(
      fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        length: fc.integer({ min: 1, max: 300 * KiB }),
        seed: fc.integer({ min: 1, max: 2 ** 31 }),
        text: fc.boolean(),
      }),
      { maxLength: 8 },
    ),
  })
  .map(({ sectors, blocks }) => {
    const size = sectors * 512;
    const placed: Block[] = blocks.map((b) => {
      const offset = Math.min(size - 1, Math.floor(b.at * size));
      const length = Math.min(b.length, size - offset);
      return { offset, bytes: b.text ? compressible(b.seed, length) : noise(b.seed, length) };
    });
    return { size, blocks: placed };
  });

void test('random sparse images: raw → qcow2 → raw is the identity, and qemu-img agrees', async (t) => {
  const dir = tempDir(t);
  let n = 0;
  fc.assert(
    fc.property(imageArb, ({ size, blocks }) => {
      const base = join(dir, `p${n++}`);
      const raw = `${base}.raw`;
      writeRaw(raw, size, blocks);
      convertImage(raw, 'raw', `${base}.qcow2`, 'qcow2', DEFAULT_LIMITS);
      qemuImg('check', `${base}.qcow2`);
      convertImage(`${base}.qcow2`, 'qcow2', `${base}.back.raw`, 'raw', DEFAULT_LIMITS);
      const source = readFileSync(raw);
      assert.ok(readFileSync(`${base}.back.raw`).equals(source), 'our round trip');
      qemuImg('convert', '-f', 'qcow2', '-O', 'raw', `${base}.qcow2`, `${base}.qemu.raw`);
      assert.ok(readFileSync(`${base}.qemu.raw`).equals(source), 'qemu-img reads ours');
      for (const ext of ['.raw', '.qcow2', '.back.raw', '.qemu.raw']) rmSync(base + ext, { force: true });
    }),
    { numRuns: 25, seed: 4242 },
  );
});

void test('random qemu-img qcow2 (cluster size, compression): our reader gives what qemu-img gives', async (t) => {
  const dir = tempDir(t);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(imageArb, fc.integer({ min: 9, max: 21 }), fc.boolean(), async ({ size, blocks }, clusterBits, compress) => {
      const base = join(dir, `q${n++}`);
      writeRaw(`${base}.raw`, size, blocks);
      qemuImg('convert', ...(compress ? ['-c'] : []), '-o', `cluster_size=${2 ** clusterBits}`, '-f', 'raw', '-O', 'qcow2', `${base}.raw`, `${base}.qcow2`);
      await convertImageAsync(`${base}.qcow2`, 'qcow2', `${base}.ours.raw`, 'raw', DEFAULT_LIMITS);
      qemuImg('convert', '-f', 'qcow2', '-O', 'raw', `${base}.qcow2`, `${base}.qemu.raw`);
      assert.ok(readFileSync(`${base}.ours.raw`).equals(readFileSync(`${base}.qemu.raw`)));
      for (const ext of ['.raw', '.qcow2', '.ours.raw', '.qemu.raw']) rmSync(base + ext, { force: true });
    }),
    { numRuns: 25, seed: 777 },
  );
});

void test('random sparse images through the converter with I/O in flight: raw → qcow2 → raw', async (t) => {
  const dir = tempDir(t);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(imageArb, async ({ size, blocks }) => {
      const base = join(dir, `a${n++}`);
      writeRaw(`${base}.raw`, size, blocks);
      await convertImageAsync(`${base}.raw`, 'raw', `${base}.qcow2`, 'qcow2', DEFAULT_LIMITS);
      qemuImg('check', `${base}.qcow2`);
      await convertImageAsync(`${base}.qcow2`, 'qcow2', `${base}.back.raw`, 'raw', DEFAULT_LIMITS, { sync: false });
      assert.ok(readFileSync(`${base}.back.raw`).equals(readFileSync(`${base}.raw`)));
      for (const ext of ['.raw', '.qcow2', '.back.raw']) rmSync(base + ext, { force: true });
    }),
    { numRuns: 20, seed: 31337 },
  );
});
