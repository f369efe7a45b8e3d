// Glance v2's image data (api-ref image v2 "Image data": upload and download), streamed through
// the process's ImageService: an upload's request stream goes to the service untouched (never
// buffered: the plugin's octet-stream parser hands the raw stream on), a download is the blob's
// file stream, whole (200 with Content-MD5) or one byte range (206 with Content-Range).
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authOf } from '../auth.js';
import { fail, must, UnsupportedMediaType } from '../errors.js';
import { parseRangeHeader, type ImageService } from './contract.js';
import { ImageDataUnavailable } from './errors.js';
import { ImageParams, imageIdOf, mediaTypeOf, showImage } from './images.js';

const tags = ['image'];
const security = [{ token: [] }];
const OCTETS = 'application/octet-stream';

export interface ImageDataOptions {
  readonly images?: ImageService | undefined;
}

/** The image service, or 501 once the image is known to exist for the caller (404 first, as for any route). */
async function serviceFor(req: FastifyRequest, id: string, images: ImageService | undefined): Promise<ImageService> {
  if (images !== undefined) return images;
  await showImage(req, id);
  return fail(ImageDataUnavailable('This API runs without the image data service; image data cannot move through it.', { id }));
}

export async function imageDataRoutes(fastify: FastifyInstance, options: ImageDataOptions): Promise<void> {
  // In this plugin's scope only: the body stays the request stream for the upload route to read.
  fastify.addContentTypeParser(OCTETS, (_req, payload, done) => done(null, payload));

  fastify.put<{ Params: ImageParams }>(
    '/v2/images/:id/file',
    {
      schema: { tags, summary: 'Upload image data (204; application/octet-stream, streamed)', params: ImageParams, security },
      // Before any parser reads the body: a large body of another type is a 415, not a 413.
      preParsing: async (req) => {
        const type = mediaTypeOf(req);
        if (type !== OCTETS) fail(UnsupportedMediaType(`Unsupported Content-Type ${type.slice(0, 100) || '(none)'}: image data is uploaded as ${OCTETS}.`, { field: 'content-type' }));
      },
    },
    async (req, reply) => {
      const id = imageIdOf(req.params.id);
      const images = await serviceFor(req, id, options.images);
      // No body at all (Content-Length: 0) is an empty upload.
      const body = req.body instanceof Readable ? req.body : Readable.from([]);
      const uploaded = await images.upload({ caller: authOf(req).caller, imageId: id, body });
      if (!uploaded.ok) {
        // Refused before the body ended: the rest is read and dropped and the connection closes
        // after the answer, so the client gets to read it and no paused socket lingers.
        if (!req.raw.complete) {
          reply.header('connection', 'close');
          req.raw.resume();
        }
        fail(uploaded.error);
      }
      return reply.code(204).send();
    },
  );

  fastify.get<{ Params: ImageParams }>(
    '/v2/images/:id/file',
    { schema: { tags, summary: 'Download image data (200, 206 for a Range, 204 when the image has no data)', params: ImageParams, security } },
    async (req, reply) => {
      const id = imageIdOf(req.params.id);
      const header = req.headers.range;
      const range = header === undefined ? undefined : parseRangeHeader(header);
      if (range !== undefined && 'code' in range) fail(range);
      const images = await serviceFor(req, id, options.images);
      const got = must(await images.download({ caller: authOf(req).caller, imageId: id, ...(range === undefined ? {} : { range }) }));
      if (got.body === null) return reply.code(204).send();
      reply.header('content-type', OCTETS).header('content-length', String(got.end - got.start + 1));
      // Content-MD5 is the digest of the whole image: only a whole answer carries it.
      if (got.partial) reply.code(206).header('content-range', `bytes ${got.start}-${got.end}/${got.size}`);
      else if (got.image.checksum !== null) reply.header('content-md5', got.image.checksum);
      return reply.send(got.body);
    },
  );
}
