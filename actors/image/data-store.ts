// Where image data lives in the data dir: uploads are staged under images/staging, then stored
// under images/blobs by content (the sha512 Glance reports as os_hash_value), so identical
// uploads share one file; hosts' converted copies live under images/cache/<host>.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export class ImageDataStore {
  readonly root: string;
  readonly staging: string;
  readonly blobs: string;
  readonly cache: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir, 'images');
    this.staging = join(this.root, 'staging');
    this.blobs = join(this.root, 'blobs');
    this.cache = join(this.root, 'cache');
  }

  /**
   * Makes the folders and removes staged files left by a previous run of the process (uploads
   * in flight when it stopped; their images are killed when next activated).
   */
  prepare(): void {
    for (const dir of [this.staging, this.blobs, this.cache]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(this.staging)) rmSync(join(this.staging, name), { force: true, recursive: true });
  }

  stagingPath(imageId: string, uploadId: string): string {
    return join(this.staging, `${imageId}.${uploadId}`);
  }

  /** Whether a path is a file of the staging folder (what blob adoption may rename). */
  isStaged(path: string): boolean {
    const rel = relative(this.staging, resolve(path));
    return rel !== '' && !rel.startsWith('..') && !rel.includes(sep);
  }

  /** Blobs fan out by the first two hex digits, so no folder holds millions of files. */
  blobPath(hash: string): string {
    if (!/^[0-9a-f]{128}$/.test(hash)) throw new Error(`not a sha512 hex digest: ${hash.slice(0, 140)}`);
    return join(this.blobs, hash.slice(0, 2), hash);
  }

  cachePath(hostId: string, hash: string, format: string): string {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(hostId) || hostId.startsWith('.')) throw new Error(`bad host id ${hostId.slice(0, 140)}`);
    return join(this.cache, hostId, `${hash}.${format}`);
  }
}
