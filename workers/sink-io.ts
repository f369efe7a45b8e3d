// How image writers put bytes in their file: at once (synchronous calls, for small jobs and
// tests), or in flight on libuv's thread pool so that reading the next batch overlaps writing
// this one, several threads share the kernel's copying, and a busy machine's scheduler gives the
// job its share (QEMU's convert keeps 8 requests in flight for the same reasons).
import { write, writeSync, writev } from 'node:fs';

export interface SinkIo {
  /** Writes all of buf at position. Async: buf must stay unchanged until settled(). */
  write(buf: Uint8Array, position: number): void;
  /** Writes the buffers one after the other from position. Async: same lending rule. */
  writev(buffers: readonly Buffer[], position: number): void;
  /** Resolves when every write issued so far is done; rejects with the first write error. */
  settled(): Promise<void>;
  /** Writes issued and not yet done. */
  readonly pending: number;
}

export class SyncIo implements SinkIo {
  readonly pending = 0;

  constructor(private readonly fd: number) {}

  write(buf: Uint8Array, position: number): void {
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
  }

  writev(buffers: readonly Buffer[], position: number): void {
    let at = position;
    for (const b of buffers) {
      this.write(b, at);
      at += b.length;
    }
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }
}

export class AsyncIo implements SinkIo {
  private readonly inflight = new Set<Promise<void>>();
  private failure: Error | undefined;

  constructor(private readonly fd: number) {}

  get pending(): number {
    return this.inflight.size;
  }

  write(buf: Uint8Array, position: number): void {
    this.track(this.writeFrom(buf, 0, position));
  }

  writev(buffers: readonly Buffer[], position: number): void {
    if (buffers.length === 1) return this.write(buffers[0]!, position);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const done = new Promise<void>((resolve, reject) => {
      writev(this.fd, buffers as Buffer[], position, (error, written) => {
        if (error !== null) return reject(error);
        if (written === total) return resolve();
        // A short vectored write: the rest piece by piece.
        let skip = written;
        let at = position + written;
        const rest: Array<Promise<void>> = [];
        for (const b of buffers) {
          if (skip >= b.length) {
            skip -= b.length;
            continue;
          }
          rest.push(this.writeFrom(b, skip, at));
          at += b.length - skip;
          skip = 0;
        }
        Promise.all(rest).then(() => resolve(), reject);
      });
    });
    this.track(done);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.inflight]);
    if (this.failure !== undefined) throw this.failure;
  }

  private writeFrom(buf: Uint8Array, from: number, position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (done: number): void => {
        if (done >= buf.length) return resolve();
        write(this.fd, buf, done, buf.length - done, position + done - from, (error, n) => (error !== null ? reject(error) : step(done + n)));
      };
      step(from);
    });
  }

  private track(p: Promise<void>): void {
    const tracked = p.then(
      () => void this.inflight.delete(tracked),
      (e: unknown) => {
        this.failure ??= e instanceof Error ? e : new Error(String(e));
        this.inflight.delete(tracked);
      },
    );
    this.inflight.add(tracked);
  }
}
