// Raw images: the file is the guest. Reading yields the file in large batches; writing makes a
// sparse file of the virtual size and writes only the clusters that hold data, so zeros cost
// neither disk nor time.
import { closeSync, fdatasyncSync, ftruncateSync, openSync } from 'node:fs';
import { ImageFile, readAsync } from './image-file.js';
import type { GuestExtent, ImageLimits, ImageSink, ImageSource, SinkOptions } from './image-formats.js';
import { ImageError, ImageTooLarge } from './errors.js';
import { AsyncIo, SyncIo, type SinkIo } from './sink-io.js';
import { isZero } from './zero-detect.js';

const BATCH_BYTES = 4 * 1024 * 1024;
/** Smaller batches in flight stay in the CPU's caches between the read and the write. */
const ASYNC_BATCH_BYTES = 1024 * 1024;
/** Zero runs shorter than this are written rather than skipped. */
const HOLE_BYTES = 64 * 1024;

export class RawSource implements ImageSource {
  readonly format = 'raw' as const;

  private constructor(private readonly file: ImageFile) {}

  static open(path: string, limits: ImageLimits): RawSource {
    const file = ImageFile.open(path);
    if (file.size > limits.maxVirtualSize) {
      file.close();
      throw new ImageError(ImageTooLarge(`a raw image of ${file.size} bytes exceeds the limit of ${limits.maxVirtualSize} bytes`, { virtualSize: file.size, limit: limits.maxVirtualSize }));
    }
    return new RawSource(file);
  }

  get virtualSize(): number {
    return this.file.size;
  }

  *extents(): Generator<GuestExtent> {
    const batch = Buffer.allocUnsafe(BATCH_BYTES);
    for (let offset = 0; offset < this.file.size; ) {
      const want = Math.min(BATCH_BYTES, this.file.size - offset);
      const got = this.file.readInto(batch, 0, want, offset);
      if (got === 0) break;
      yield { kind: 'data', offset, bytes: batch.subarray(0, got) };
      offset += got;
    }
  }

  async *extentsAsync(outstanding: number): AsyncGenerator<GuestExtent> {
    // One batch read ahead: its buffer comes back into use after the consumer has moved
    // `outstanding` extents past it.
    const ring = Array.from({ length: outstanding + 2 }, () => Buffer.allocUnsafe(ASYNC_BATCH_BYTES));
    const size = this.file.size;
    const readBatch = (k: number): Promise<GuestExtent | undefined> | undefined => {
      const offset = k * ASYNC_BATCH_BYTES;
      if (offset >= size) return undefined;
      const buf = ring[k % ring.length]!;
      return readAsync(this.file.fd, buf, 0, Math.min(ASYNC_BATCH_BYTES, size - offset), offset).then((got) => (got === 0 ? undefined : { kind: 'data', offset, bytes: buf.subarray(0, got) }));
    };
    let next = readBatch(0);
    for (let k = 0; next !== undefined; k++) {
      const extent = await next;
      next = readBatch(k + 1);
      // Awaited next turn; marked handled now in case the consumer stops first.
      next?.catch(() => undefined);
      if (extent === undefined) return;
      yield extent;
    }
  }

  close(): void {
    this.file.close();
  }
}

export class RawSink implements ImageSink {
  private closed = false;
  private readonly io: SinkIo;

  private constructor(
    private readonly fd: number,
    readonly virtualSize: number,
    private readonly sync: boolean,
    io: 'sync' | 'async',
  ) {
    this.io = io === 'async' ? new AsyncIo(fd) : new SyncIo(fd);
  }

  /** Creates (or truncates) the file at its full size, all holes. */
  static create(path: string, virtualSize: number, options: SinkOptions = {}): RawSink {
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, virtualSize);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new RawSink(fd, virtualSize, options.sync ?? true, options.io ?? 'sync');
  }

  write(extent: GuestExtent): void {
    if (extent.kind === 'zero') return;
    const { bytes, offset } = extent;
    if (offset + bytes.length > this.virtualSize) throw new RangeError(`extent past the virtual size ${this.virtualSize}`);
    // Runs of data between zero blocks aligned on the guest's 64 KiB grid.
    let runStart = -1;
    for (let at = 0; at < bytes.length; ) {
      const next = Math.min(bytes.length, (Math.floor((offset + at) / HOLE_BYTES) + 1) * HOLE_BYTES - offset);
      const zero = isZero(bytes, at, next);
      if (!zero && runStart === -1) runStart = at;
      if (zero && runStart !== -1) {
        this.writeRun(bytes, runStart, at, offset);
        runStart = -1;
      }
      at = next;
    }
    if (runStart !== -1) this.writeRun(bytes, runStart, bytes.length, offset);
  }

  private writeRun(bytes: Buffer, from: number, to: number, offset: number): void {
    this.io.write(bytes.subarray(from, to), offset + from);
  }

  settled(): Promise<void> {
    return this.io.settled();
  }

  finish(): void {
    if (this.io.pending > 0) throw new Error('finish() with writes in flight: use finishAsync()');
    if (this.sync) fdatasyncSync(this.fd);
    this.close();
  }

  async finishAsync(): Promise<void> {
    await this.io.settled();
    this.finish();
  }

  abort(): void {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
