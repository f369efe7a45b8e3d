// Helpers of the image tests: temporary directories removed after each test, qemu-img runs, and
// deterministic image contents (random-looking or compressible) placed sparsely in raw files.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(t: { after: (fn: () => void) => void }, prefix = 'cumulo-img-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs qemu-img; its stdout. Throws (failing the test) when it exits non-zero. */
export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** xorshift32 bytes: looks random, costs nothing, same for the same seed. */
export function noise(seed: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  for (let i = length & ~3; i < length; i++) buf[i] = i & 0xff;
  return buf;
}

/** Text-like bytes that deflate well (so `qemu-img convert -c` really compresses them). */
export function compressible(seed: number, length: number): Buffer {
  const words = ['cumulo ', 'image ', 'cluster ', 'qcow2 ', 'zero ', 'data ', `${seed} `, 'block\n'];
  const buf = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let at = 0; at < length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    at += buf.write(words[(x >>> 16) % words.length]!, at, 'latin1');
  }
  return buf;
}

export interface Block {
  readonly offset: number;
  readonly bytes: Buffer;
}

/** A raw file of `size` bytes, zeros (holes) except the blocks. */
export function writeRaw(path: string, size: number, blocks: readonly Block[]): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const b of blocks) writeSync(fd, b.bytes, 0, b.bytes.length, b.offset);
  } finally {
    closeSync(fd);
  }
}
