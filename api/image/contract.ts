// What the Glance routes use of the image service's public face (actors/image): an image is
// `image/<uuid>` (asked `show`, `create`, `update`, tags, `delete`, `deactivate`, `reactivate`),
// the listing is `image-index/global` (asked `list` with Glance's filters, one sort key, limit and
// marker), the field schemas Glance's bodies share with the actors' messages, and the views.
export { IMAGE_KIND, IMAGE_INDEX_KIND as IMAGES_KIND, IMAGE_INDEX_ID as IMAGES_CATALOG_ID, SORT_KEYS as IMAGE_SORT_KEYS } from '../../actors/image/index.js';
export { ImageAttributeForbidden, PatchOp, READ_ONLY, RESERVED, IMAGE_STATUSES, VISIBILITIES, DISK_FORMAT_NAMES, CONTAINER_FORMAT_NAMES, OS_HASH_ALGO } from '../../actors/image/index.js';
export { ImageName, VisibilitySchema, DiskFormatSchema, ContainerFormatSchema, TagSchema, TagsSchema, PropertyKey, SizeMb, ProjectIdSchema, parseRangeHeader } from '../../actors/image/index.js';
export type { ImageService, ImageView, ImagePage as ImageList } from '../../actors/image/index.js';
