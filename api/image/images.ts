// Glance v2's read side (api-ref image v2 "Images": list and show), over the image actors: what
// servers name in imageRef and what `openstack image list/show` print, and Glance's image body
// that every image route answers. Writes are in image-writes.ts, data in image-data.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { BadRequest, NotFound } from '../../transports/errors.js';
import { ask, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { isPlainId } from '../gateway.js';
import { PagingQuery } from '../paging.js';
import { IMAGE_KIND, IMAGE_SORT_KEYS, IMAGES_CATALOG_ID, IMAGES_KIND, type ImageList, type ImageView } from './contract.js';

const tags = ['image'];
const security = [{ token: [] }];

export const ImageListQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 255 })),
  status: Type.Optional(Type.String({ maxLength: 32 })),
  visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('shared'), Type.Literal('community'), Type.Literal('all')])),
  owner: Type.Optional(Type.String({ maxLength: 255 })),
  disk_format: Type.Optional(Type.String({ maxLength: 32 })),
  container_format: Type.Optional(Type.String({ maxLength: 32 })),
  tag: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Array(Type.String({ maxLength: 255 }), { maxItems: 16 })])),
  sort: Type.Optional(Type.String({ maxLength: 255 })),
  ...PagingQuery,
});
export type ImageListQuery = Static<typeof ImageListQuery>;
export const ImageParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export type ImageParams = Static<typeof ImageParams>;

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Glance's image body: core attributes, then the free-form properties at the top level. */
export function imageBody(i: ImageView): Record<string, unknown> {
  return {
    ...i.properties,
    id: i.id,
    name: i.name,
    status: i.status,
    visibility: i.visibility,
    protected: i.protected,
    os_hidden: i.osHidden,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    min_disk: i.minDisk,
    min_ram: i.minRam,
    size: i.size,
    virtual_size: i.virtualSize,
    checksum: i.checksum,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    owner: i.owner,
    tags: i.tags,
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

/** Glance's sort (`sort=name:asc`, or sort_key and sort_dir): the index sorts by one key. */
function sortOf(q: ImageListQuery): Record<string, unknown> {
  let keys: string[] = [];
  let dirs: string[] = [];
  if (q.sort !== undefined) {
    for (const part of q.sort.split(',')) {
      const [key = '', dir = 'asc'] = part.trim().split(':');
      keys.push(key);
      dirs.push(dir);
    }
  } else {
    keys = q.sort_key === undefined ? [] : typeof q.sort_key === 'string' ? [q.sort_key] : [...q.sort_key];
    dirs = q.sort_dir === undefined ? [] : typeof q.sort_dir === 'string' ? [q.sort_dir] : [...q.sort_dir];
  }
  if (keys.length > 1 || dirs.length > 1) fail(BadRequest('sort by one key at a time', { field: 'sort' }));
  const [key] = keys;
  const [dir] = dirs;
  if (key !== undefined && !(IMAGE_SORT_KEYS as readonly string[]).includes(key)) fail(BadRequest(`Invalid sort key: ${key.slice(0, 64)}`, { field: 'sort_key' }));
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc') fail(BadRequest(`Invalid sort direction: ${dir.slice(0, 16)}`, { field: 'sort_dir' }));
  return { ...(key === undefined ? {} : { sortKey: key }), ...(dir === undefined ? {} : { sortDir: dir }) };
}

const STATUSES = ['queued', 'saving', 'active', 'killed', 'deactivated'];

/** The index's list message for a Glance query (unknown statuses match nothing, as in Glance). */
function listMessage(q: ImageListQuery): Record<string, unknown> | undefined {
  if (q.status !== undefined && !STATUSES.includes(q.status)) return undefined;
  if (q.marker !== undefined && !UUID.test(q.marker)) fail(BadRequest(`marker ${q.marker.slice(0, 64)} could not be found`, { field: 'marker' }));
  const tags = q.tag === undefined ? undefined : typeof q.tag === 'string' ? [q.tag] : q.tag;
  const fields: Record<string, unknown> = {
    name: q.name,
    status: q.status,
    visibility: q.visibility,
    owner: q.owner,
    tags,
    diskFormat: q.disk_format,
    containerFormat: q.container_format,
    limit: q.limit === undefined ? undefined : Math.min(q.limit, 1000),
    marker: q.marker?.toLowerCase(),
    ...sortOf(q),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function notFound(id: string) {
  return NotFound(`No image found with ID ${id.slice(0, 255)}`);
}

/** The request's media type, without parameters, lower case ('' when there is none). */
export function mediaTypeOf(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The id of a route's path when it can name an image (a UUID), else 404 as Glance answers. */
export function imageIdOf(id: string): string {
  if (!UUID.test(id) || !isPlainId(id)) fail(notFound(id));
  return id;
}

/** An image the caller may see, or 404. */
export async function showImage(req: FastifyRequest, id: string): Promise<ImageView> {
  imageIdOf(id);
  const found = await tryAsk<ImageView>(req, IMAGE_KIND, id, 'show');
  if (!found.ok) fail(found.error.status === 404 || found.error.status === 403 ? notFound(id) : found.error);
  return found.value;
}

/** The image a server create names (Nova: 400 when it is not there or not active). */
export async function resolveImageRef(req: FastifyRequest, id: string): Promise<string> {
  if (!UUID.test(id) || !isPlainId(id)) fail(BadRequest(`Image ${id.slice(0, 255)} could not be found.`, { field: 'imageRef' }));
  const found = await tryAsk<ImageView>(req, IMAGE_KIND, id, 'show');
  if (!found.ok) fail(found.error.status >= 500 ? found.error : BadRequest(`Image ${id} could not be found.`, { field: 'imageRef' }));
  if (found.value.status !== 'active') fail(BadRequest(`Image ${id} is not active.`, { field: 'imageRef' }));
  return found.value.id;
}

export async function imageRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: ImageListQuery }>('/v2/images', { schema: { tags, summary: 'List images', querystring: ImageListQuery, security } }, async (req) => {
    const message = listMessage(req.query);
    if (message === undefined) return { images: [], first: '/v2/images', schema: '/v2/schemas/images' };
    const page = await ask<ImageList>(req, IMAGES_KIND, IMAGES_CATALOG_ID, 'list', message);
    const limit = req.query.limit === undefined ? '' : `&limit=${req.query.limit}`;
    const next = page.next === null ? {} : { next: `/v2/images?marker=${encodeURIComponent(page.next)}${limit}` };
    return { images: page.images.map(imageBody), first: '/v2/images', schema: '/v2/schemas/images', ...next };
  });
  fastify.get<{ Params: ImageParams }>('/v2/images/:id', { schema: { tags, summary: 'Show an image', params: ImageParams, security } }, async (req) => {
    return imageBody(await showImage(req, req.params.id));
  });
}
