// Glance v2's write side over the image actors (api-ref image v2 "Images": create, update,
// delete; "Image actions": deactivate, reactivate; "Image tags"): the routes turn Glance's
// snake_case bodies into the actors' messages; the actors decide (ownership, protected, status).
// Bodies are checked here, after their media type, rather than by a route body schema: Glance
// takes `{}` as a create, and an update's body is a JSON patch in its own media type.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BadRequest } from '../../transports/errors.js';
import { ask } from '../auth.js';
import { fail, UnsupportedMediaType } from '../errors.js';
import { baseUrl } from '../links.js';
import {
  ContainerFormatSchema,
  DiskFormatSchema,
  IMAGE_KIND,
  ImageAttributeForbidden,
  ImageName,
  PatchOp,
  ProjectIdSchema,
  PropertyKey,
  READ_ONLY,
  RESERVED,
  SizeMb,
  TagSchema,
  TagsSchema,
  VisibilitySchema,
  type ImageView,
} from './contract.js';
import { ImageParams, imageBody, imageIdOf, mediaTypeOf } from './images.js';

const tags = ['image'];
const security = [{ token: [] }];

/** The media types Glance takes for an update (2.1 is what clients send; 2.0 is the older name). */
export const PATCH_MEDIA_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'];

/** Glance's create body: its core attributes; any other key is an extra property (a string). */
const CORE = {
  id: Type.String({ minLength: 1, maxLength: 36 }),
  name: ImageName,
  visibility: VisibilitySchema,
  protected: Type.Boolean(),
  os_hidden: Type.Boolean(),
  owner: ProjectIdSchema,
  disk_format: DiskFormatSchema,
  container_format: ContainerFormatSchema,
  min_ram: SizeMb,
  min_disk: SizeMb,
  tags: TagsSchema,
};
const coreChecks = new Map(Object.entries(CORE).map(([k, s]) => [k, TypeCompiler.Compile(s as TSchema)]));
const checkKey = TypeCompiler.Compile(PropertyKey);
const validKey = (key: string): boolean => checkKey.Check(key);
const checkPatch = TypeCompiler.Compile(Type.Array(PatchOp, { maxItems: 256 }));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const ImageTagParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }), tag: Type.String({ minLength: 1, maxLength: 255 }) });
export type ImageTagParams = Static<typeof ImageTagParams>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The actor's create message for a Glance create body (400/403 as Glance answers bad ones). */
export function createMessage(body: unknown): { readonly id: string; readonly fields: Record<string, unknown> } {
  if (body === undefined) body = {};
  if (!isObject(body)) fail(BadRequest('The request body must be a JSON object of image attributes.', { field: 'body' }));
  const properties: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  let id: string | undefined;
  for (const [key, value] of Object.entries(body)) {
    const check = coreChecks.get(key);
    if (check !== undefined) {
      if (!check.Check(value)) fail(BadRequest(`Invalid value for ${key}: ${String(JSON.stringify(value)).slice(0, 100)}`, { field: key }));
      if (key === 'id') id = (value as string).toLowerCase();
      else if (key === 'os_hidden') fields.osHidden = value;
      else if (key === 'disk_format') fields.diskFormat = value;
      else if (key === 'container_format') fields.containerFormat = value;
      else if (key === 'min_ram') fields.minRam = value;
      else if (key === 'min_disk') fields.minDisk = value;
      else fields[key] = value;
      continue;
    }
    if (READ_ONLY.includes(key)) fail(ImageAttributeForbidden(`Attribute '${key}' is read-only.`, { field: key }));
    if (RESERVED.includes(key) || key.startsWith('os_glance')) fail(ImageAttributeForbidden(`Attribute '${key}' is reserved.`, { field: key }));
    if (!validKey(key)) fail(BadRequest(`Invalid property name ${JSON.stringify(key.slice(0, 100))}`, { field: key }));
    if (typeof value !== 'string' || value.length > 65535) fail(BadRequest(`Property ${key.slice(0, 100)} must be a string of up to 65535 characters.`, { field: key }));
    properties[key] = value;
  }
  if (id !== undefined && !UUID.test(id)) fail(BadRequest(`id ${id.slice(0, 64)} is not a valid UUID.`, { field: 'id' }));
  if (Object.keys(properties).length > 0) fields.properties = properties;
  return { id: id ?? randomUUID(), fields };
}

/** 415 for an update in any media type but Glance's JSON patch (checked before the body is read). */
export async function patchMediaType(req: FastifyRequest): Promise<void> {
  const type = mediaTypeOf(req);
  if (!PATCH_MEDIA_TYPES.includes(type)) {
    fail(UnsupportedMediaType(`Unsupported Content-Type ${type.slice(0, 100) || '(none)'}: an image update is a JSON patch in ${PATCH_MEDIA_TYPES[0]}.`, { field: 'content-type' }));
  }
}

/** The JSON patch of an update. */
export function patchOf(req: FastifyRequest): PatchOp[] {
  if (!checkPatch.Check(req.body)) {
    const first = checkPatch.Errors(req.body).First();
    fail(BadRequest(`Invalid JSON patch: ${first === undefined ? 'not a list of operations' : `${first.path || '/'} ${first.message}`}.`, { field: first?.path ?? 'body' }));
  }
  return req.body;
}

async function noContent(reply: FastifyReply): Promise<FastifyReply> {
  return reply.code(204).send();
}

export async function imageWriteRoutes(fastify: FastifyInstance): Promise<void> {
  // The patch media type is JSON; its own parser, so Fastify does not answer 415 before we do.
  fastify.addContentTypeParser(PATCH_MEDIA_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    try {
      done(null, text === '' ? undefined : (JSON.parse(text) as unknown));
    } catch {
      done(Object.assign(new Error('The request body is not valid JSON.'), { statusCode: 400 }), undefined);
    }
  });

  fastify.post('/v2/images', { schema: { tags, summary: 'Create an image (201; a JSON object of attributes, extra ones are string properties)', security } }, async (req, reply) => {
    const { id, fields } = createMessage(req.body);
    const image = await ask<ImageView>(req, IMAGE_KIND, id, 'create', fields);
    return reply.code(201).header('location', `${baseUrl(req)}/image/v2/images/${image.id}`).send(imageBody(image));
  });

  fastify.patch<{ Params: ImageParams }>(
    '/v2/images/:id',
    { schema: { tags, summary: 'Update an image by JSON patch (application/openstack-images-v2.1-json-patch)', params: ImageParams, security }, preParsing: patchMediaType },
    async (req) => {
      const id = imageIdOf(req.params.id);
      const patch = patchOf(req);
      return imageBody(await ask<ImageView>(req, IMAGE_KIND, id, 'update', { patch }));
    },
  );

  fastify.delete<{ Params: ImageParams }>('/v2/images/:id', { schema: { tags, summary: 'Delete an image (204; 403 when protected)', params: ImageParams, security } }, async (req, reply) => {
    await ask(req, IMAGE_KIND, imageIdOf(req.params.id), 'delete');
    return noContent(reply);
  });

  for (const action of ['deactivate', 'reactivate'] as const) {
    fastify.post<{ Params: ImageParams }>(`/v2/images/:id/actions/${action}`, { schema: { tags, summary: `${action === 'deactivate' ? 'Deactivate' : 'Reactivate'} an image (204)`, params: ImageParams, security } }, async (req, reply) => {
      await ask(req, IMAGE_KIND, imageIdOf(req.params.id), action);
      return noContent(reply);
    });
  }

  const checkTag = TypeCompiler.Compile(TagSchema);
  const tagRoute = (type: 'addTag' | 'removeTag') => async (req: FastifyRequest<{ Params: ImageTagParams }>, reply: FastifyReply) => {
    const id = imageIdOf(req.params.id);
    if (!checkTag.Check(req.params.tag)) fail(BadRequest('A tag is 1 to 255 characters.', { field: 'tag' }));
    await ask(req, IMAGE_KIND, id, type, { tag: req.params.tag });
    return noContent(reply);
  };
  fastify.put('/v2/images/:id/tags/:tag', { schema: { tags, summary: 'Add a tag to an image (204)', params: ImageTagParams, security } }, tagRoute('addTag'));
  fastify.delete('/v2/images/:id/tags/:tag', { schema: { tags, summary: 'Remove a tag from an image (204; 404 when it has no such tag)', params: ImageTagParams, security } }, tagRoute('removeTag'));
}
