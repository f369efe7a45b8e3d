// An image as the image actor keeps it (Glance v2's image record), its status table, the view
// every reply shows, and who may see it. Visibility follows Glance: private (the owner), shared
// (the owner and its members), public and community (everyone; community images are listed only
// when asked for). Admins see everything.
import { isAdmin, type Caller } from '../identity/caller.js';

export type ImageStatus = 'queued' | 'saving' | 'active' | 'killed' | 'deactivated' | 'deleted';
export const IMAGE_STATUSES: readonly ImageStatus[] = ['queued', 'saving', 'active', 'killed', 'deactivated', 'deleted'];

export type Visibility = 'private' | 'shared' | 'public' | 'community';
export const VISIBILITIES: readonly Visibility[] = ['private', 'shared', 'public', 'community'];

export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['pending', 'accepted', 'rejected'];

/** Glance's default disk_formats and container_formats. */
export const DISK_FORMAT_NAMES = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMAT_NAMES = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export type DiskFormatName = (typeof DISK_FORMAT_NAMES)[number];
export type ContainerFormatName = (typeof CONTAINER_FORMAT_NAMES)[number];

/** Glance's os_hash_algo (hashing_algorithm default). */
export const OS_HASH_ALGO = 'sha512';

/** Which status may follow which (everything else is IMAGE_INVALID_STATE). */
export const TRANSITIONS: Readonly<Record<ImageStatus, readonly ImageStatus[]>> = {
  queued: ['saving', 'deleted'],
  saving: ['active', 'queued', 'killed', 'deleted'],
  active: ['deactivated', 'deleted'],
  deactivated: ['active', 'deleted'],
  killed: ['deleted'],
  deleted: [],
};

export function mayMove(from: ImageStatus, to: ImageStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface ImageMember {
  readonly memberId: string;
  readonly status: MemberStatus;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What the image's data is, once uploaded. */
export interface ImageData {
  readonly size: number;
  readonly virtualSize: number | null;
  /** md5 hex (Glance `checksum`). */
  readonly checksum: string;
  /** sha512 hex (Glance `os_hash_value`): also the blob's address in the data store. */
  readonly osHashValue: string;
}

/** The upload in progress: who started it, so a finish from another upload is refused. */
export interface UploadSession {
  readonly id: string;
  /** The process (image kind instance) that streams the data; another one means it died. */
  readonly incarnation: string;
  readonly startedAt: number;
}

export interface ImageRecord {
  readonly id: string;
  readonly name: string | null;
  readonly status: ImageStatus;
  readonly visibility: Visibility;
  readonly protected: boolean;
  readonly osHidden: boolean;
  /** The owning project. */
  readonly owner: string;
  readonly diskFormat: DiskFormatName | null;
  readonly containerFormat: ContainerFormatName | null;
  readonly minRam: number;
  readonly minDisk: number;
  readonly tags: readonly string[];
  /** Glance's extra properties: any key that is not a core attribute, string values. */
  readonly properties: Readonly<Record<string, string>>;
  readonly members: readonly ImageMember[];
  readonly data: ImageData | null;
  readonly upload: UploadSession | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An image as replies show it (camelCase; the REST layer writes Glance's snake_case). */
export interface ImageView {
  readonly id: string;
  readonly name: string | null;
  readonly status: Exclude<ImageStatus, 'deleted'>;
  readonly visibility: Visibility;
  readonly protected: boolean;
  readonly osHidden: boolean;
  readonly owner: string;
  readonly diskFormat: DiskFormatName | null;
  readonly containerFormat: ContainerFormatName | null;
  readonly minRam: number;
  readonly minDisk: number;
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly checksum: string | null;
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly tags: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function viewOf(r: ImageRecord): ImageView {
  if (r.status === 'deleted') throw new Error(`image ${r.id} is deleted and has no view`);
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    visibility: r.visibility,
    protected: r.protected,
    osHidden: r.osHidden,
    owner: r.owner,
    diskFormat: r.diskFormat,
    containerFormat: r.containerFormat,
    minRam: r.minRam,
    minDisk: r.minDisk,
    size: r.data?.size ?? null,
    virtualSize: r.data?.virtualSize ?? null,
    checksum: r.data?.checksum ?? null,
    osHashAlgo: r.data === null ? null : OS_HASH_ALGO,
    osHashValue: r.data?.osHashValue ?? null,
    tags: r.tags,
    properties: r.properties,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** Whether a caller may see an image at all (show, download): else it does not exist for them. */
export function visibleTo(caller: Caller, image: { readonly owner: string; readonly visibility: Visibility; readonly members: readonly { readonly memberId: string }[] }): boolean {
  if (isAdmin(caller) || image.owner === caller.projectId) return true;
  if (image.visibility === 'public' || image.visibility === 'community') return true;
  return image.visibility === 'shared' && caller.projectId !== null && image.members.some((m) => m.memberId === caller.projectId);
}
