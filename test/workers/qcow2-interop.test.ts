// qcow2 against QEMU's own tool: our qcow2 output passes `qemu-img check` and `qemu-img convert`
// of it to raw gives our source bytes; our reader reads what `qemu-img convert` writes (default,
// zlib-compressed with -c, 512-byte, 4 KiB and 2 MiB clusters, version 2) into the bytes
// `qemu-img convert` itself gives back; the pool's convert task does the same across threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { convertImage, DEFAULT_LIMITS, probeImage, WorkerPool } from '../../workers/index.js';
import { compressible, noise, qemuImg, tempDir, writeRaw, type Block } from './image-fixtures.js';

const MiB = 1024 * 1024;

/** 24 MiB: data at the start, across an L2 boundary of small clusters, unaligned pieces, a tail. */
function sampleBlocks(): Block[] {
  return [
    { offset: 0, bytes: noise(1, 3 * 65536) },
    { offset: 5 * MiB + 4096, bytes: compressible(2, 3 * MiB) },
    { offset: 9 * MiB + 777, bytes: noise(3, 1000) },
    { offset: 16 * MiB - 100, bytes: compressible(4, 200_000) },
    { offset: 24 * MiB - 512, bytes: noise(5, 512) },
  ];
}

void test('our qcow2 passes qemu-img check and qemu-img converts it back to the source bytes', async (t) => {
  const dir = tempDir(t);
  const raw = join(dir, 'source.raw');
  writeRaw(raw, 24 * MiB, sampleBlocks());
  const ours = join(dir, 'ours.qcow2');
  const made = convertImage(raw, 'raw', ours, 'qcow2', DEFAULT_LIMITS);
  assert.equal(made.virtualSize, 24 * MiB);
  const check = qemuImg('check', '--output=json', ours);
  const report = JSON.parse(check) as Record<string, unknown>;
  assert.equal(report['check-errors'], 0);
  assert.equal(report['leaks'] ?? 0, 0);
  assert.equal(report['corruptions'] ?? 0, 0);
  const info = JSON.parse(qemuImg('info', '--output=json', ours)) as Record<string, unknown>;
  assert.equal(info['format'], 'qcow2');
  assert.equal(info['virtual-size'], 24 * MiB);
  const back = join(dir, 'qemu-back.raw');
  qemuImg('convert', '-f', 'qcow2', '-O', 'raw', ours, back);
  assert.ok(readFileSync(back).equals(readFileSync(raw)), 'qemu-img reads our qcow2 as the source bytes');
  // Zero clusters stay unallocated: the qcow2 is far smaller than the guest.
  assert.ok(statSync(ours).size < 10 * MiB);
});

void test('an odd-sized raw becomes a qcow2 rounded up to 512 bytes, as qemu-img does', async (t) => {
  const dir = tempDir(t);
  const raw = join(dir, 'odd.raw');
  writeRaw(raw, 1_000_001, [{ offset: 999_000, bytes: noise(9, 1001) }]);
  const ours = join(dir, 'odd.qcow2');
  assert.equal(convertImage(raw, 'raw', ours, 'qcow2', DEFAULT_LIMITS).virtualSize, 1_000_448);
  qemuImg('check', ours);
  const theirs = join(dir, 'theirs.qcow2');
  qemuImg('convert', '-f', 'raw', '-O', 'qcow2', raw, theirs);
  const [a, b] = [join(dir, 'a.raw'), join(dir, 'b.raw')];
  qemuImg('convert', '-O', 'raw', ours, a);
  qemuImg('convert', '-O', 'raw', theirs, b);
  assert.ok(readFileSync(a).equals(readFileSync(b)));
});

const QEMU_VARIANTS: ReadonlyArray<{ readonly name: string; readonly args: readonly string[]; readonly compressed?: boolean }> = [
  { name: 'default', args: [] },
  { name: 'compressed (-c)', args: ['-c'], compressed: true },
  { name: '512-byte clusters', args: ['-o', 'cluster_size=512'] },
  { name: '4 KiB clusters, compressed', args: ['-c', '-o', 'cluster_size=4096'], compressed: true },
  { name: '2 MiB clusters, compressed', args: ['-c', '-o', 'cluster_size=2M'], compressed: true },
  { name: 'version 2 (compat=0.10)', args: ['-o', 'compat=0.10'] },
];

for (const variant of QEMU_VARIANTS) {
  void test(`our reader reads qemu-img's qcow2 (${variant.name}) into the bytes qemu-img gives`, async (t) => {
    const dir = tempDir(t);
    const raw = join(dir, 'source.raw');
    writeRaw(raw, 24 * MiB, sampleBlocks());
    const theirs = join(dir, 'theirs.qcow2');
    qemuImg('convert', ...variant.args, '-f', 'raw', '-O', 'qcow2', raw, theirs);
    const probe = probeImage(theirs, DEFAULT_LIMITS);
    assert.equal(probe.format, 'qcow2');
    assert.equal(probe.virtualSize, 24 * MiB);
    assert.equal(probe.compressed, variant.compressed === true, 'compressed clusters are there when -c was given');
    const ours = join(dir, 'ours.raw');
    convertImage(theirs, 'qcow2', ours, 'raw', DEFAULT_LIMITS);
    const reference = join(dir, 'qemu.raw');
    qemuImg('convert', '-f', 'qcow2', '-O', 'raw', theirs, reference);
    assert.ok(readFileSync(ours).equals(readFileSync(reference)));
    assert.ok(readFileSync(ours).equals(readFileSync(raw)));
  });
}

void test('the pool converts both ways and probes across threads', async (t) => {
  const dir = tempDir(t);
  const pool = new WorkerPool({ threads: 2 });
  t.after(() => pool.close());
  const raw = join(dir, 'source.raw');
  writeRaw(raw, 24 * MiB, sampleBlocks());
  const qcow2 = join(dir, 'pool.qcow2');
  const there = await pool.convert({ source: raw, sourceFormat: 'raw', target: qcow2, targetFormat: 'qcow2' });
  assert.ok(there.ok);
  qemuImg('check', qcow2);
  const probed = await pool.probe(qcow2);
  assert.ok(probed.ok);
  assert.deepEqual([probed.value.format, probed.value.virtualSize], ['qcow2', 24 * MiB]);
  const back = join(dir, 'back.raw');
  const again = await pool.convert({ source: qcow2, sourceFormat: 'qcow2', target: back, targetFormat: 'raw' });
  assert.ok(again.ok);
  assert.ok(readFileSync(back).equals(readFileSync(raw)));
  const missing = await pool.convert({ source: join(dir, 'nope'), sourceFormat: 'raw', target: join(dir, 'x'), targetFormat: 'qcow2' });
  assert.ok(!missing.ok);
  assert.equal(missing.error.code, 'IMAGE_IO');
});
