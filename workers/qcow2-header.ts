// The qcow2 header (docs/interop/qcow2.txt in QEMU, versions 2 and 3): parsing with every check
// an untrusted file needs before any table is read, and serialising the version 3 header that
// our writer emits. Limits follow QEMU's own (qcow2.h: QCOW_MAX_L1_SIZE, QCOW_MAX_REFTABLE_SIZE).
import { ImageCorrupt, ImageError, ImageTooLarge, ImageTruncated, ImageUnsupported, type WorkerErrorValue } from './errors.js';
import type { ImageLimits } from './image-formats.js';

export const QCOW2_MAGIC = 0x514649fb;
/** Version 2's fixed header length; version 3 declares its own, at least 104. */
const V2_HEADER_LENGTH = 72;
const V3_MIN_HEADER_LENGTH = 104;
/** What QEMU 7 writes: 104 bytes, the compression type byte and padding to 8. */
export const V3_HEADER_LENGTH = 112;
/** QEMU refuses larger L1 tables (32 MiB) and refcount tables (8 MiB); so do we. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFTABLE_BYTES = 8 * 1024 * 1024;
export const MAX_SNAPSHOTS = 65536;
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21;

/** Incompatible feature bits (header offset 72). */
const INCOMPAT_DIRTY = 1;
const INCOMPAT_CORRUPT = 2;
const INCOMPAT_DATA_FILE = 4;
const INCOMPAT_COMPRESSION = 8;
const INCOMPAT_EXTENDED_L2 = 16;
const INCOMPAT_KNOWN = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTENDED_L2;

export interface Qcow2Header {
  readonly version: 2 | 3;
  readonly clusterBits: number;
  readonly clusterSize: number;
  readonly virtualSize: number;
  readonly l1Size: number;
  readonly l1Offset: number;
  readonly refcountTableOffset: number;
  readonly refcountTableClusters: number;
  readonly snapshots: number;
  /** Set when the image was not closed cleanly: refcounts may be stale, data is still readable. */
  readonly dirty: boolean;
  readonly refcountOrder: number;
  readonly headerLength: number;
}

function fail(value: WorkerErrorValue): never {
  throw new ImageError(value);
}

/** A 64-bit big-endian field as a number; values past 2^53 are past any file anyway. */
function u64(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 2 ** 32 + buf.readUInt32BE(at + 4);
}

/** Guest bytes one L2 table maps. */
export function l2Coverage(clusterBits: number): number {
  return 2 ** (clusterBits + clusterBits - 3);
}

/** L1 entries a virtual size needs. */
export function l1EntriesFor(virtualSize: number, clusterBits: number): number {
  return Math.ceil(virtualSize / l2Coverage(clusterBits));
}

/**
 * Parses and checks the header from the file's first bytes (at least 104 when the file has them).
 * Checks everything that does not need another read: sizes, alignment, table bounds against the
 * file size, features we refuse, limits.
 */
export function parseQcow2Header(buf: Buffer, fileSize: number, limits: ImageLimits): Qcow2Header {
  if (fileSize < 4 || buf.readUInt32BE(0) !== QCOW2_MAGIC) fail(ImageCorrupt('not a qcow2 file (bad magic)'));
  if (fileSize < V2_HEADER_LENGTH || buf.length < V2_HEADER_LENGTH) fail(ImageTruncated(`the file ends at byte ${fileSize}, inside the qcow2 header`, { what: 'header', fileSize }));
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) fail(ImageUnsupported(`qcow2 version ${version} is not supported (only 2 and 3)`, { version }));
  const clusterBits = buf.readUInt32BE(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    fail(ImageCorrupt(`cluster bits ${clusterBits} outside ${MIN_CLUSTER_BITS}..${MAX_CLUSTER_BITS}`, { field: 'cluster_bits' }));
  }
  const clusterSize = 2 ** clusterBits;
  let headerLength = V2_HEADER_LENGTH;
  let incompatible = 0;
  let refcountOrder = 4;
  let compressionType = 0;
  if (version === 3) {
    if (fileSize < V3_MIN_HEADER_LENGTH || buf.length < V3_MIN_HEADER_LENGTH) fail(ImageTruncated(`the file ends at byte ${fileSize}, inside the qcow2 v3 header`, { what: 'header', fileSize }));
    headerLength = buf.readUInt32BE(100);
    if (headerLength < V3_MIN_HEADER_LENGTH || headerLength % 8 !== 0 || headerLength > clusterSize) {
      fail(ImageCorrupt(`header length ${headerLength} is not a multiple of 8 between ${V3_MIN_HEADER_LENGTH} and the cluster size`, { field: 'header_length' }));
    }
    if (buf.readUInt32BE(72) !== 0) fail(ImageUnsupported('unknown incompatible features are set', { field: 'incompatible_features' }));
    incompatible = buf.readUInt32BE(76);
    refcountOrder = buf.readUInt32BE(96);
    if (headerLength > V3_MIN_HEADER_LENGTH && buf.length > V3_MIN_HEADER_LENGTH) compressionType = buf[V3_MIN_HEADER_LENGTH]!;
  }
  if ((incompatible & ~INCOMPAT_KNOWN) !== 0) fail(ImageUnsupported(`unknown incompatible features 0x${incompatible.toString(16)}`, { field: 'incompatible_features' }));
  if (incompatible & INCOMPAT_CORRUPT) fail(ImageCorrupt('the image is marked corrupt by its writer', { field: 'incompatible_features' }));
  if (incompatible & INCOMPAT_DATA_FILE) fail(ImageUnsupported('images with an external data file are refused', { field: 'incompatible_features' }));
  if (incompatible & INCOMPAT_EXTENDED_L2) fail(ImageUnsupported('extended L2 entries (subclusters) are not supported', { field: 'incompatible_features' }));
  if (compressionType !== 0) fail(ImageUnsupported(`compression type ${compressionType} is not supported (only zlib)`, { field: 'compression_type' }));
  if ((incompatible & INCOMPAT_COMPRESSION) !== 0 && compressionType === 0) fail(ImageCorrupt('the compression type bit is set for zlib', { field: 'compression_type' }));
  if (refcountOrder > 6) fail(ImageCorrupt(`refcount order ${refcountOrder} above 6`, { field: 'refcount_order' }));

  if (u64(buf, 8) !== 0) fail(ImageUnsupported('images with a backing file are refused', { field: 'backing_file_offset' }));
  if (buf.readUInt32BE(32) !== 0) fail(ImageUnsupported('encrypted images are not supported', { field: 'crypt_method' }));

  const virtualSize = u64(buf, 24);
  if (virtualSize > limits.maxVirtualSize) {
    fail(ImageTooLarge(`virtual size ${virtualSize} exceeds the limit of ${limits.maxVirtualSize} bytes`, { virtualSize, limit: limits.maxVirtualSize }));
  }
  const l1Size = buf.readUInt32BE(36);
  const l1Offset = u64(buf, 40);
  const needed = l1EntriesFor(virtualSize, clusterBits);
  if (l1Size < needed) fail(ImageCorrupt(`the L1 table has ${l1Size} entries, the virtual size needs ${needed}`, { field: 'l1_size' }));
  if (l1Size * 8 > MAX_L1_BYTES) fail(ImageTooLarge(`an L1 table of ${l1Size} entries is above QEMU's limit of ${MAX_L1_BYTES} bytes`, { field: 'l1_size' }));
  if (l1Size > 0) checkTable('L1 table', l1Offset, l1Size * 8, clusterSize, fileSize);

  const refcountTableOffset = u64(buf, 48);
  const refcountTableClusters = buf.readUInt32BE(56);
  if (refcountTableClusters === 0) fail(ImageCorrupt('the image has no refcount table', { field: 'refcount_table_clusters' }));
  if (refcountTableClusters * clusterSize > MAX_REFTABLE_BYTES) {
    fail(ImageTooLarge(`a refcount table of ${refcountTableClusters} clusters is above QEMU's limit of ${MAX_REFTABLE_BYTES} bytes`, { field: 'refcount_table_clusters' }));
  }
  checkTable('refcount table', refcountTableOffset, refcountTableClusters * clusterSize, clusterSize, fileSize);

  const snapshots = buf.readUInt32BE(60);
  if (snapshots > MAX_SNAPSHOTS) fail(ImageCorrupt(`${snapshots} snapshots is above QEMU's limit of ${MAX_SNAPSHOTS}`, { field: 'nb_snapshots' }));
  return {
    version,
    clusterBits,
    clusterSize,
    virtualSize,
    l1Size,
    l1Offset,
    refcountTableOffset,
    refcountTableClusters,
    snapshots,
    dirty: (incompatible & INCOMPAT_DIRTY) !== 0,
    refcountOrder,
    headerLength,
  };
}

/** A table must be cluster-aligned, after the header cluster, and inside the file. */
function checkTable(what: string, offset: number, bytes: number, clusterSize: number, fileSize: number): void {
  if (offset % clusterSize !== 0) fail(ImageCorrupt(`the ${what} offset ${offset} is not cluster-aligned`, { what, offset }));
  if (offset === 0) fail(ImageCorrupt(`the ${what} overlaps the header`, { what, offset }));
  if (offset + bytes > fileSize) fail(ImageTruncated(`the ${what} at ${offset} (${bytes} bytes) is past the end of the file (${fileSize})`, { what, offset, fileSize }));
}

export interface HeaderFields {
  readonly clusterBits: number;
  readonly virtualSize: number;
  readonly l1Size: number;
  readonly l1Offset: number;
  readonly refcountTableOffset: number;
  readonly refcountTableClusters: number;
}

/** A version 3 header (refcount order 4, zlib, no features) followed by the end-of-extensions marker. */
export function serializeQcow2Header(h: HeaderFields): Buffer {
  const buf = Buffer.alloc(V3_HEADER_LENGTH + 8);
  const w64 = (at: number, v: number): void => {
    buf.writeUInt32BE(Math.floor(v / 2 ** 32), at);
    buf.writeUInt32BE(v >>> 0, at + 4);
  };
  buf.writeUInt32BE(QCOW2_MAGIC, 0);
  buf.writeUInt32BE(3, 4);
  buf.writeUInt32BE(h.clusterBits, 20);
  w64(24, h.virtualSize);
  buf.writeUInt32BE(h.l1Size, 36);
  w64(40, h.l1Offset);
  w64(48, h.refcountTableOffset);
  buf.writeUInt32BE(h.refcountTableClusters, 56);
  buf.writeUInt32BE(4, 96);
  buf.writeUInt32BE(V3_HEADER_LENGTH, 100);
  // Bytes 104 (compression type zlib) to 119 (end of extensions: type 0, length 0) stay zero.
  return buf;
}
