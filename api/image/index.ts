// Glance v2 at /image: the version documents (GET /image → 300, GET /image/versions → 200, as
// keystoneauth probes them) and, behind the token check, images (read, write, data) and schemas.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ImageService } from '../../actors/image/index.js';
import { requireToken } from '../auth.js';
import { baseUrl } from '../links.js';
import { imageDataRoutes } from './image-data.js';
import { imageSchemaRoutes } from './image-schemas.js';
import { imageWriteRoutes } from './image-writes.js';
import { imageRoutes } from './images.js';

/** Only v2.0 is advertised: its shapes are what the routes answer (no import, stores or caching of later versions). */
function versionsOf(req: FastifyRequest): Record<string, unknown>[] {
  return [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(req)}/image/v2/` }] }];
}

export interface ImageApiOptions {
  /** The in-process image service that streams image data (see ApiOptions.images). */
  readonly images?: ImageService | undefined;
}

export async function imageApi(fastify: FastifyInstance, options: ImageApiOptions): Promise<void> {
  const schema = { tags: ['image'] };
  fastify.get('/', { schema: { ...schema, summary: 'Image API versions (300 Multiple Choices)' } }, async (req, reply) => reply.code(300).send({ versions: versionsOf(req) }));
  fastify.get('/versions', { schema: { ...schema, summary: 'Image API versions' } }, async (req) => ({ versions: versionsOf(req) }));
  await fastify.register(async (authed) => {
    authed.addHook('onRequest', requireToken);
    await authed.register(imageRoutes);
    await authed.register(imageWriteRoutes);
    await authed.register(imageDataRoutes, { images: options.images });
    await authed.register(imageSchemaRoutes);
  });
}
