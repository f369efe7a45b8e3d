// The messages the Glance routes send to the image service's actors, in one place: an image
// (`image/<uuid>`, asked `show`) and the index that lists the images a caller may see
// (`image-index/global`, asked `list` with Glance's filters, one sort key, limit and marker), and
// the view they answer. actors/image owns these messages; this file follows its contract until
// that folder has a public face (index.ts) to import them from.
export const IMAGE_KIND = 'image';
export const IMAGES_KIND = 'image-index';
export const IMAGES_CATALOG_ID = 'global';

/** An image as the image actor shows it. */
export interface ImageView {
  readonly id: string;
  readonly name: string | null;
  readonly status: 'queued' | 'saving' | 'active' | 'killed' | 'deactivated';
  readonly visibility: 'public' | 'private' | 'shared' | 'community';
  readonly protected: boolean;
  readonly osHidden: boolean;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly minDisk: number;
  readonly minRam: number;
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly checksum: string | null;
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly owner: string;
  readonly tags: readonly string[];
  /** Extra string properties (Glance's free-form image properties). */
  readonly properties: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A page of the index's listing; `next` is the marker of the next page when this one is full. */
export interface ImageList {
  readonly images: readonly ImageView[];
  readonly next: string | null;
}

/** Sort keys the index sorts by (one at a time). */
export const IMAGE_SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'virtual_size', 'id', 'created_at', 'updated_at', 'min_ram', 'min_disk', 'owner', 'visibility'] as const;
