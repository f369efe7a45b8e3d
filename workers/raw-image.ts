// Raw images: the file is the guest. Reading yields the file in large batches; writing makes a
// sparse file of the virtual size and writes only the clusters that hold data, so zeros cost
// neither disk nor time.
import { closeSync, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { ImageFile } from './image-file.js';
import type { GuestExtent, ImageLimits, ImageSink, ImageSource, SinkOptions } from './image-formats.js';
import { ImageError, ImageTooLarge } from './errors.js';
import { isZero } from './zero-detect.js';

const BATCH_BYTES = 4 * 1024 * 1024;
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

  close(): void {
    this.file.close();
  }
}

export class RawSink implements ImageSink {
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly virtualSize: number,
    private readonly sync: boolean,
  ) {}

  /** Creates (or truncates) the file at its full size, all holes. */
  static create(path: string, virtualSize: number, options: SinkOptions = {}): RawSink {
    const fd = openSync(path, 'w');
    try {
      ftruncateSync(fd, virtualSize);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new RawSink(fd, virtualSize, options.sync ?? true);
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
    let done = from;
    while (done < to) done += writeSync(this.fd, bytes, done, to - done, offset + done);
  }

  finish(): void {
    if (this.sync) fdatasyncSync(this.fd);
    this.close();
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
