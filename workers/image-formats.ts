// The vocabulary shared by image readers, writers and tasks: the formats cumulo reads and writes,
// guest extents (what a reader yields and a writer takes, in guest order), and the limits that
// keep untrusted images from asking for absurd work.

/** Formats cumulo converts between. */
export type DiskFormat = 'raw' | 'qcow2';
export const DISK_FORMATS: readonly DiskFormat[] = ['raw', 'qcow2'];

/** What probing can recognise by magic; anything else is raw. */
export type DetectedFormat = DiskFormat | 'vmdk' | 'vhd' | 'vhdx' | 'vdi' | 'iso';

/**
 * A run of guest bytes. Data extents lend their buffer: it is valid only until the consumer
 * returns to the source (the source reuses it), so a writer copies or writes it at once.
 */
export type GuestExtent =
  | { readonly kind: 'data'; readonly offset: number; readonly bytes: Buffer }
  | { readonly kind: 'zero'; readonly offset: number; readonly length: number };

/** A readable image: its guest size and its contents in guest order, gaps being zeros. */
export interface ImageSource {
  readonly format: DiskFormat;
  readonly virtualSize: number;
  extents(): Iterable<GuestExtent>;
  /**
   * The same extents with reads in flight on libuv's pool. The consumer may hold up to
   * `outstanding` extents it has not finished with (writes not settled) when it asks for the
   * next; the source reuses a buffer only after that.
   */
  extentsAsync(outstanding: number): AsyncIterable<GuestExtent>;
  close(): void;
}

/** A writable image: takes extents in increasing guest order, then finish() makes it complete. */
export interface ImageSink {
  /** The guest size the image will have (qcow2 rounds up to 512 bytes). */
  readonly virtualSize: number;
  write(extent: GuestExtent): void;
  /** Writes what is left (tables, header), syncs the file to disk (unless told not to) and closes it. */
  finish(): void;
  /** finish() for async io: waits for the writes in flight first. */
  finishAsync(): Promise<void>;
  /** Resolves when every write issued so far is done (at once with sync io). */
  settled(): Promise<void>;
  /** Closes without completing (the caller removes the file). */
  abort(): void;
}

export interface SinkOptions {
  /** fdatasync the file before finish() returns (default true: images are stored data). */
  readonly sync?: boolean;
  /** qcow2 only: log2 of the cluster size (default 16, QEMU's 64 KiB). */
  readonly clusterBits?: number;
  /**
   * 'sync' (default): writes are done when write() returns. 'async': writes stay in flight on
   * libuv's pool; the extents' buffers must stay unchanged until settled() resolves.
   */
  readonly io?: 'sync' | 'async';
}

export interface ImageLimits {
  /** Largest virtual size accepted (default 16 TiB, ext4's largest file). */
  readonly maxVirtualSize: number;
}

export const DEFAULT_LIMITS: ImageLimits = { maxVirtualSize: 2 ** 44 };

/** What a probe tells about an image file. */
export interface ProbeResult {
  readonly format: DetectedFormat;
  /** Bytes the guest sees; null for formats cumulo does not parse. */
  readonly virtualSize: number | null;
  /** Bytes of the file. */
  readonly fileSize: number;
  /** qcow2 only: cluster size, and whether some clusters are compressed. */
  readonly clusterSize?: number;
  readonly compressed?: boolean;
}
