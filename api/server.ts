// The HTTP face of the fabric on one loopback port. Today: health and Prometheus metrics; the
// OpenStack services (Keystone, Nova, …) arrive as Fastify plugins on the same server.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface ApiOptions {
  readonly port: number;
  readonly host?: string;
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Whether the fabric accepts work (false while starting or draining). */
  readonly ready: () => boolean;
}

export interface ApiServer {
  readonly url: string;
  readonly fastify: FastifyInstance;
  close(): Promise<void>;
}

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const loggerInstance: FastifyBaseLogger = options.logger.child({ component: 'api' });
  const fastify = Fastify({ loggerInstance });
  fastify.get('/healthz', async (_req, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable' });
  });
  fastify.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', options.metrics.contentType).send(await options.metrics.metrics());
  });
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
