// The HTTP face of the fabric on one loopback port, with DevStack's path layout: Keystone v3 at
// /identity, Nova v2.1 at /compute/v2.1, Glance's read side at /image; plus /healthz, /metrics
// (prom-client), /openapi.json and Swagger UI at /docs. Each service is a Fastify plugin that
// talks to the actors only through the gateway (the fabric's request/reply, with the caller's
// token); no route keeps state of its own.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ImageService } from '../actors/image/index.js';
import { computeApi } from './compute/index.js';
import { errorValueOf } from './errors.js';
import { faultBody, faultStyleOf } from './faults.js';
import type { ActorGateway } from './gateway.js';
import { identityApi } from './identity/index.js';
import { imageApi } from './image/index.js';
import { newRequestId, observe } from './observability.js';
import { registerOpenApi } from './openapi.js';
import { typeboxValidatorCompiler } from './validation.js';

export type { ActorGateway } from './gateway.js';
export { endpointGateway } from './gateway.js';

export interface ApiOptions {
  readonly port: number;
  readonly host?: string;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Whether the fabric accepts work (false while starting or draining). */
  readonly ready: () => boolean;
  /** How routes reach the actors (endpointGateway over the fabric node's endpoint). */
  readonly actors: ActorGateway;
  /**
   * Image bytes (Glance upload and download) stream through the process that holds the data dir,
   * not through actor messages; without it the image routes that move data answer 501.
   */
  readonly images?: ImageService;
}

export type BuildOptions = Omit<ApiOptions, 'port' | 'host'>;

export interface ApiServer {
  readonly url: string;
  readonly fastify: FastifyInstance;
  close(): Promise<void>;
}

/** The Fastify application, not listening: tests drive it with inject(). */
export async function buildApi(options: BuildOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'api' });
  const fastify = Fastify({
    loggerInstance,
    genReqId: newRequestId,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 },
    return503OnClosing: true,
  });
  fastify.decorate('actors', options.actors);
  fastify.decorateRequest('auth', null);
  fastify.setValidatorCompiler(typeboxValidatorCompiler);
  // Response schemas document the shapes (OpenAPI); bodies are written as the routes built them.
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // Clients send Content-Type: application/json on some requests without a body: that is no body.
  const json = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') {
      done(null, undefined);
      return;
    }
    void json(req, text, done);
  });
  observe(fastify, options.metrics);

  fastify.setErrorHandler(async (error, req, reply) => {
    const value = errorValueOf(error);
    if (value.status >= 500) req.log.error({ err: error, code: value.code }, 'request failed');
    return reply
      .code(value.status)
      .header('x-cumulo-error', value.code)
      .send(faultBody(faultStyleOf(req.url), value));
  });
  fastify.setNotFoundHandler(async (req, reply) => {
    const value = errorValueOf({ statusCode: 404, message: `${req.method} ${req.url.split('?')[0]!.slice(0, 200)} is not a resource of this API` });
    return reply.code(404).header('x-cumulo-error', value.code).send(faultBody(faultStyleOf(req.url), value));
  });
  fastify.addHook('onRequest', async (req) => {
    if (options.ready()) return;
    const path = req.url.split('?')[0];
    if (path === '/healthz' || path === '/metrics') return;
    throw Object.assign(new Error('the fabric is starting or stopping; try again'), { statusCode: 503, code: 'UNAVAILABLE' });
  });

  await registerOpenApi(fastify);
  fastify.get('/healthz', { schema: { tags: ['fabric'], summary: 'Whether the fabric accepts work' } }, async (_req, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable' });
  });
  fastify.get('/metrics', { schema: { tags: ['fabric'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    return reply.header('content-type', options.metrics.contentType).send(await options.metrics.metrics());
  });
  await fastify.register(identityApi, { prefix: '/identity' });
  await fastify.register(computeApi, { prefix: '/compute' });
  await fastify.register(imageApi, { prefix: '/image', images: options.images });
  await fastify.ready();
  return fastify;
}

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const fastify = await buildApi(options);
  const host = options.host ?? '127.0.0.1';
  await fastify.listen({ port: options.port, host });
  const address = fastify.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    fastify,
    close: () => fastify.close(),
  };
}
