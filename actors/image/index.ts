// The image service's public face (Glance v2): registration and the ImageService (upload,
// download, host copies), the built-in cirros image, the message types of `image/<id>` and
// `image-index/global` for routes and the SDK, views, and error codes.
export { registerImages } from './register.js';
export type { ImageServiceOptions } from './register.js';
export { ImageService, parseRangeHeader } from './image-service.js';
export type { ByteRange, CachedImage, CreateFields, Download, DownloadRequest, HostFetchRequest, ListQuery, UploadRequest } from './image-service.js';
export { ensureCirros, CIRROS_NAME, CIRROS_VIRTUAL_SIZE } from './cirros.js';
export type { CirrosOptions } from './cirros.js';
export { createImageKind, IMAGE_KIND, STATUS_EVENT, CREATED_EVENT, UPDATED_EVENT, DELETED_EVENT, MEMBER_EVENT, DEFAULT_MAX_IMAGE_BYTES } from './image-actor.js';
export type { ImageKind, ImageKindOptions, ImageState } from './image-actor.js';
export { createImageIndexKind, IMAGE_INDEX_KIND, IMAGE_INDEX_ID, DEFAULT_IMAGE_LIMITS, PROVISIONAL_GRACE_MS, ImageIndexMessage } from './image-index.js';
export type { ImageIndexKind, ImageIndexReply, ImageQuotaLimits, ImageUsage, QuotaView } from './image-index.js';
export { createImageBlobKind, IMAGE_BLOB_KIND } from './image-blob-actor.js';
export { ImageDataStore } from './data-store.js';
export { ImageMessage, PatchOp, CLIENT_MESSAGES, ImageName, VisibilitySchema, DiskFormat as DiskFormatSchema, ContainerFormat as ContainerFormatSchema, Tag as TagSchema, Tags as TagsSchema, PropertyKey, SizeMb, ProjectId as ProjectIdSchema } from './image-messages.js';
export type { DownloadGrant, ImageDeleted, ImageReply, MemberList, MemberView, UploadGrant } from './image-messages.js';
export { SORT_KEYS, DEFAULT_LIMIT, MAX_LIMIT } from './image-list.js';
export type { ImagePage, IndexEntry, SortKey } from './image-list.js';
export { IMAGE_STATUSES, VISIBILITIES, MEMBER_STATUSES, DISK_FORMAT_NAMES, CONTAINER_FORMAT_NAMES, OS_HASH_ALGO, TRANSITIONS, viewOf, visibleTo } from './image-record.js';
export type { ImageMember, ImageRecord, ImageStatus, ImageView, MemberStatus, Visibility } from './image-record.js';
export { READ_ONLY, RESERVED } from './image-patch.js';
export * from './errors.js';
