// Reading a qcow2 image (versions 2 and 3) as guest extents, in guest order: L1 and L2 tables,
// zero clusters, and zlib-compressed clusters (what `qemu-img convert -c` writes). Opening checks
// the whole structure first (every table entry inside the file, aligned, no reserved bits, no
// cluster used twice), so a hostile file fails with a coded error before any data moves; the walk
// visits each L1 entry once and each L2 table once, so no table layout can make it loop.
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { ImageCorrupt, ImageError, ImageTruncated, type WorkerErrorValue } from './errors.js';
import { ImageFile } from './image-file.js';
import type { GuestExtent, ImageLimits, ImageSource } from './image-formats.js';
import { l2Coverage, parseQcow2Header, V3_HEADER_LENGTH, type Qcow2Header } from './qcow2-header.js';

/** Guest data is handed out in batches of up to this many bytes (at least one cluster). */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Above this many host clusters the cluster-overlap check (a bitmap) is skipped. */
const MAX_BITMAP_CLUSTERS = 2 ** 27;

const UNALLOCATED = 0;
const DATA = 1;
const COMPRESSED = 2;

/** Batch size of extentsAsync (smaller batches stay in the CPU's caches until written). */
const ASYNC_BATCH_BYTES = 1024 * 1024;

/** Where a batch's bytes come from: host bytes (or a compressed cluster) for batch[at, at+length). */
interface Piece {
  readonly at: number;
  readonly host: number;
  length: number;
  /** Compressed bytes to read and inflate; 0 for plain data. */
  readonly compressed: number;
}

type Planned =
  | { readonly kind: 'zero'; readonly offset: number; readonly length: number }
  | { readonly kind: 'data'; readonly offset: number; readonly length: number; readonly pieces: readonly Piece[] };

/** One decoded L2 entry (reused: decoding allocates nothing). */
interface L2Entry {
  kind: typeof UNALLOCATED | typeof DATA | typeof COMPRESSED;
  hostOffset: number;
  /** Compressed clusters only: bytes to read. */
  compressedLength: number;
}

function fail(value: WorkerErrorValue): never {
  throw new ImageError(value);
}

export class Qcow2Source implements ImageSource {
  readonly format = 'qcow2' as const;
  private readonly l1: Buffer;
  /** Whether any cluster of the active layer is compressed. */
  compressed = false;

  private constructor(
    private readonly file: ImageFile,
    readonly header: Qcow2Header,
  ) {
    this.l1 = header.l1Size === 0 ? Buffer.alloc(0) : file.readExactly(header.l1Offset, header.l1Size * 8, 'L1 table');
  }

  get virtualSize(): number {
    return this.header.virtualSize;
  }

  get fileSize(): number {
    return this.file.size;
  }

  /** Opens and checks the whole image structure; the file is closed again on any error. */
  static open(path: string, limits: ImageLimits): Qcow2Source {
    const file = ImageFile.open(path);
    try {
      const head = file.readExactly(0, Math.min(file.size, V3_HEADER_LENGTH), 'header');
      const source = new Qcow2Source(file, parseQcow2Header(head, file.size, limits));
      source.check();
      return source;
    } catch (e) {
      file.close();
      throw e;
    }
  }

  close(): void {
    this.file.close();
  }

  /** L2 table offset of L1 entry i, or 0 when unallocated. */
  private l2OffsetAt(i: number): number {
    const hi = this.l1.readUInt32BE(i * 8);
    const lo = this.l1.readUInt32BE(i * 8 + 4);
    if ((lo & 0x1ff) !== 0 || (hi & 0x7f000000) !== 0) fail(ImageCorrupt(`L1 entry ${i} has reserved bits set`, { l1Index: i }));
    const offset = (hi & 0x00ffffff) * 2 ** 32 + lo;
    if (offset === 0) return 0;
    const { clusterSize } = this.header;
    if (offset % clusterSize !== 0) fail(ImageCorrupt(`L1 entry ${i} points to ${offset}, not cluster-aligned`, { l1Index: i, offset }));
    if (offset + clusterSize > this.file.size) fail(ImageTruncated(`the L2 table of L1 entry ${i} at ${offset} is past the end of the file (${this.file.size})`, { l1Index: i, offset }));
    return offset;
  }

  private decode(table: Buffer, j: number, into: L2Entry): void {
    const hi = table.readUInt32BE(j * 8);
    const lo = table.readUInt32BE(j * 8 + 4);
    const { clusterBits, clusterSize, version } = this.header;
    if (hi & 0x40000000) {
      // Compressed: bits 0..x-1 the host offset, bits x..61 the extra 512-byte sectors.
      const x = 62 - (clusterBits - 8);
      const offset = (hi & (2 ** (x - 32) - 1)) * 2 ** 32 + lo;
      const sectors = ((hi >>> (x - 32)) & (2 ** (clusterBits - 8) - 1)) + 1;
      if (offset >= this.file.size) fail(ImageTruncated(`a compressed cluster at ${offset} is past the end of the file (${this.file.size})`, { offset }));
      into.kind = COMPRESSED;
      into.hostOffset = offset;
      into.compressedLength = Math.min(sectors * 512 - (offset % 512), this.file.size - offset);
      return;
    }
    if ((hi & 0x3f000000) !== 0 || (lo & 0x1fe) !== 0) fail(ImageCorrupt(`an L2 entry has reserved bits set`, { entry: j }));
    const offset = (hi & 0x00ffffff) * 2 ** 32 + ((lo & ~0x1ff) >>> 0);
    const zeroFlag = (lo & 1) !== 0;
    if (zeroFlag && version === 2) fail(ImageCorrupt('a version 2 image uses the version 3 zero flag', { entry: j }));
    if (zeroFlag || offset === 0) {
      into.kind = UNALLOCATED;
      into.hostOffset = 0;
      return;
    }
    if (offset % clusterSize !== 0) fail(ImageCorrupt(`a data cluster at ${offset} is not cluster-aligned`, { offset }));
    if (offset >= this.file.size) fail(ImageTruncated(`a data cluster at ${offset} is past the end of the file (${this.file.size})`, { offset }));
    into.kind = DATA;
    into.hostOffset = offset;
  }

  /** The structure check run by open(): every table entry, and no host cluster used twice. */
  private check(): void {
    const { clusterSize, l1Size, refcountTableOffset, refcountTableClusters, l1Offset } = this.header;
    const hostClusters = Math.ceil(this.file.size / clusterSize);
    const used = hostClusters <= MAX_BITMAP_CLUSTERS ? new Uint8Array(Math.ceil(hostClusters / 8)) : undefined;
    const claim = (offset: number, bytes: number, what: string): void => {
      if (used === undefined) return;
      for (let c = Math.floor(offset / clusterSize); c < Math.ceil((offset + bytes) / clusterSize); c++) {
        const bit = 1 << (c & 7);
        if (used[c >>> 3]! & bit) fail(ImageCorrupt(`host cluster ${c} is used twice (again by the ${what})`, { cluster: c, what }));
        used[c >>> 3]! |= bit;
      }
    };
    claim(0, clusterSize, 'header');
    if (l1Size > 0) claim(l1Offset, l1Size * 8, 'L1 table');
    claim(refcountTableOffset, refcountTableClusters * clusterSize, 'refcount table');
    // Refcount blocks must lie inside the file; cumulo never needs their contents.
    const reftable = this.file.readExactly(refcountTableOffset, refcountTableClusters * clusterSize, 'refcount table');
    for (let i = 0; i < reftable.length / 8; i++) {
      const hi = reftable.readUInt32BE(i * 8);
      const lo = reftable.readUInt32BE(i * 8 + 4);
      const offset = hi * 2 ** 32 + (lo >>> 0);
      if (offset === 0) continue;
      if ((lo & 0x1ff) !== 0 || offset % clusterSize !== 0) fail(ImageCorrupt(`refcount table entry ${i} (${offset}) is not cluster-aligned`, { index: i }));
      if (offset + clusterSize > this.file.size) fail(ImageTruncated(`refcount block ${i} at ${offset} is past the end of the file (${this.file.size})`, { index: i, offset }));
      claim(offset, clusterSize, `refcount block ${i}`);
    }
    const entry: L2Entry = { kind: UNALLOCATED, hostOffset: 0, compressedLength: 0 };
    const table = Buffer.allocUnsafe(clusterSize);
    const perTable = clusterSize / 8;
    const coverage = l2Coverage(this.header.clusterBits);
    for (let i = 0; i < l1Size; i++) {
      const l2 = this.l2OffsetAt(i);
      if (l2 === 0) continue;
      // L1 entries past the virtual size must be unused.
      if (i * coverage >= this.header.virtualSize) fail(ImageCorrupt(`L1 entry ${i} is past the virtual size`, { l1Index: i }));
      claim(l2, clusterSize, `L2 table of L1 entry ${i}`);
      this.file.readInto(table, 0, clusterSize, l2);
      const entries = Math.min(perTable, Math.ceil((this.header.virtualSize - i * coverage) / clusterSize));
      for (let j = 0; j < entries; j++) {
        this.decode(table, j, entry);
        if (entry.kind === DATA) claim(entry.hostOffset, clusterSize, 'a data cluster');
        else if (entry.kind === COMPRESSED) this.compressed = true;
      }
    }
  }

  /**
   * The walk in guest order as batches to fill: zero runs, and guest-contiguous data of at most
   * `batchBytes` with the host reads (merged when host-contiguous) and compressed clusters that
   * fill it. Reads only L1 and L2 tables; the data is read by whoever fills the batch.
   */
  private *plan(batchBytes: number): Generator<Planned> {
    const { clusterSize, virtualSize, l1Size } = this.header;
    const perTable = clusterSize / 8;
    const coverage = l2Coverage(this.header.clusterBits);
    const limit = Math.max(batchBytes, clusterSize);
    const table = Buffer.allocUnsafe(clusterSize);
    const entry: L2Entry = { kind: UNALLOCATED, hostOffset: 0, compressedLength: 0 };
    let batch: { offset: number; length: number; pieces: Piece[] } | undefined;
    let zeroStart = 0;
    let zeroLength = 0;
    function* flushBatch(): Generator<Planned> {
      if (batch !== undefined) yield { kind: 'data', ...batch };
      batch = undefined;
    }
    function* flushZeros(): Generator<Planned> {
      if (zeroLength > 0) yield { kind: 'zero', offset: zeroStart, length: zeroLength };
      zeroLength = 0;
    }
    for (let i = 0; i < l1Size && i * coverage < virtualSize; i++) {
      const l2 = this.l2OffsetAt(i);
      const tableStart = i * coverage;
      if (l2 === 0) {
        yield* flushBatch();
        if (zeroLength === 0) zeroStart = tableStart;
        zeroLength += Math.min(coverage, virtualSize - tableStart);
        continue;
      }
      this.file.readInto(table, 0, clusterSize, l2);
      const entries = Math.min(perTable, Math.ceil((virtualSize - tableStart) / clusterSize));
      for (let j = 0; j < entries; j++) {
        const guest = tableStart + j * clusterSize;
        const length = Math.min(clusterSize, virtualSize - guest);
        this.decode(table, j, entry);
        if (entry.kind === UNALLOCATED) {
          yield* flushBatch();
          if (zeroLength === 0) zeroStart = guest;
          zeroLength += length;
          continue;
        }
        yield* flushZeros();
        if (batch !== undefined && (batch.length + clusterSize > limit || batch.offset + batch.length !== guest)) yield* flushBatch();
        batch ??= { offset: guest, length: 0, pieces: [] };
        const last = batch.pieces[batch.pieces.length - 1];
        if (entry.kind === DATA && last !== undefined && last.compressed === 0 && last.host + last.length === entry.hostOffset && last.at + last.length === batch.length) {
          last.length += length;
        } else {
          batch.pieces.push({ at: batch.length, host: entry.hostOffset, length, compressed: entry.kind === COMPRESSED ? entry.compressedLength : 0 });
          if (entry.kind === COMPRESSED) this.compressed = true;
        }
        batch.length += length;
      }
    }
    yield* flushBatch();
    yield* flushZeros();
  }

  *extents(): Generator<GuestExtent> {
    const buf = Buffer.allocUnsafe(Math.max(BATCH_BYTES, this.header.clusterSize));
    for (const planned of this.plan(BATCH_BYTES)) {
      if (planned.kind === 'zero') {
        yield planned;
        continue;
      }
      this.fill(buf, planned.pieces);
      yield { kind: 'data', offset: planned.offset, bytes: buf.subarray(0, planned.length) };
    }
  }

  /**
   * For writers with writes in flight: batches rotate through outstanding + 1 buffers. Reads
   * stay synchronous: qcow2 data comes in many small runs between zero clusters, and a trip
   * through libuv's pool per run costs more than the read (what overlaps is the writing).
   */
  async *extentsAsync(outstanding: number): AsyncGenerator<GuestExtent> {
    const ring = Array.from({ length: outstanding + 1 }, () => Buffer.allocUnsafe(Math.max(ASYNC_BATCH_BYTES, this.header.clusterSize)));
    let used = 0;
    for (const planned of this.plan(ASYNC_BATCH_BYTES)) {
      if (planned.kind === 'zero') {
        yield planned;
        continue;
      }
      const buf = ring[used++ % ring.length]!;
      this.fill(buf, planned.pieces);
      yield { kind: 'data', offset: planned.offset, bytes: buf.subarray(0, planned.length) };
    }
  }

  private fill(buf: Buffer, pieces: readonly Piece[]): void {
    for (const piece of pieces) {
      if (piece.compressed > 0) {
        this.inflateInto(buf, piece, this.file.readExactly(piece.host, piece.compressed, 'compressed cluster'));
        continue;
      }
      const got = this.file.readInto(buf, piece.at, piece.length, piece.host);
      // A last cluster cut short by the end of the file reads as zeros, as in QEMU.
      if (got < piece.length) buf.fill(0, piece.at + got, piece.at + piece.length);
    }
  }

  private inflateInto(batch: Buffer, piece: Piece, input: Buffer): void {
    const { clusterSize } = this.header;
    let out: Buffer;
    try {
      // QEMU writes raw deflate (no zlib header) padded to 512-byte sectors; a cluster never
      // inflates past its size, and a stream cut short is caught by the length check below.
      out = inflateRawSync(input, { maxOutputLength: clusterSize, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e) {
      fail(ImageCorrupt(`a compressed cluster at ${piece.host} does not inflate: ${e instanceof Error ? e.message : String(e)}`, { offset: piece.host }));
    }
    if (out.length !== clusterSize) fail(ImageCorrupt(`a compressed cluster at ${piece.host} inflates to ${out.length} bytes, not ${clusterSize}`, { offset: piece.host }));
    out.copy(batch, piece.at, 0, piece.length);
  }

}
