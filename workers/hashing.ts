// Streaming digests of a file in a worker: md5 (Glance's `checksum`) and sha512 (`os_hash_value`)
// or any OpenSSL digest, read in large chunks. A file still being written is followed: the writer
// announces complete lengths on a MessagePort, so hashing runs alongside an upload without the
// upload ever waiting for it.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { ImageError, ImageTruncated, WorkerTaskFailed } from './errors.js';
import type { FollowMessage } from './task-protocol.js';

export type HashAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];

/** Hex digests by algorithm. */
export type Digests = Partial<Record<HashAlgorithm, string>>;

export interface HashResult {
  readonly digests: Digests;
  readonly bytes: number;
}

export interface HashFileInput {
  readonly path: string;
  readonly algorithms: readonly HashAlgorithm[];
  /** Bytes to hash when the file is complete; omit and pass a port to follow a growing file. */
  readonly length?: number;
  readonly port?: MessagePort;
  /** Read size (default 1 MiB). */
  readonly chunkBytes?: number;
}

const DEFAULT_CHUNK = 1024 * 1024;

function hashers(algorithms: readonly HashAlgorithm[]): Array<[HashAlgorithm, Hash]> {
  return algorithms.map((a) => [a, createHash(a)]);
}

function digestsOf(hs: Array<[HashAlgorithm, Hash]>): Digests {
  return Object.fromEntries(hs.map(([a, h]) => [a, h.digest('hex')]));
}

export function hashBytes(bytes: Uint8Array, algorithms: readonly HashAlgorithm[]): HashResult {
  const hs = hashers(algorithms);
  for (const [, h] of hs) h.update(bytes);
  return { digests: digestsOf(hs), bytes: bytes.length };
}

/**
 * Messages of a port, queued: a listener stays attached for the port's life, since a message
 * emitted while no listener is attached would be lost. The port closing counts as an abort.
 */
class Inbox {
  private readonly queue: FollowMessage[] = [];
  private waiter: ((m: FollowMessage) => void) | undefined;

  constructor(port: MessagePort) {
    port.on('message', (m: FollowMessage) => this.push(m));
    port.on('close', () => this.push({ type: 'abort' }));
  }

  private push(m: FollowMessage): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter !== undefined) waiter(m);
    else this.queue.push(m);
  }

  next(): Promise<FollowMessage> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

export async function hashFile(input: HashFileInput): Promise<HashResult> {
  if (input.length === undefined && input.port === undefined) throw new TypeError('hashFile needs a length or a port');
  const hs = hashers(input.algorithms);
  const buf = Buffer.allocUnsafe(input.chunkBytes ?? DEFAULT_CHUNK);
  const fd = openSync(input.path, 'r');
  const inbox = input.port === undefined ? undefined : new Inbox(input.port);
  try {
    let known = input.length ?? 0;
    let final = input.length !== undefined;
    let pos = 0;
    for (;;) {
      while (pos < known) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, known - pos), pos);
        if (n === 0) throw new ImageError(ImageTruncated(`${input.path} ends at ${pos}, before the ${known} bytes announced`, { fileSize: pos, length: known }));
        const chunk = buf.subarray(0, n);
        for (const [, h] of hs) h.update(chunk);
        pos += n;
      }
      if (final) break;
      const m = await inbox!.next();
      if (m.type === 'abort') throw new ImageError(WorkerTaskFailed('the hashed file was abandoned by its writer'));
      known = Math.max(known, m.length);
      final = m.type === 'end';
      if (final) known = m.length;
    }
    return { digests: digestsOf(hs), bytes: pos };
  } finally {
    closeSync(fd);
    input.port?.close();
  }
}
