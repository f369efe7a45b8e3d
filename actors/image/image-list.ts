// Glance's image listing (GET /v2/images) over the index's entries: which images a caller sees
// in a list (its project's, public ones, shared ones it accepted; community ones only when asked
// for; admins see all), the filters, one sort key, and marker/limit pages.
import { BadRequest, type ErrorValue } from '../../transports/errors.js';
import { isAdmin, type Caller } from '../identity/caller.js';
import type { ImageView, MemberStatus, Visibility } from './image-record.js';

/** What the index holds per image: the view, its members (for visibility) and the record's revision. */
export interface IndexEntry extends ImageView {
  readonly members: readonly { readonly memberId: string; readonly status: MemberStatus }[];
  readonly revision: number;
  /** Admitted for the quota but not yet confirmed by the image actor (not listed). */
  readonly provisional?: true;
  /** Changed by the index itself (an upload reserved or committed) since the actor's last put. */
  readonly local?: true;
}

export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'virtual_size', 'id', 'created_at', 'updated_at', 'min_ram', 'min_disk', 'owner', 'visibility'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ListQuery {
  readonly name?: string;
  readonly status?: ImageView['status'];
  readonly visibility?: Visibility | 'all';
  readonly memberStatus?: MemberStatus | 'all';
  readonly owner?: string;
  /** Images carrying every one of these tags. */
  readonly tags?: readonly string[];
  readonly diskFormat?: string;
  readonly containerFormat?: string;
  readonly sizeMin?: number;
  readonly sizeMax?: number;
  readonly protected?: boolean;
  /** Hidden images are listed only when this is true (Glance's os_hidden filter, default false). */
  readonly osHidden?: boolean;
  /** Only these ids (Glance's `id=in:a,b`). */
  readonly ids?: readonly string[];
  /** Extra properties that must match exactly. */
  readonly properties?: Readonly<Record<string, string>>;
  readonly sortKey?: SortKey;
  readonly sortDir?: 'asc' | 'desc';
  /** Default 25, at most 1000 (Glance's limit_param_default and api_limit_max). */
  readonly limit?: number;
  readonly marker?: string;
}

export interface ImagePage {
  readonly images: readonly ImageView[];
  /** The marker of the next page, when this one is full. */
  readonly next: string | null;
}

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

/** Whether a (non-admin) caller sees an entry in a list under the visibility and member filters. */
function listed(caller: Caller, e: IndexEntry, visibility: Visibility | 'all' | undefined, memberStatus: MemberStatus | 'all'): boolean {
  if (isAdmin(caller)) return visibility === undefined || visibility === 'all' || e.visibility === visibility;
  const own = e.owner === caller.projectId;
  const member = (): boolean => e.visibility === 'shared' && e.members.some((m) => m.memberId === caller.projectId && (memberStatus === 'all' || m.status === memberStatus));
  switch (visibility) {
    case undefined:
      return own || e.visibility === 'public' || member();
    case 'all':
      return own || e.visibility === 'public' || e.visibility === 'community' || member();
    case 'public':
    case 'community':
      return e.visibility === visibility;
    case 'private':
      return own && e.visibility === 'private';
    case 'shared':
      return e.visibility === 'shared' && (own || member());
    default: {
      const never: never = visibility;
      return never;
    }
  }
}

function matches(e: IndexEntry, q: ListQuery): boolean {
  if (q.name !== undefined && e.name !== q.name) return false;
  if (q.status !== undefined && e.status !== q.status) return false;
  if (q.owner !== undefined && e.owner !== q.owner) return false;
  if (q.diskFormat !== undefined && e.diskFormat !== q.diskFormat) return false;
  if (q.containerFormat !== undefined && e.containerFormat !== q.containerFormat) return false;
  if (q.protected !== undefined && e.protected !== q.protected) return false;
  if (e.osHidden !== (q.osHidden ?? false)) return false;
  if (q.sizeMin !== undefined && (e.size === null || e.size < q.sizeMin)) return false;
  if (q.sizeMax !== undefined && (e.size === null || e.size > q.sizeMax)) return false;
  if (q.tags !== undefined && !q.tags.every((t) => e.tags.includes(t))) return false;
  if (q.ids !== undefined && !q.ids.includes(e.id)) return false;
  if (q.properties !== undefined && !Object.entries(q.properties).every(([k, v]) => Object.hasOwn(e.properties, k) && e.properties[k] === v)) return false;
  return true;
}

function sortValue(e: IndexEntry, key: SortKey): string | number | boolean | null {
  switch (key) {
    case 'name':
      return e.name;
    case 'status':
      return e.status;
    case 'container_format':
      return e.containerFormat;
    case 'disk_format':
      return e.diskFormat;
    case 'size':
      return e.size;
    case 'virtual_size':
      return e.virtualSize;
    case 'id':
      return e.id;
    case 'created_at':
      return e.createdAt;
    case 'updated_at':
      return e.updatedAt;
    case 'min_ram':
      return e.minRam;
    case 'min_disk':
      return e.minDisk;
    case 'owner':
      return e.owner;
    case 'visibility':
      return e.visibility;
    default: {
      const never: never = key;
      return never;
    }
  }
}

/** Nulls first in ascending order, as in Glance's SQL; ties broken by id so pages are stable. */
function compare(a: IndexEntry, b: IndexEntry, key: SortKey, dir: 'asc' | 'desc'): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  let c = 0;
  if (x === null || y === null) c = x === y ? 0 : x === null ? -1 : 1;
  else c = x < y ? -1 : x > y ? 1 : 0;
  if (c === 0) c = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  return dir === 'asc' ? c : -c;
}

export function listImages(entries: Iterable<IndexEntry>, caller: Caller, q: ListQuery): ImagePage | ErrorValue {
  const memberStatus = q.memberStatus ?? 'accepted';
  const key = q.sortKey ?? 'created_at';
  const dir = q.sortDir ?? 'desc';
  const limit = Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  const found = [...entries].filter((e) => e.provisional !== true && listed(caller, e, q.visibility, memberStatus) && matches(e, q)).sort((a, b) => compare(a, b, key, dir));
  let start = 0;
  if (q.marker !== undefined) {
    const at = found.findIndex((e) => e.id === q.marker);
    if (at === -1) return BadRequest(`Invalid marker. Image ${q.marker} could not be found.`, { field: 'marker' });
    start = at + 1;
  }
  const page = found.slice(start, start + limit);
  const images = page.map(({ members: _m, revision: _r, provisional: _p, local: _l, ...view }) => view);
  return { images, next: page.length === limit && start + limit < found.length ? page[page.length - 1]!.id : null };
}
