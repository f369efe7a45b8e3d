// Bounded, synchronous positional reads of an image file, for parsers that run in a worker
// thread: every read names what it reads, so a file cut short answers IMAGE_TRUNCATED saying
// which structure is missing instead of a short buffer that later parses as garbage.
import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { ImageError, ImageTruncated } from './errors.js';

export class ImageFile {
  private closed = false;

  private constructor(
    readonly path: string,
    readonly fd: number,
    readonly size: number,
  ) {}

  static open(path: string): ImageFile {
    const fd = openSync(path, 'r');
    try {
      return new ImageFile(path, fd, fstatSync(fd).size);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Exactly `length` bytes at `offset`; IMAGE_TRUNCATED when the file ends first. */
  readExactly(offset: number, length: number, what: string): Buffer {
    if (offset + length > this.size) {
      throw new ImageError(ImageTruncated(`the file ends at byte ${this.size}, before the end of the ${what} (${offset}+${length})`, { what, offset, length, fileSize: this.size }));
    }
    const buf = Buffer.allocUnsafe(length);
    this.readInto(buf, 0, length, offset);
    return buf;
  }

  /** Fills buf[at, at+length) from `offset`; returns how many bytes the file had (short at its end). */
  readInto(buf: Uint8Array, at: number, length: number, offset: number): number {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, at + done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Fills buf[at, at+length) from `offset` on libuv's pool; resolves to the bytes the file had. */
export function readAsync(fd: number, buf: Uint8Array, at: number, length: number, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done >= length) return resolve(done);
      read(fd, buf, at + done, length - done, offset + done, (error, n) => {
        if (error !== null) return reject(error);
        if (n === 0) return resolve(done);
        step(done + n);
      });
    };
    step(0);
  });
}
