// Writing a qcow2 version 3 image from guest extents in guest order, as a stream: data clusters
// are appended as they come (all-zero clusters stay unallocated), each L2 table is written once
// the guest moves past what it maps, and the L1 table, the refcount table and its blocks go at
// the end, then the header. Memory: one L2 table, the L1 table and one partial cluster.
import { closeSync, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { GuestExtent, ImageSink, SinkOptions } from './image-formats.js';
import { l1EntriesFor, serializeQcow2Header } from './qcow2-header.js';
import { AsyncIo, SyncIo, type SinkIo } from './sink-io.js';
import { isZero } from './zero-detect.js';

/** QEMU's default cluster size (64 KiB). */
export const DEFAULT_CLUSTER_BITS = 16;
/** L1 and L2 entries of clusters with refcount 1 carry QCOW_OFLAG_COPIED. */
const COPIED_HI = 0x80000000;
/** Refcount order 4: 16-bit refcounts. */
const REFCOUNT_BYTES = 2;
/** Flush queued writes before this many pieces (IOV_MAX is 1024 on Linux). */
const MAX_IOVECS = 512;

function writeEntry(buf: Buffer, at: number, offset: number, flagsHi: number): void {
  buf.writeUInt32BE((Math.floor(offset / 2 ** 32) | flagsHi) >>> 0, at);
  buf.writeUInt32BE(offset >>> 0, at + 4);
}

/** Writes all of buf at position, however the kernel splits it. */
function writeFully(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

export class Qcow2Sink implements ImageSink {
  private readonly clusterSize: number;
  private readonly perTable: number;
  private readonly l1: Buffer;
  /** Next free host cluster; cluster 0 is the header. */
  private nextHost = 1;
  private l2Index = -1;
  private readonly l2: Buffer;
  /** A guest cluster being filled by extents that do not cover it whole. */
  private partialIndex = -1;
  private readonly partial: Buffer;
  /** Queued writes: pieces of the caller's buffers going to consecutive host clusters from queueHost. */
  private queue: Buffer[] = [];
  private queueHost = 0;
  private queueBytes = 0;
  private written = 0;
  private closed = false;
  private readonly io: SinkIo;

  private constructor(
    private readonly fd: number,
    readonly virtualSize: number,
    private readonly clusterBits: number,
    private readonly sync: boolean,
    io: 'sync' | 'async',
  ) {
    this.io = io === 'async' ? new AsyncIo(fd) : new SyncIo(fd);
    this.clusterSize = 2 ** clusterBits;
    this.perTable = this.clusterSize / 8;
    this.l1 = Buffer.alloc(l1EntriesFor(virtualSize, clusterBits) * 8);
    this.l2 = Buffer.alloc(this.clusterSize);
    this.partial = Buffer.alloc(this.clusterSize);
  }

  /**
   * Creates (or truncates) the file; write extents, then finish(). The virtual size is rounded
   * up to 512 bytes as QEMU does (QEMU counts qcow2 sizes in sectors and would drop a tail).
   */
  static create(path: string, virtualSize: number, options: SinkOptions = {}): Qcow2Sink {
    if (!Number.isSafeInteger(virtualSize) || virtualSize < 0) throw new RangeError(`bad virtual size ${virtualSize}`);
    const fd = openSync(path, 'w');
    return new Qcow2Sink(fd, Math.ceil(virtualSize / 512) * 512, options.clusterBits ?? DEFAULT_CLUSTER_BITS, options.sync ?? true, options.io ?? 'sync');
  }

  write(extent: GuestExtent): void {
    const end = extent.offset + (extent.kind === 'data' ? extent.bytes.length : extent.length);
    if (extent.offset < this.written || end > this.virtualSize) {
      throw new RangeError(`extent [${extent.offset}, ${end}) is out of order or past the virtual size ${this.virtualSize}`);
    }
    this.written = end;
    if (extent.kind === 'zero') return;
    const C = this.clusterSize;
    const bytes = extent.bytes;
    let pos = extent.offset;
    while (pos < end) {
      const index = Math.floor(pos / C);
      const start = index * C;
      if (this.partialIndex !== -1 && this.partialIndex !== index) this.flushPartial();
      const at = pos - extent.offset;
      if (pos === start && end - pos >= C && this.partialIndex === -1) {
        if (!isZero(bytes, at, at + C)) this.queueCluster(index, bytes.subarray(at, at + C));
        pos += C;
        continue;
      }
      if (this.partialIndex === -1) {
        this.partialIndex = index;
        this.partial.fill(0);
      }
      const n = Math.min(end, start + C) - pos;
      bytes.copy(this.partial, pos - start, at, at + n);
      pos += n;
      if (pos === start + C) this.flushPartial();
    }
    // The caller's buffer is lent until we return (sync io) or until settled() (async io).
    this.flushQueue();
  }

  settled(): Promise<void> {
    return this.io.settled();
  }

  /** Maps guest cluster `index` to the next host cluster, writing the previous L2 table when it is complete. */
  private allocate(index: number): number {
    const l1i = Math.floor(index / this.perTable);
    if (l1i !== this.l2Index) {
      this.writeL2();
      this.l2Index = l1i;
    }
    const host = this.nextHost++;
    writeEntry(this.l2, (index % this.perTable) * 8, host * this.clusterSize, COPIED_HI);
    return host;
  }

  private writeL2(): void {
    if (this.l2Index === -1) return;
    this.flushQueue();
    const host = this.nextHost++;
    // A copy: the table buffer is reused at once, the write may still be in flight.
    this.io.write(Buffer.from(this.l2), host * this.clusterSize);
    writeEntry(this.l1, this.l2Index * 8, host * this.clusterSize, COPIED_HI);
    this.l2.fill(0);
    this.l2Index = -1;
  }

  private queueCluster(index: number, piece: Buffer): void {
    const host = this.allocate(index);
    if (this.queue.length > 0 && this.queueHost + this.queueBytes !== host * this.clusterSize) this.flushQueue();
    if (this.queue.length === 0) this.queueHost = host * this.clusterSize;
    const last = this.queue[this.queue.length - 1];
    // Neighbouring clusters of one buffer become one piece.
    if (last !== undefined && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
      this.queue[this.queue.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
    } else {
      this.queue.push(piece);
    }
    this.queueBytes += piece.length;
    if (this.queue.length >= MAX_IOVECS) this.flushQueue();
  }

  private flushQueue(): void {
    if (this.queue.length === 0) return;
    this.io.writev(this.queue, this.queueHost);
    this.queue = [];
    this.queueBytes = 0;
  }

  private flushPartial(): void {
    if (this.partialIndex === -1) return;
    const index = this.partialIndex;
    this.partialIndex = -1;
    if (isZero(this.partial, 0, this.clusterSize)) return;
    const host = this.allocate(index);
    this.flushQueue();
    this.io.write(Buffer.from(this.partial), host * this.clusterSize);
  }

  finish(): void {
    this.writeLast();
    if (this.io.pending > 0) throw new Error('finish() with writes in flight: use finishAsync()');
    this.writeMetadata();
  }

  async finishAsync(): Promise<void> {
    this.writeLast();
    await this.io.settled();
    this.writeMetadata();
  }

  /** The partial cluster and the last L2 table. */
  private writeLast(): void {
    this.flushPartial();
    this.flushQueue();
    this.writeL2();
  }

  /** L1, refcounts and header (small: written at once), then sync and close. */
  private writeMetadata(): void {
    const C = this.clusterSize;
    const l1Start = this.nextHost;
    const l1Clusters = Math.max(1, Math.ceil(this.l1.length / C));
    // The refcount table and blocks count themselves: grow both until they cover every cluster.
    const perBlock = C / REFCOUNT_BYTES;
    let blocks = 1;
    let tableClusters = 1;
    for (;;) {
      const total = l1Start + l1Clusters + tableClusters + blocks;
      const needBlocks = Math.ceil(total / perBlock);
      const needTable = Math.ceil((needBlocks * 8) / C);
      if (needBlocks === blocks && needTable === tableClusters) break;
      blocks = Math.max(blocks, needBlocks);
      tableClusters = Math.max(tableClusters, needTable);
    }
    const tableStart = l1Start + l1Clusters;
    const blocksStart = tableStart + tableClusters;
    const total = blocksStart + blocks;
    const l1 = Buffer.alloc(l1Clusters * C);
    this.l1.copy(l1);
    writeFully(this.fd, l1, l1Start * C);
    const table = Buffer.alloc(tableClusters * C);
    for (let b = 0; b < blocks; b++) writeEntry(table, b * 8, (blocksStart + b) * C, 0);
    writeFully(this.fd, table, tableStart * C);
    // Every cluster from 0 to total-1 is used exactly once: all refcounts are 1.
    const block = Buffer.alloc(C);
    for (let b = 0; b < blocks; b++) {
      const first = b * perBlock;
      const count = Math.min(perBlock, total - first);
      block.fill(0);
      for (let k = 0; k < count; k++) block.writeUInt16BE(1, k * REFCOUNT_BYTES);
      writeFully(this.fd, block, (blocksStart + b) * C);
    }
    const header = serializeQcow2Header({
      clusterBits: this.clusterBits,
      virtualSize: this.virtualSize,
      l1Size: this.l1.length / 8,
      l1Offset: l1Start * C,
      refcountTableOffset: tableStart * C,
      refcountTableClusters: tableClusters,
    });
    writeFully(this.fd, header, 0);
    ftruncateSync(this.fd, total * C);
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
