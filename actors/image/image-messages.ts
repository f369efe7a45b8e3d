// Messages of `image/<uuid>`, as TypeBox schemas: the one source of their validation and types.
// Field rules follow Glance v2's image schema (name up to 255, Glance's disk and container
// formats, 128 tags and 128 extra properties per image), with camelCase names. The upload
// messages are sent by the image service (image-service.ts), which streams the data.
import { Type, type Static } from '@sinclair/typebox';
import { CONTAINER_FORMAT_NAMES, DISK_FORMAT_NAMES, MEMBER_STATUSES, VISIBILITIES, type ImageMember, type ImageView } from './image-record.js';

const Caller = Type.Optional(Type.Unknown());
const MAX_INT = 2_147_483_647;

export const ProjectId = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$' });
export const ImageName = Type.Union([Type.String({ maxLength: 255 }), Type.Null()]);
export const VisibilitySchema = Type.Union(VISIBILITIES.map((v) => Type.Literal(v)));
export const DiskFormat = Type.Union([Type.Union(DISK_FORMAT_NAMES.map((f) => Type.Literal(f))), Type.Null()]);
export const ContainerFormat = Type.Union([Type.Union(CONTAINER_FORMAT_NAMES.map((f) => Type.Literal(f))), Type.Null()]);
export const Tag = Type.String({ minLength: 1, maxLength: 255 });
export const Tags = Type.Array(Tag, { maxItems: 128, uniqueItems: true });
/** Extra property keys: printable, no `/` (JSON pointers name them), not `__proto__`. */
export const PropertyKey = Type.String({ pattern: '^(?!__proto__$)[^/\\x00-\\x1f\\x7f]{1,255}$' });
export const Properties = Type.Record(PropertyKey, Type.String({ maxLength: 65535 }), { additionalProperties: false, maxProperties: 128 });
export const SizeMb = Type.Integer({ minimum: 0, maximum: MAX_INT });
const Sha = (hexChars: number) => Type.String({ pattern: `^[0-9a-f]{${hexChars}}$` });
const UploadId = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' });

/** One operation of `application/openstack-images-v2.1-json-patch` (RFC 6902's add, replace, remove). */
export const PatchOp = Type.Union([
  Type.Object({ op: Type.Literal('add'), path: Type.String({ minLength: 2, maxLength: 300 }), value: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('replace'), path: Type.String({ minLength: 2, maxLength: 300 }), value: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ op: Type.Literal('remove'), path: Type.String({ minLength: 2, maxLength: 300 }) }, { additionalProperties: false }),
]);
export type PatchOp = Static<typeof PatchOp>;

export const ImageMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('create'),
      caller: Caller,
      name: Type.Optional(ImageName),
      visibility: Type.Optional(VisibilitySchema),
      protected: Type.Optional(Type.Boolean()),
      osHidden: Type.Optional(Type.Boolean()),
      /** Admins only: the owning project (default: the caller's). */
      owner: Type.Optional(ProjectId),
      diskFormat: Type.Optional(DiskFormat),
      containerFormat: Type.Optional(ContainerFormat),
      minRam: Type.Optional(SizeMb),
      minDisk: Type.Optional(SizeMb),
      tags: Type.Optional(Tags),
      properties: Type.Optional(Properties),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('show'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('update'), caller: Caller, patch: Type.Array(PatchOp, { maxItems: 256 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('addTag'), caller: Caller, tag: Tag }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('removeTag'), caller: Caller, tag: Tag }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('delete'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('deactivate'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('reactivate'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('beginUpload'), caller: Caller, uploadId: UploadId }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('finishUpload'),
      caller: Caller,
      uploadId: UploadId,
      /** The staged file the blob store adopts (renamed to its content address). */
      stagedPath: Type.String({ minLength: 1, maxLength: 4096 }),
      size: Type.Integer({ minimum: 0 }),
      virtualSize: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      checksum: Sha(32),
      osHashValue: Sha(128),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('abortUpload'),
      caller: Caller,
      uploadId: UploadId,
      /** The failure, as the uploader saw it. */
      reason: Type.String({ maxLength: 1024 }),
      /** A server-side failure: the image is killed, not back to queued. */
      kill: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('openDownload'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('addMember'), caller: Caller, memberId: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('updateMember'), caller: Caller, memberId: ProjectId, status: Type.Union(MEMBER_STATUSES.map((s) => Type.Literal(s))) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('removeMember'), caller: Caller, memberId: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('showMember'), caller: Caller, memberId: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('listMembers'), caller: Caller }, { additionalProperties: false }),
  /** From the index: put yourself (again), or say you do not exist. */
  Type.Object({ type: Type.Literal('reindex'), caller: Caller }, { additionalProperties: false }),
]);
export type ImageMessage = Static<typeof ImageMessage>;

/** Messages clients may send (the rest come from the image service or the index). */
export const CLIENT_MESSAGES: readonly ImageMessage['type'][] = [
  'create',
  'show',
  'update',
  'addTag',
  'removeTag',
  'delete',
  'deactivate',
  'reactivate',
  'addMember',
  'updateMember',
  'removeMember',
  'showMember',
  'listMembers',
];

export interface UploadGrant {
  readonly image: ImageView;
  /** The most bytes this upload may store (the project's storage left, or the size cap). */
  readonly maxBytes: number;
  /** Which limit maxBytes is: the size cap (IMAGE_TOO_BIG) or the storage quota (IMAGE_QUOTA_EXCEEDED). */
  readonly limitedBy: 'cap' | 'quota';
}

export interface DownloadGrant {
  readonly image: ImageView;
  /** The blob's content address (sha512 hex), or null when the image has no data (Glance answers 204). */
  readonly blob: string | null;
}

export interface MemberView extends ImageMember {
  readonly imageId: string;
}

export interface MemberList {
  readonly members: readonly MemberView[];
}

export interface ImageDeleted {
  readonly id: string;
  readonly deleted: true;
}

export type ImageReply = ImageView | UploadGrant | DownloadGrant | MemberView | MemberList | ImageDeleted | { readonly done: true };
