// The messages the Glance routes send to the image service's actors, in one place: the kind of
// an image (`image/<uuid>`, asked `show`) and of the catalog that lists the images a caller may
// see (`images/<catalog id>`, asked `list`), and the view they answer. The images issue's actor
// (actors/image) owns these messages; this file follows its contract.
export const IMAGE_KIND = 'image';
export const IMAGES_KIND = 'images';
export const IMAGES_CATALOG_ID = 'catalog';

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

export interface ImageList {
  readonly images: readonly ImageView[];
}
