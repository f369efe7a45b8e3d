// The image service's data paths, for the REST routes, the SDK and compute hosts: upload (the
// body streamed to a staged file, hashed alongside in the pool, probed, then adopted by the blob
// store by content), download (a blob file stream, with byte ranges), and a host's cached copy in
// the format its driver wants (converted once in the pool). The actors decide; this moves bytes.
import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { ActorRef, ActorSystem } from '../../supervision/index.js';
import { BadRequest, err, ok, type ErrorValue, type Result } from '../../transports/errors.js';
import { ImageIo, type DiskFormat, type ImageLimits, type WorkerPool } from '../../workers/index.js';
import type { ImageDataStore } from './data-store.js';
import { ImageConversionUnsupported, ImageInvalidState, ImageNotFound, ImageRangeNotSatisfiable } from './errors.js';
import { checkFormat } from './format-check.js';
import { IMAGE_KIND } from './image-actor.js';
import { IMAGE_INDEX_ID, IMAGE_INDEX_KIND, type ImageIndexMessage, type QuotaView } from './image-index.js';
import type { ImagePage } from './image-list.js';
import type { DownloadGrant, ImageMessage, ImageReply, PatchOp, UploadGrant } from './image-messages.js';
import type { ImageView } from './image-record.js';
import { receive, type UploadFailure } from './upload.js';

/** Codes of failures caused by the client's bytes or limits: the image goes back to queued. */
const CLIENT_FAILURES = new Set(['IMAGE_QUOTA_EXCEEDED', 'IMAGE_TOO_BIG', 'IMAGE_UPLOAD_ABORTED', 'IMAGE_FORMAT_MISMATCH', 'IMAGE_CORRUPT', 'IMAGE_TRUNCATED', 'IMAGE_UNSUPPORTED', 'IMAGE_TOO_LARGE', 'BAD_REQUEST']);

export type CreateFields = Omit<Extract<ImageMessage, { type: 'create' }>, 'type' | 'caller'> & { readonly id?: string };
export type ListQuery = Omit<Extract<ImageIndexMessage, { type: 'list' }>, 'type' | 'caller'>;

export interface UploadRequest {
  /** The caller as resolved from the request's token (null or undefined: UNAUTHORIZED). */
  readonly caller: unknown;
  readonly imageId: string;
  /** The data: a Node stream (an HTTP request) or any async iterable of bytes. */
  readonly body: AsyncIterable<Uint8Array>;
}

/** An HTTP byte range: first and last byte (inclusive, last open-ended when absent), or the last n bytes. */
export type ByteRange = { readonly start: number; readonly end?: number } | { readonly suffix: number };

export interface DownloadRequest {
  readonly caller: unknown;
  readonly imageId: string;
  readonly range?: ByteRange;
}

export interface Download {
  readonly image: ImageView;
  /** The bytes, or null when the image has no data (Glance answers 204 No Content). */
  readonly body: Readable | null;
  /** First and last byte sent (inclusive) and the whole size, for Content-Range. */
  readonly start: number;
  readonly end: number;
  readonly size: number;
  readonly partial: boolean;
}

export interface HostFetchRequest {
  /** Whose instance needs it: the image must be visible to this caller. */
  readonly caller: unknown;
  readonly imageId: string;
  readonly hostId: string;
  /** The format the host's hypervisor driver wants. */
  readonly format: DiskFormat;
}

export interface CachedImage {
  readonly path: string;
  readonly format: DiskFormat;
  readonly virtualSize: number | null;
  readonly image: ImageView;
  /** Whether this call made the copy (false: it was cached already). */
  readonly fetched: boolean;
}

/** Parses an HTTP Range header with one range (`bytes=0-99`, `bytes=100-`, `bytes=-100`). */
export function parseRangeHeader(header: string): ByteRange | ErrorValue {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const bad = (): ErrorValue => ImageRangeNotSatisfiable(`Range ${header.slice(0, 100)} is not one byte range.`, { range: header.slice(0, 100) });
  if (m === null || (m[1] === '' && m[2] === '')) return bad();
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] === '') return { start };
  const end = Number(m[2]);
  return end < start ? bad() : { start, end };
}

function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } | ErrorValue {
  const unsatisfiable = (): ErrorValue => ImageRangeNotSatisfiable(`Requested range not satisfiable: the image has ${size} bytes.`, { size });
  if (range === undefined) return { start: 0, end: size - 1 };
  if ('suffix' in range) {
    if (range.suffix === 0 || size === 0) return unsatisfiable();
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) return unsatisfiable();
  return { start: range.start, end: Math.min(size - 1, range.end ?? size - 1) };
}

export class ImageService {
  /** Host copies being made, by target path: concurrent fetches of one image share one conversion. */
  private readonly fetching = new Map<string, Promise<Result<CachedImage>>>();
  /** Conversions and copies made for hosts (observability, tests). */
  hostCopies = 0;

  constructor(
    private readonly system: ActorSystem,
    readonly pool: WorkerPool,
    readonly store: ImageDataStore,
    private readonly limits: ImageLimits,
    private readonly newId: () => string = randomUUID,
  ) {}

  ref(imageId: string): ActorRef<ImageMessage, ImageReply> {
    return this.system.ref(IMAGE_KIND, imageId) as ActorRef<ImageMessage, ImageReply>;
  }

  private get index(): ActorRef<ImageIndexMessage, unknown> {
    return this.system.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID);
  }

  /** Glance's POST /v2/images: a new id unless one is given. */
  async create(caller: unknown, fields: CreateFields): Promise<Result<ImageView>> {
    const { id, ...rest } = fields;
    return (await this.ref(id ?? this.newId()).ask({ type: 'create', caller, ...rest })) as Result<ImageView>;
  }

  async show(caller: unknown, imageId: string): Promise<Result<ImageView>> {
    return (await this.ref(imageId).ask({ type: 'show', caller })) as Result<ImageView>;
  }

  async update(caller: unknown, imageId: string, patch: readonly PatchOp[]): Promise<Result<ImageView>> {
    return (await this.ref(imageId).ask({ type: 'update', caller, patch: [...patch] })) as Result<ImageView>;
  }

  async delete(caller: unknown, imageId: string): Promise<Result<unknown>> {
    return this.ref(imageId).ask({ type: 'delete', caller });
  }

  async list(caller: unknown, query: ListQuery = {}): Promise<Result<ImagePage>> {
    return (await this.index.ask({ type: 'list', caller, ...query })) as Result<ImagePage>;
  }

  async usage(caller: unknown, projectId: string): Promise<Result<QuotaView>> {
    return (await this.index.ask({ type: 'usage', caller, projectId })) as Result<QuotaView>;
  }

  /**
   * Glance's PUT /v2/images/{id}/file. The image must be queued; it is saving while the body
   * streams, then active; a failure answers its error and leaves the image queued (the client's
   * failure: bad body, bad bytes, over a limit) or killed (the server's), never active.
   */
  async upload(req: UploadRequest): Promise<Result<ImageView>> {
    const uploadId = randomUUID();
    const ref = this.ref(req.imageId);
    const begun = await ref.ask({ type: 'beginUpload', caller: req.caller, uploadId });
    if (!begun.ok) return begun;
    const grant = begun.value as UploadGrant;
    const staged = this.store.stagingPath(req.imageId, uploadId);
    const fail = async (failure: UploadFailure): Promise<Result<ImageView>> => {
      await rm(staged, { force: true });
      const kill = failure.serverSide || !CLIENT_FAILURES.has(failure.error.code);
      await ref.ask({ type: 'abortUpload', caller: req.caller, uploadId, reason: `${failure.error.code}: ${failure.error.message}`.slice(0, 1024), kill });
      return err(failure.error);
    };
    const received = await receive(this.pool, staged, req.body, grant);
    if ('error' in received) return fail(received);
    const probe = await this.pool.probe(staged, this.limits);
    if (!probe.ok) return fail({ error: probe.error, serverSide: !CLIENT_FAILURES.has(probe.error.code) });
    const checked = checkFormat(grant.image.diskFormat!, probe.value);
    if ('code' in checked) return fail({ error: checked, serverSide: false });
    const finished = await ref.ask({
      type: 'finishUpload',
      caller: req.caller,
      uploadId,
      stagedPath: staged,
      size: received.size,
      virtualSize: checked.virtualSize,
      checksum: received.digests.md5!,
      osHashValue: received.digests.sha512!,
    });
    if (!finished.ok) return fail({ error: finished.error, serverSide: !CLIENT_FAILURES.has(finished.error.code) });
    return finished as Result<ImageView>;
  }

  /** Glance's GET /v2/images/{id}/file, with an optional byte range. */
  async download(req: DownloadRequest): Promise<Result<Download>> {
    const opened = await this.ref(req.imageId).ask({ type: 'openDownload', caller: req.caller });
    if (!opened.ok) return opened;
    const { image, blob } = opened.value as DownloadGrant;
    if (blob === null) return ok({ image, body: null, start: 0, end: -1, size: 0, partial: false });
    const size = image.size ?? 0;
    const range = resolveRange(req.range, size);
    if ('code' in range) return err(range);
    let fh;
    try {
      fh = await open(this.store.blobPath(blob), 'r');
    } catch {
      // Deleted between the actor's answer and now.
      return err(ImageNotFound(`No image found with ID ${req.imageId}`, { id: req.imageId }));
    }
    const body = size === 0 ? null : fh.createReadStream({ start: range.start, end: range.end, highWaterMark: 1024 * 1024, autoClose: true });
    if (body === null) await fh.close();
    return ok({ image, body, start: range.start, end: range.end, size, partial: req.range !== undefined });
  }

  /**
   * The image on a compute host, in the format its driver wants: made once per host and content
   * (converted in the pool when the formats differ), then served from the host's cache.
   */
  async fetchForHost(req: HostFetchRequest): Promise<Result<CachedImage>> {
    const opened = await this.ref(req.imageId).ask({ type: 'openDownload', caller: req.caller });
    if (!opened.ok) return opened;
    const { image, blob } = opened.value as DownloadGrant;
    if (blob === null) return err(ImageInvalidState(`Image ${req.imageId} has no data (status ${image.status}).`, { id: req.imageId, status: image.status }));
    const source = image.diskFormat;
    if (source !== req.format && (source === null || (source !== 'raw' && source !== 'qcow2'))) {
      return err(ImageConversionUnsupported(`Cannot convert ${source ?? 'unknown'} to ${req.format}; cumulo converts between raw and qcow2.`, { from: source, to: req.format }));
    }
    let target: string;
    try {
      target = this.store.cachePath(req.hostId, blob, req.format);
    } catch (e) {
      return err(BadRequest(e instanceof Error ? e.message : String(e), { field: 'hostId' }));
    }
    const cached = { path: target, format: req.format, virtualSize: image.virtualSize, image };
    if (await exists(target)) return ok({ ...cached, fetched: false });
    let pending = this.fetching.get(target);
    if (pending === undefined) {
      pending = this.copyForHost(this.store.blobPath(blob), source, target, req.format).then((r) => (r.ok ? ok({ ...cached, fetched: true }) : r));
      this.fetching.set(target, pending);
      void pending.finally(() => this.fetching.delete(target));
      return pending;
    }
    const shared = await pending;
    return shared.ok ? ok({ ...shared.value, fetched: false }) : shared;
  }

  private async copyForHost(blob: string, from: DiskFormat, target: string, to: DiskFormat): Promise<Result<void>> {
    const tmp = `${target}.${randomUUID()}.part`;
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      if (from === to) {
        // Same format: a hard link costs nothing (a copy when the cache is on another file system).
        await link(blob, tmp).catch(() => copyFile(blob, tmp));
      } else {
        const converted = await this.pool.convert({ source: blob, sourceFormat: from, target: tmp, targetFormat: to, limits: this.limits });
        if (!converted.ok) return converted;
      }
      await rename(tmp, target);
      this.hostCopies++;
      return ok(undefined);
    } catch (e) {
      await rm(tmp, { force: true });
      return err(ImageIo(`caching the image failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
