// Receiving an upload's bytes: the body is copied into 1 MiB buffers written to the staged file,
// while hash tasks in the pool follow the file (md5 and sha512, each on its own thread). Memory
// stays at one buffer whatever the size; the body is read no faster than the disk takes it.
// Failures say whose they are: the client's (body error, over quota or cap) or the server's.
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { ErrorValue } from '../../transports/errors.js';
import { ImageIo, type Digests, type WorkerPool } from '../../workers/index.js';
import { ImageQuotaExceeded, ImageTooBig, ImageUploadAborted } from './errors.js';
import type { UploadGrant } from './image-messages.js';

const CHUNK = 1024 * 1024;
/** Hash tasks hear of progress every this many bytes. */
const GROW_EVERY = 8 * CHUNK;

export interface Received {
  readonly size: number;
  readonly digests: Digests;
}

/** A failed upload: the error, and whether the server (not the client) failed (the image is then killed). */
export interface UploadFailure {
  readonly error: ErrorValue;
  readonly serverSide: boolean;
}

async function writeAll(fh: FileHandle, buf: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) done += (await fh.write(buf, done, length - done, position + done)).bytesWritten;
}

function ioFailure(e: unknown): UploadFailure {
  const message = e instanceof Error ? e.message : String(e);
  return { error: ImageIo(`storing the upload failed: ${message}`), serverSide: true };
}

export async function receive(pool: WorkerPool, path: string, body: AsyncIterable<Uint8Array>, grant: UploadGrant): Promise<Received | UploadFailure> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    return ioFailure(e);
  }
  const follower = pool.followFile(path, ['md5', 'sha512']);
  const buf = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let position = 0;
  let announced = 0;
  let failure: UploadFailure | undefined;
  const flush = async (): Promise<void> => {
    await writeAll(fh, buf, filled, position);
    position += filled;
    filled = 0;
    if (position - announced >= GROW_EVERY) {
      follower.grow(position);
      announced = position;
    }
  };
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (e) {
        failure = { error: ImageUploadAborted(`the upload's body failed: ${e instanceof Error ? e.message : String(e)}`), serverSide: false };
        break;
      }
      if (next.done === true) break;
      const bytes = next.value;
      if (position + filled + bytes.length > grant.maxBytes) {
        const error =
          grant.limitedBy === 'quota'
            ? ImageQuotaExceeded(`Denying attempt to upload image because it exceeds the quota: more than the ${grant.maxBytes} bytes left.`, { resource: 'image_size_total' })
            : ImageTooBig(`Image exceeds the size cap of ${grant.maxBytes} bytes.`, { limit: grant.maxBytes });
        failure = { error, serverSide: false };
        await iterator.return?.();
        break;
      }
      try {
        for (let at = 0; at < bytes.length; ) {
          const n = Math.min(bytes.length - at, CHUNK - filled);
          buf.set(bytes.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === CHUNK) await flush();
        }
      } catch (e) {
        failure = ioFailure(e);
        await iterator.return?.();
        break;
      }
    }
    if (failure === undefined) {
      try {
        await flush();
        // Durable before the image can become active.
        await fh.datasync();
      } catch (e) {
        failure = ioFailure(e);
      }
    }
  } finally {
    await fh.close();
  }
  if (failure !== undefined) {
    follower.abort();
    await rm(path, { force: true });
    return failure;
  }
  const hashed = await follower.end(position);
  if (!hashed.ok) {
    await rm(path, { force: true });
    return { error: hashed.error, serverSide: true };
  }
  return { size: position, digests: hashed.value.digests };
}
