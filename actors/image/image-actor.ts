// `image/<uuid>`: one Glance v2 image: create, show, JSON-patch update, tags, delete,
// deactivate/reactivate, members, and the upload state machine (queued → saving → active, back to
// queued when the client's upload fails, killed when the server's side fails or the uploading
// process died). The data itself moves outside the actor (image-service.ts streams it to the
// data store); the actor decides, records and tells the index (image-index.ts) and the blob
// store (image-blob-actor.ts). Every change is persisted first; a durable `sync` reminder set
// before it makes sure the index hears of it even across a crash.
import { defineKind, refuse, type GrainContext, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, isErrorValue, NotFound, type ErrorValue } from '../../transports/errors.js';
import { noEvents, type EventSink } from '../events.js';
import { isAdmin, isCaller, mayWrite, mustBeAdmin, mustBeSystem, SYSTEM_CALLER, type Caller } from '../identity/caller.js';
import { IMAGE_BLOB_KIND, type ImageBlobMessage } from './image-blob-actor.js';
import { IMAGE_INDEX_ID, IMAGE_INDEX_KIND, type ImageIndexMessage } from './image-index.js';
import type { IndexEntry } from './image-list.js';
import { ImageDeactivated, ImageExists, ImageInvalidState, ImageMemberExists, ImageMemberNotFound, ImageNotFound, ImageNotShared, ImageProtected, ImageQuotaExceeded, ImageTooBig } from './errors.js';
import { ImageMessage, type ImageReply, type MemberView } from './image-messages.js';
import { applyPatch, checkCreateProperties } from './image-patch.js';
import { mayMove, viewOf, visibleTo, type ImageRecord, type ImageStatus } from './image-record.js';
import { messageChecker } from '../schema-check.js';

export const IMAGE_KIND = 'image';
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Glance's image_size_cap default: 1 TiB. */
export const DEFAULT_MAX_IMAGE_BYTES = 2 ** 40;
export const MAX_MEMBERS = 128;
export const MAX_TAGS = 128;
/** Retry period of an index update that did not go through. */
export const SYNC_RETRY_MS = 5_000;
/** How often an image in `saving` checks that its uploader's process is still the one running. */
export const UPLOAD_WATCH_MS = 60_000;
const SYNC = 'sync';
const UPLOAD_WATCH = 'upload-watch';

export const STATUS_EVENT = 'image.status';
export const CREATED_EVENT = 'image.created';
export const UPDATED_EVENT = 'image.updated';
export const DELETED_EVENT = 'image.deleted';
export const MEMBER_EVENT = 'image.member';

export interface ImageState {
  /** null until created; a deleted image keeps its record (status deleted) so its id is never reused. */
  readonly record: ImageRecord | null;
}

export interface ImageKindOptions {
  /** This process's image service: an upload begun by another (dead) one is killed. */
  readonly incarnation: string;
  readonly events?: EventSink;
  /** Largest image accepted (Glance image_size_cap, default 1 TiB). */
  readonly maxImageBytes?: number;
}

export type ImageKind = KindDefinition<ImageState, ImageMessage, ImageReply>;
type Ctx = GrainContext<ImageState, ImageMessage>;

const invalid = messageChecker(ImageMessage);

function notFound(id: string): ErrorValue {
  return ImageNotFound(`No image found with ID ${id}`, { id });
}

function entryOf(r: ImageRecord, revision: number): IndexEntry {
  return { ...viewOf(r), members: r.members.map((m) => ({ memberId: m.memberId, status: m.status })), revision };
}

/** The record a caller may see, or IMAGE_NOT_FOUND (also for a malformed or missing caller). */
function readable(ctx: Ctx, caller: unknown): ImageRecord | ErrorValue {
  const r = ctx.state.record;
  if (!isCaller(caller)) return mayWrite(caller, '') ?? BadRequest('no caller');
  if (r === null || r.status === 'deleted' || !visibleTo(caller, r)) return notFound(ctx.id);
  return r;
}

/** The record a caller may change: visible (else 404) and its project's member or an admin (else 403). */
function writable(ctx: Ctx, caller: unknown): ImageRecord | ErrorValue {
  const r = readable(ctx, caller);
  if (isErrorValue(r)) return r;
  const denied = mayWrite(caller, r.owner);
  if (denied !== undefined) return Forbidden(`You are not permitted to modify image ${r.id}.`, { id: r.id });
  return r;
}

function memberView(r: ImageRecord, m: ImageRecord['members'][number]): MemberView {
  return { imageId: r.id, ...m };
}

export function createImageKind(options: ImageKindOptions): ImageKind {
  const events = options.events ?? noEvents;
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;

  function publish(ctx: Ctx, r: ImageRecord, type: string, body: Record<string, unknown>): void {
    events.publish({ type, projectId: r.owner, kind: IMAGE_KIND, id: r.id, at: ctx.clock.now(), body });
  }

  /** Tells the index (and the blob store, once deleted) what the record now is; false when it did not go through. */
  async function sync(ctx: Ctx, r: ImageRecord): Promise<boolean> {
    const index = ctx.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID);
    if (r.status !== 'deleted') {
      const put: ImageIndexMessage = { type: 'put', caller: SYSTEM_CALLER, entry: entryOf(r, ctx.revision) };
      return (await index.ask(put)).ok;
    }
    const remove: ImageIndexMessage = { type: 'remove', caller: SYSTEM_CALLER, id: r.id };
    if (!(await index.ask(remove)).ok) return false;
    if (r.data === null) return true;
    const release: ImageBlobMessage = { type: 'release', caller: SYSTEM_CALLER, imageId: r.id };
    return (await ctx.ref(IMAGE_BLOB_KIND, r.data.osHashValue).ask(release)).ok;
  }

  /** Persist, publish, tell the index; the durable reminder covers a crash before the index heard. */
  async function commit(ctx: Ctx, next: ImageRecord, event: string, body: Record<string, unknown> = {}): Promise<void> {
    const previous = ctx.state.record;
    await ctx.setReminder(SYNC, SYNC_RETRY_MS, { periodMs: SYNC_RETRY_MS });
    await ctx.persist({ record: next });
    if (next.status !== 'deleted') publish(ctx, next, event, { ...body, image: viewOf(next) });
    else publish(ctx, next, event, body);
    if (previous !== null && previous.status !== next.status && event !== STATUS_EVENT) publish(ctx, next, STATUS_EVENT, { status: next.status, previous: previous.status });
    if (await sync(ctx, next)) await ctx.cancelReminder(SYNC);
  }

  async function move(ctx: Ctx, r: ImageRecord, status: ImageStatus, changes: Partial<ImageRecord> = {}): Promise<ImageRecord> {
    if (!mayMove(r.status, status)) throw new Error(`image ${r.id}: ${r.status} → ${status} is not in the transition table`);
    const next: ImageRecord = { ...r, ...changes, status, updatedAt: ctx.clock.now() };
    await commit(ctx, next, status === 'deleted' ? DELETED_EVENT : STATUS_EVENT, { status, previous: r.status });
    return next;
  }

  /** An upload whose process is gone (it ran in another incarnation) will never finish: killed. */
  async function reapUpload(ctx: Ctx): Promise<void> {
    const r = ctx.state.record;
    if (r === null || r.status !== 'saving' || r.upload?.incarnation === options.incarnation) return;
    await move(ctx, r, 'killed', { upload: null });
    await ctx.cancelReminder(UPLOAD_WATCH);
  }

  return defineKind<ImageState, ImageMessage, ImageReply>({
    name: IMAGE_KIND,
    messageTypes: {
      create: true,
      show: true,
      update: true,
      addTag: true,
      removeTag: true,
      delete: true,
      deactivate: true,
      reactivate: true,
      beginUpload: true,
      finishUpload: true,
      abortUpload: true,
      openDownload: true,
      addMember: true,
      updateMember: true,
      removeMember: true,
      showMember: true,
      listMembers: true,
      reindex: true,
    },
    initialState: { record: null },
    async onActivate(ctx) {
      await reapUpload(ctx);
    },
    async onReminder(ctx, name) {
      if (name === UPLOAD_WATCH) {
        if (ctx.state.record?.status !== 'saving') return ctx.cancelReminder(UPLOAD_WATCH);
        return reapUpload(ctx);
      }
      if (name === SYNC) {
        const r = ctx.state.record;
        if (r === null || (await sync(ctx, r))) await ctx.cancelReminder(SYNC);
      }
    },
    async handle(ctx, msg): Promise<ImageReply | Refusal> {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const caller = msg.caller;
      const id = ctx.id;
      switch (msg.type) {
        case 'create': {
          if (!UUID_PATTERN.test(id)) return refuse(BadRequest(`image ids are lower-case UUIDs, not ${id.slice(0, 64)}`, { field: 'id' }));
          if (!isCaller(caller)) return refuse(mayWrite(caller, '') ?? BadRequest('no caller'));
          const owner = msg.owner ?? caller.projectId;
          if (owner === null) return refuse(Forbidden('a project-scoped token is needed to create images'));
          if (owner !== caller.projectId) {
            const denied = mustBeAdmin(caller);
            if (denied !== undefined) return refuse(Forbidden('Only admins may create images for another project.', { field: 'owner' }));
          }
          const denied = mayWrite(caller, owner);
          if (denied !== undefined) return refuse(denied);
          if (ctx.state.record !== null) return refuse(ImageExists(`Image with identifier ${id} already exists!`, { id }));
          const visibility = msg.visibility ?? 'shared';
          if (visibility === 'public' && !isAdmin(caller)) return refuse(Forbidden('Only admins may create public images.', { field: 'visibility' }));
          const properties = msg.properties ?? {};
          const badProperty = checkCreateProperties(properties);
          if (badProperty !== undefined) return refuse(badProperty);
          const admit: ImageIndexMessage = { type: 'admit', caller: SYSTEM_CALLER, id, owner };
          const admitted = await ctx.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask(admit);
          if (!admitted.ok) return refuse(admitted.error);
          const now = ctx.clock.now();
          const record: ImageRecord = {
            id,
            name: msg.name ?? null,
            status: 'queued',
            visibility,
            protected: msg.protected ?? false,
            osHidden: msg.osHidden ?? false,
            owner,
            diskFormat: msg.diskFormat ?? null,
            containerFormat: msg.containerFormat ?? null,
            minRam: msg.minRam ?? 0,
            minDisk: msg.minDisk ?? 0,
            tags: msg.tags ?? [],
            properties,
            members: [],
            data: null,
            upload: null,
            createdAt: now,
            updatedAt: now,
          };
          await commit(ctx, record, CREATED_EVENT);
          return viewOf(record);
        }
        case 'show': {
          const r = readable(ctx, caller);
          return isErrorValue(r) ? refuse(r) : viewOf(r);
        }
        case 'update': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          const patched = applyPatch(r, msg.patch, caller as Caller);
          if (isErrorValue(patched)) return refuse(patched);
          const next = { ...patched, updatedAt: ctx.clock.now() };
          await commit(ctx, next, UPDATED_EVENT);
          return viewOf(next);
        }
        case 'addTag':
        case 'removeTag': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          const has = r.tags.includes(msg.tag);
          if (msg.type === 'addTag' && has) return viewOf(r);
          if (msg.type === 'removeTag' && !has) return refuse(NotFound(`Tag ${msg.tag} not found.`, { field: 'tag' }));
          const tags = msg.type === 'addTag' ? [...r.tags, msg.tag] : r.tags.filter((t) => t !== msg.tag);
          if (tags.length > MAX_TAGS) return refuse(ImageQuotaExceeded(`Maximum number of tags (${MAX_TAGS}) exceeded.`, { resource: 'tags' }));
          const next = { ...r, tags, updatedAt: ctx.clock.now() };
          await commit(ctx, next, UPDATED_EVENT);
          return viewOf(next);
        }
        case 'delete': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.protected) return refuse(ImageProtected(`Image ${id} is protected and cannot be deleted.`, { id }));
          await move(ctx, r, 'deleted', { upload: null });
          await ctx.cancelReminder(UPLOAD_WATCH);
          return { id, deleted: true };
        }
        case 'deactivate':
        case 'reactivate': {
          const r = readable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          const denied = mustBeAdmin(caller);
          if (denied !== undefined) return refuse(Forbidden(`You are not authorized to ${msg.type} image ${id}.`, { id }));
          const [from, to] = msg.type === 'deactivate' ? (['active', 'deactivated'] as const) : (['deactivated', 'active'] as const);
          if (r.status === to) return viewOf(r);
          if (r.status !== from) return refuse(ImageInvalidState(`Not allowed to ${msg.type} image in status '${r.status}'.`, { id, status: r.status }));
          return viewOf(await move(ctx, r, to));
        }
        case 'beginUpload': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.diskFormat === null || r.containerFormat === null) {
            return refuse(BadRequest('Properties disk_format, container_format must be set prior to saving data.', { field: r.diskFormat === null ? 'disk_format' : 'container_format' }));
          }
          if (r.status !== 'queued') return refuse(ImageInvalidState(`Image status transition from ${r.status} to saving is not allowed`, { id, status: r.status }));
          const reserve: ImageIndexMessage = { type: 'reserveUpload', caller: SYSTEM_CALLER, id, owner: r.owner };
          const reserved = await ctx.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask(reserve);
          if (!reserved.ok) return refuse(reserved.error);
          const remaining = (reserved.value as { remainingBytes: number }).remainingBytes;
          await ctx.setReminder(UPLOAD_WATCH, UPLOAD_WATCH_MS, { periodMs: UPLOAD_WATCH_MS });
          const next = await move(ctx, r, 'saving', { upload: { id: msg.uploadId, incarnation: options.incarnation, startedAt: ctx.clock.now() } });
          return remaining < maxImageBytes ? { image: viewOf(next), maxBytes: remaining, limitedBy: 'quota' } : { image: viewOf(next), maxBytes: maxImageBytes, limitedBy: 'cap' };
        }
        case 'finishUpload': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.status !== 'saving' || r.upload?.id !== msg.uploadId) return refuse(ImageInvalidState(`Upload ${msg.uploadId} of image ${id} is not in progress.`, { id, status: r.status }));
          if (msg.size > maxImageBytes) return refuse(ImageTooBig(`Image exceeds the storage quota: ${msg.size} bytes is more than the cap of ${maxImageBytes}.`, { limit: maxImageBytes }));
          const commitUpload: ImageIndexMessage = { type: 'commitUpload', caller: SYSTEM_CALLER, id, owner: r.owner, size: msg.size };
          const committed = await ctx.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask(commitUpload);
          if (!committed.ok) return refuse(committed.error);
          const adopt: ImageBlobMessage = { type: 'adopt', caller: SYSTEM_CALLER, imageId: id, stagedPath: msg.stagedPath };
          const adopted = await ctx.ref(IMAGE_BLOB_KIND, msg.osHashValue).ask(adopt);
          if (!adopted.ok) return refuse(adopted.error);
          const data = { size: msg.size, virtualSize: msg.virtualSize, checksum: msg.checksum, osHashValue: msg.osHashValue };
          const next = await move(ctx, r, 'active', { data, upload: null });
          await ctx.cancelReminder(UPLOAD_WATCH);
          return viewOf(next);
        }
        case 'abortUpload': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.status !== 'saving' || r.upload?.id !== msg.uploadId) return viewOf(r);
          const next = await move(ctx, r, msg.kill ? 'killed' : 'queued', { upload: null, data: null });
          await ctx.cancelReminder(UPLOAD_WATCH);
          return viewOf(next);
        }
        case 'openDownload': {
          const r = readable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.status === 'deactivated' && !isAdmin(caller as Caller)) {
            return refuse(ImageDeactivated('The requested image has been deactivated. Image data download is forbidden.', { id }));
          }
          const hasData = (r.status === 'active' || r.status === 'deactivated') && r.data !== null;
          return { image: viewOf(r), blob: hasData ? r.data.osHashValue : null };
        }
        case 'addMember': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (r.visibility !== 'shared') return refuse(ImageNotShared(`Only shared images have members (image ${id} is ${r.visibility}).`, { id }));
          if (r.members.some((m) => m.memberId === msg.memberId)) return refuse(ImageMemberExists(`Member ${msg.memberId} already exists on image ${id}.`, { id, memberId: msg.memberId }));
          if (r.members.length >= MAX_MEMBERS) return refuse(ImageQuotaExceeded(`Maximum number of image members (${MAX_MEMBERS}) exceeded.`, { resource: 'members' }));
          const now = ctx.clock.now();
          const member = { memberId: msg.memberId, status: 'pending' as const, createdAt: now, updatedAt: now };
          const next = { ...r, members: [...r.members, member], updatedAt: now };
          await commit(ctx, next, MEMBER_EVENT, { memberId: msg.memberId, memberStatus: 'pending' });
          return memberView(next, member);
        }
        case 'updateMember': {
          const r = readable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          const member = r.members.find((m) => m.memberId === msg.memberId);
          if (member === undefined) return refuse(ImageMemberNotFound(`Member ${msg.memberId} not found on image ${id}.`, { id, memberId: msg.memberId }));
          const who = caller as Caller;
          if (who.projectId !== msg.memberId && !isAdmin(who)) return refuse(Forbidden("You are not permitted to modify 'status' on this image member.", { id }));
          if (who.projectId === msg.memberId && !isAdmin(who) && !who.roles.includes('member')) return refuse(Forbidden('the reader role may not change anything'));
          const updated = { ...member, status: msg.status, updatedAt: ctx.clock.now() };
          const next = { ...r, members: r.members.map((m) => (m.memberId === msg.memberId ? updated : m)) };
          await commit(ctx, next, MEMBER_EVENT, { memberId: msg.memberId, memberStatus: msg.status });
          return memberView(next, updated);
        }
        case 'removeMember': {
          const r = writable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          if (!r.members.some((m) => m.memberId === msg.memberId)) return refuse(ImageMemberNotFound(`Member ${msg.memberId} not found on image ${id}.`, { id, memberId: msg.memberId }));
          const next = { ...r, members: r.members.filter((m) => m.memberId !== msg.memberId), updatedAt: ctx.clock.now() };
          await commit(ctx, next, MEMBER_EVENT, { memberId: msg.memberId, memberStatus: null });
          return { members: next.members.map((m) => memberView(next, m)) };
        }
        case 'showMember':
        case 'listMembers': {
          const r = readable(ctx, caller);
          if (isErrorValue(r)) return refuse(r);
          const who = caller as Caller;
          // The owner and admins see every member; a member sees only itself.
          const mine = isAdmin(who) || who.projectId === r.owner ? r.members : r.members.filter((m) => m.memberId === who.projectId);
          if (msg.type === 'listMembers') return { members: mine.map((m) => memberView(r, m)) };
          const member = mine.find((m) => m.memberId === msg.memberId);
          return member === undefined ? refuse(ImageMemberNotFound(`Member ${msg.memberId} not found on image ${id}.`, { id, memberId: msg.memberId })) : memberView(r, member);
        }
        case 'reindex': {
          const denied = mustBeSystem(caller);
          if (denied !== undefined) return refuse(denied);
          const r = ctx.state.record;
          if (r === null) {
            const remove: ImageIndexMessage = { type: 'remove', caller: SYSTEM_CALLER, id, provisionalOnly: true };
            await ctx.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask(remove);
          } else await sync(ctx, r);
          return { done: true };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}

