// What the Glance routes use of the image service's public face (actors/image): an image is
// `image/<uuid>` (asked `show`), the listing is `image-index/global` (asked `list` with Glance's
// filters, one sort key, limit and marker), and the views they answer.
export { IMAGE_KIND, IMAGE_INDEX_KIND as IMAGES_KIND, IMAGE_INDEX_ID as IMAGES_CATALOG_ID, SORT_KEYS as IMAGE_SORT_KEYS } from '../../actors/image/index.js';
export type { ImageView, ImagePage as ImageList } from '../../actors/image/index.js';
