// Glance v2's read side (api-ref image v2 "Images": list and show), over the image actors: what
// servers name in imageRef and what `openstack image list/show` print. Upload, download,
// conversion and the rest of Glance come with the images issue, on the same actors.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { BadRequest, NotFound } from '../../transports/errors.js';
import { ask, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { isPlainId } from '../gateway.js';
import { paginate, PagingQuery, type Collection, type Direction } from '../paging.js';
import { IMAGE_KIND, IMAGES_CATALOG_ID, IMAGES_KIND, type ImageList, type ImageView } from './contract.js';

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

const images: Collection<ImageView> = {
  id: (i) => i.id,
  keys: {
    name: (i) => i.name,
    status: (i) => i.status,
    created_at: (i) => i.createdAt,
    updated_at: (i) => i.updatedAt,
    size: (i) => i.size,
    id: (i) => i.id,
    disk_format: (i) => i.diskFormat,
    container_format: (i) => i.containerFormat,
    visibility: (i) => i.visibility,
    min_disk: (i) => i.minDisk,
    min_ram: (i) => i.minRam,
  },
  defaultSort: [['created_at', 'desc']],
};

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

/** Glance's `sort=name:asc,created_at:desc` as sort_key / sort_dir. */
function sortOf(q: ImageListQuery): ImageListQuery {
  if (q.sort === undefined) return q;
  const keys: string[] = [];
  const dirs: Direction[] = [];
  for (const part of q.sort.split(',')) {
    const [key, dir = 'asc'] = part.trim().split(':');
    if (dir !== 'asc' && dir !== 'desc') fail(BadRequest(`Invalid sort direction: ${dir.slice(0, 16)}`, { field: 'sort' }));
    keys.push(key ?? '');
    dirs.push(dir);
  }
  return { ...q, sort_key: keys, sort_dir: dirs };
}

function notFound(id: string) {
  return NotFound(`No image found with ID ${id.slice(0, 255)}`);
}

/** An image the caller may see, or 404. */
export async function showImage(req: FastifyRequest, id: string): Promise<ImageView> {
  if (!UUID.test(id) || !isPlainId(id)) fail(notFound(id));
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
    const q = sortOf(req.query);
    const { images: all } = await ask<ImageList>(req, IMAGES_KIND, IMAGES_CATALOG_ID, 'list');
    const wantedTags = q.tag === undefined ? [] : typeof q.tag === 'string' ? [q.tag] : q.tag;
    const selected = all.filter(
      (i) =>
        (q.name === undefined || i.name === q.name) &&
        (q.status === undefined || i.status === q.status) &&
        (q.visibility === undefined || q.visibility === 'all' || i.visibility === q.visibility) &&
        (q.owner === undefined || i.owner === q.owner) &&
        (q.disk_format === undefined || i.diskFormat === q.disk_format) &&
        (q.container_format === undefined || i.containerFormat === q.container_format) &&
        wantedTags.every((t) => i.tags.includes(t)),
    );
    const page = paginate(selected, q, images);
    const next = page.next === undefined ? {} : { next: `/v2/images?marker=${encodeURIComponent(page.next)}${q.limit === undefined ? '' : `&limit=${q.limit}`}` };
    return { images: page.items.map(imageBody), first: '/v2/images', schema: '/v2/schemas/images', ...next };
  });
  fastify.get<{ Params: ImageParams }>('/v2/images/:id', { schema: { tags, summary: 'Show an image', params: ImageParams, security } }, async (req) => {
    return imageBody(await showImage(req, req.params.id));
  });
}
