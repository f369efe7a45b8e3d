// `image-index/global`: every image's view as its actor last put it (so a listing is one ask),
// and the quota authority of the image service: image count (admit, at create), concurrent
// uploads and stored bytes per project (reserveUpload, commitUpload). Serial, so two racing
// creates or uploads never pass a limit together. Image actors put after every persisted change;
// an admitted image whose actor never confirmed it (a crash in between) is checked by a reminder.
import { Type, type Static } from '@sinclair/typebox';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest } from '../../transports/errors.js';
import { mayRead, mustBeAdmin, mustBeSystem, SYSTEM_CALLER, type Caller } from '../identity/caller.js';
import { ImageQuotaExceeded } from './errors.js';
import { listImages, SORT_KEYS, type ImagePage, type IndexEntry } from './image-list.js';
import { ProjectId, VisibilitySchema } from './image-messages.js';
import { IMAGE_STATUSES, MEMBER_STATUSES } from './image-record.js';
import { messageChecker } from '../schema-check.js';

export const IMAGE_INDEX_KIND = 'image-index';
export const IMAGE_INDEX_ID = 'global';
/** How long an admitted image may stay unconfirmed before the index asks its actor. */
export const PROVISIONAL_GRACE_MS = 60_000;
const CHECK_PROVISIONAL = 'check-provisional';

/** Per-project limits; -1 means unlimited (Glance's unified limits). */
export interface ImageQuotaLimits {
  /** image_count_total */
  readonly imageCount: number;
  /** image_count_uploading */
  readonly uploading: number;
  /** image_size_total, in bytes */
  readonly storageBytes: number;
}

/** DevStack's defaults: 100 images, 100 uploads at once, 2000 MiB stored. */
export const DEFAULT_IMAGE_LIMITS: ImageQuotaLimits = { imageCount: 100, uploading: 100, storageBytes: 2000 * 1024 * 1024 };

export interface ImageUsage {
  readonly imageCount: number;
  readonly uploading: number;
  readonly storageBytes: number;
}

const CallerField = Type.Optional(Type.Unknown());
const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Limit = Type.Integer({ minimum: -1 });

export const ImageIndexMessage = Type.Union([
  Type.Object({ type: Type.Literal('admit'), caller: CallerField, id: Id, owner: ProjectId }, { additionalProperties: false }),
  /** The entry is an ImageView plus members and revision, built by the image actor (trusted: system only). */
  Type.Object({ type: Type.Literal('put'), caller: CallerField, entry: Type.Unknown() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('remove'), caller: CallerField, id: Id, provisionalOnly: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('reserveUpload'), caller: CallerField, id: Id, owner: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('commitUpload'), caller: CallerField, id: Id, owner: ProjectId, size: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('list'),
      caller: CallerField,
      name: Type.Optional(Type.String({ maxLength: 255 })),
      status: Type.Optional(Type.Union(IMAGE_STATUSES.filter((s) => s !== 'deleted').map((s) => Type.Literal(s)))),
      visibility: Type.Optional(Type.Union([VisibilitySchema, Type.Literal('all')])),
      memberStatus: Type.Optional(Type.Union([...MEMBER_STATUSES.map((s) => Type.Literal(s)), Type.Literal('all')])),
      owner: Type.Optional(ProjectId),
      tags: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 32 })),
      diskFormat: Type.Optional(Type.String({ maxLength: 32 })),
      containerFormat: Type.Optional(Type.String({ maxLength: 32 })),
      sizeMin: Type.Optional(Type.Integer({ minimum: 0 })),
      sizeMax: Type.Optional(Type.Integer({ minimum: 0 })),
      protected: Type.Optional(Type.Boolean()),
      osHidden: Type.Optional(Type.Boolean()),
      ids: Type.Optional(Type.Array(Id, { maxItems: 1000 })),
      properties: Type.Optional(Type.Record(Type.String({ maxLength: 255 }), Type.String({ maxLength: 65535 }), { maxProperties: 32 })),
      sortKey: Type.Optional(Type.Union(SORT_KEYS.map((k) => Type.Literal(k)))),
      sortDir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
      limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
      marker: Type.Optional(Id),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('usage'), caller: CallerField, projectId: ProjectId }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('setLimits'),
      caller: CallerField,
      projectId: ProjectId,
      limits: Type.Object({ imageCount: Type.Optional(Limit), uploading: Type.Optional(Limit), storageBytes: Type.Optional(Limit) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
]);
export type ImageIndexMessage = Static<typeof ImageIndexMessage>;

export interface ImageIndexState {
  readonly images: Readonly<Record<string, IndexEntry>>;
  /** When each provisional entry was admitted. */
  readonly admittedAt: Readonly<Record<string, number>>;
  /** Projects whose limits an admin changed. */
  readonly limits: Readonly<Record<string, ImageQuotaLimits>>;
}

export interface QuotaView {
  readonly projectId: string;
  readonly limits: ImageQuotaLimits;
  readonly usage: ImageUsage;
}

export type ImageIndexReply = ImagePage | QuotaView | { readonly remainingBytes: number } | { readonly done: true };
export type ImageIndexKind = KindDefinition<ImageIndexState, ImageIndexMessage, ImageIndexReply>;

export interface ImageIndexOptions {
  readonly defaultLimits?: ImageQuotaLimits;
}

const invalid = messageChecker(ImageIndexMessage);
const DONE = { done: true } as const;

export function usageOf(state: ImageIndexState, projectId: string, except?: string): ImageUsage {
  let imageCount = 0;
  let uploading = 0;
  let storageBytes = 0;
  for (const e of Object.values(state.images)) {
    if (e.owner !== projectId) continue;
    imageCount++;
    if (e.status === 'saving') uploading++;
    if (e.id !== except) storageBytes += e.size ?? 0;
  }
  return { imageCount, uploading, storageBytes };
}

const within = (limit: number, value: number): boolean => limit < 0 || value <= limit;

function withEntry(state: ImageIndexState, entry: IndexEntry): ImageIndexState {
  return { ...state, images: { ...state.images, [entry.id]: entry } };
}

export function createImageIndexKind(options: ImageIndexOptions = {}): ImageIndexKind {
  const defaults = options.defaultLimits ?? DEFAULT_IMAGE_LIMITS;
  const limitsOf = (state: ImageIndexState, projectId: string): ImageQuotaLimits => state.limits[projectId] ?? defaults;
  return defineKind<ImageIndexState, ImageIndexMessage, ImageIndexReply>({
    name: IMAGE_INDEX_KIND,
    messageTypes: { admit: true, put: true, remove: true, reserveUpload: true, commitUpload: true, list: true, usage: true, setLimits: true },
    initialState: { images: {}, admittedAt: {}, limits: {} },
    async handle(ctx, msg): Promise<ImageIndexReply | Refusal> {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const state = ctx.state;
      if (msg.type !== 'list' && msg.type !== 'usage' && msg.type !== 'setLimits') {
        const denied = mustBeSystem(msg.caller);
        if (denied !== undefined) return refuse(denied);
      }
      switch (msg.type) {
        case 'admit': {
          if (state.images[msg.id] !== undefined) return DONE;
          const limits = limitsOf(state, msg.owner);
          const usage = usageOf(state, msg.owner);
          if (!within(limits.imageCount, usage.imageCount + 1)) {
            return refuse(ImageQuotaExceeded(`Maximum number of images exceeded: the project has ${usage.imageCount} of ${limits.imageCount}.`, { resource: 'image_count_total', limit: limits.imageCount }));
          }
          const placeholder: IndexEntry = {
            id: msg.id, name: null, status: 'queued', visibility: 'private', protected: false, osHidden: false, owner: msg.owner,
            diskFormat: null, containerFormat: null, minRam: 0, minDisk: 0, size: null, virtualSize: null, checksum: null,
            osHashAlgo: null, osHashValue: null, tags: [], properties: {}, createdAt: ctx.clock.now(), updatedAt: ctx.clock.now(),
            members: [], revision: 0, provisional: true,
          };
          await ctx.persist({ ...withEntry(state, placeholder), admittedAt: { ...state.admittedAt, [msg.id]: ctx.clock.now() } });
          await ctx.setReminder(CHECK_PROVISIONAL, PROVISIONAL_GRACE_MS);
          return DONE;
        }
        case 'put': {
          const entry = msg.entry as IndexEntry;
          const known = state.images[entry.id];
          // An older record never overwrites a newer one; the same record does when the index
          // changed its copy since (a reservation the actor may not have persisted).
          if (known !== undefined && known.provisional !== true && (known.revision > entry.revision || (known.revision === entry.revision && known.local !== true))) return DONE;
          const { [entry.id]: _admitted, ...admittedAt } = state.admittedAt;
          const { provisional: _p, local: _l, ...confirmed } = entry;
          await ctx.persist({ ...withEntry(state, confirmed), admittedAt });
          return DONE;
        }
        case 'remove': {
          const known = state.images[msg.id];
          if (known === undefined || (msg.provisionalOnly === true && known.provisional !== true)) return DONE;
          const { [msg.id]: _gone, ...images } = state.images;
          const { [msg.id]: _admitted, ...admittedAt } = state.admittedAt;
          await ctx.persist({ ...state, images, admittedAt });
          return DONE;
        }
        case 'reserveUpload': {
          const limits = limitsOf(state, msg.owner);
          const usage = usageOf(state, msg.owner, msg.id);
          const entry = state.images[msg.id];
          if (entry === undefined) return refuse(BadRequest(`image ${msg.id} is not in the index`));
          if (entry.status !== 'saving' && !within(limits.uploading, usage.uploading + 1)) {
            return refuse(ImageQuotaExceeded(`Maximum number of concurrent uploads exceeded (${limits.uploading}).`, { resource: 'image_count_uploading', limit: limits.uploading }));
          }
          if (!within(limits.storageBytes, usage.storageBytes)) {
            return refuse(ImageQuotaExceeded(`The project's image storage (${usage.storageBytes} of ${limits.storageBytes} bytes) is full.`, { resource: 'image_size_total', limit: limits.storageBytes }));
          }
          // Counted as uploading from now on, before its actor's own put says so.
          if (entry.status !== 'saving') await ctx.persist(withEntry(state, { ...entry, status: 'saving', local: true }));
          return { remainingBytes: limits.storageBytes < 0 ? Number.MAX_SAFE_INTEGER : limits.storageBytes - usage.storageBytes };
        }
        case 'commitUpload': {
          const limits = limitsOf(state, msg.owner);
          const usage = usageOf(state, msg.owner, msg.id);
          if (!within(limits.storageBytes, usage.storageBytes + msg.size)) {
            return refuse(
              ImageQuotaExceeded(`Denying attempt to upload image because it exceeds the quota: ${usage.storageBytes} + ${msg.size} bytes is more than ${limits.storageBytes}.`, {
                resource: 'image_size_total',
                limit: limits.storageBytes,
              }),
            );
          }
          const entry = state.images[msg.id];
          if (entry === undefined) return refuse(BadRequest(`image ${msg.id} is not in the index`));
          await ctx.persist(withEntry(state, { ...entry, size: msg.size, local: true }));
          return DONE;
        }
        case 'list': {
          const denied = mayRead(msg.caller, (msg.caller as Caller | undefined)?.projectId ?? '');
          if (denied !== undefined) return refuse(denied);
          const { type: _t, caller: _c, ...query } = msg;
          const page = listImages(Object.values(state.images), msg.caller as Caller, query);
          return 'code' in page ? refuse(page) : page;
        }
        case 'usage': {
          const denied = mayRead(msg.caller, msg.projectId);
          if (denied !== undefined) return refuse(denied);
          return { projectId: msg.projectId, limits: limitsOf(state, msg.projectId), usage: usageOf(state, msg.projectId) };
        }
        case 'setLimits': {
          const denied = mustBeAdmin(msg.caller);
          if (denied !== undefined) return refuse(denied);
          const limits = { ...limitsOf(state, msg.projectId), ...msg.limits };
          await ctx.persist({ ...state, limits: { ...state.limits, [msg.projectId]: limits } });
          return { projectId: msg.projectId, limits, usage: usageOf(state, msg.projectId) };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
    // Admitted images never confirmed: ask their actors (a tell: the index never waits on an
    // image actor, which may be waiting on the index) to put themselves or say they are gone.
    async onReminder(ctx, name) {
      if (name !== CHECK_PROVISIONAL) return;
      const now = ctx.clock.now();
      let pending = false;
      for (const [id, at] of Object.entries(ctx.state.admittedAt)) {
        if (now - at < PROVISIONAL_GRACE_MS) {
          pending = true;
          continue;
        }
        ctx.ref('image', id).tell({ type: 'reindex', caller: SYSTEM_CALLER } as { type: string });
        pending = true;
      }
      if (pending) await ctx.setReminder(CHECK_PROVISIONAL, PROVISIONAL_GRACE_MS);
    },
  });
}
