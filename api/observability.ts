// What every response carries and what every request leaves behind: an `x-openstack-request-id`
// (`req-<uuid>`, also the pino log's reqId), request logs through the fabric's pino logger, and
// prom-client metrics per route pattern, method and status on the fabric's registry (/metrics).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

function histogram(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  const name = 'cumulo_http_request_duration_seconds';
  const known = registry.getSingleMetric(name);
  if (known !== undefined) return known as Histogram<'method' | 'route' | 'status'>;
  return new Histogram({
    name,
    help: 'HTTP API request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}

function counter(registry: Registry): Counter<'method' | 'route' | 'status'> {
  const name = 'cumulo_http_requests_total';
  const known = registry.getSingleMetric(name);
  if (known !== undefined) return known as Counter<'method' | 'route' | 'status'>;
  return new Counter({ name, help: 'HTTP API requests by route pattern, method and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
}

/** Request ids on every response, and the request metrics. */
export function observe(fastify: FastifyInstance, registry: Registry): void {
  const durations = histogram(registry);
  const requests = counter(registry);
  fastify.addHook('onRequest', async (req, reply) => {
    void reply.header('x-openstack-request-id', req.id);
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    durations.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });
}
