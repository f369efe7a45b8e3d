// The HTTP face of the fabric on one loopback port, with DevStack's path layout: Keystone v3 at
// /identity, Nova v2.1 at /compute/v2.1, Glance's read side at /image; plus /healthz, /metrics
// (prom-client), /openapi.json and Swagger UI at /docs. Each service is a Fastify plugin that
// talks to the actors only through the gateway (the fabric's request/reply, with the caller's
// token); no route keeps state of its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
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
  /** The application, built (at once, or by the first request when lazy). */
  fastify(): Promise<FastifyInstance>;
  /** Whether the routes are built (false for a lazy API nobody has asked yet). */
  built(): boolean;
  close(): Promise<void>;
}

export interface StartApiOptions extends ApiOptions {
  /**
   * Build the routes on the first request instead of at start (the port listens at once either
   * way; requests that arrive while the routes are built wait for them). An embedded cloud that
   * no HTTP client talks to then never pays for the build.
   */
  readonly lazy?: boolean;
}

/** The Fastify application, not listening: tests drive it with inject(). */
export async function buildApi(options: BuildOptions, serverFactory?: FastifyServerFactory): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'api' });
  const fastify = Fastify({
    ...(serverFactory === undefined ? {} : { serverFactory }),
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

/**
 * The API listening on a loopback port. The port is bound before the routes are built, so its
 * URL is known at once; the application's own request handler takes over once they are.
 */
export async function startApi(options: StartApiOptions): Promise<ApiServer> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let built: FastifyInstance | undefined;
  let building: Promise<FastifyInstance> | undefined;
  const server = createServer();
  // Fastify's defaults for the servers it makes itself (a factory's server is left as given).
  server.keepAliveTimeout = 72_000;
  const build = (): Promise<FastifyInstance> =>
    (building ??= buildApi(options, (handler) => {
      handle = handler;
      return server;
    }).then((app) => (built = app)));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (built !== undefined) return handle!(req, res);
    build().then(
      () => handle!(req, res),
      (e: unknown) => {
        options.logger.error({ err: e }, 'the HTTP API could not be built');
        res.statusCode = 500;
        res.end();
      },
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const close = async (): Promise<void> => {
    // Fastify does not close a server a factory gave it unless it listened itself.
    await building?.then((app) => app.close()).catch(() => undefined);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  };
  if (options.lazy !== true) {
    try {
      await build();
    } catch (e) {
      await close();
      throw e;
    }
  }
  return { url: `http://${host}:${port}`, fastify: build, built: () => built !== undefined, close };
}
