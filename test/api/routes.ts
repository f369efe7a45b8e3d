// Every route of the API, read from its OpenAPI document (so a route missing from /openapi.json
// is missing from these tests too), with the style of fault body its service answers in.
import type { FastifyInstance } from 'fastify';

export interface RouteInfo {
  readonly method: string;
  /** OpenAPI form: /compute/v2.1/servers/{id}. */
  readonly path: string;
  readonly params: readonly string[];
  readonly hasBody: boolean;
  readonly style: 'nova' | 'keystone' | 'glance' | 'plain';
}

interface OpenApiOperation {
  readonly requestBody?: unknown;
}

export async function routesOf(app: FastifyInstance): Promise<RouteInfo[]> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  const doc = JSON.parse(res.body) as { paths: Record<string, Record<string, OpenApiOperation>> };
  const routes: RouteInfo[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
      const style = path.startsWith('/identity') ? 'keystone' : path.startsWith('/compute') ? 'nova' : path.startsWith('/image') ? 'glance' : 'plain';
      routes.push({ method: method.toUpperCase(), path, params, hasBody: op.requestBody !== undefined, style });
    }
  }
  return routes;
}

export function fill(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? 'x'));
}

/** The numeric status inside a fault body of the route's service, or undefined if the shape is wrong. */
export function faultStatus(style: RouteInfo['style'], body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  switch (style) {
    case 'nova': {
      const keys = Object.keys(b);
      const inner = keys.length === 1 ? (b[keys[0]!] as Record<string, unknown> | undefined) : undefined;
      return typeof inner?.code === 'number' && typeof inner.message === 'string' ? inner.code : undefined;
    }
    case 'keystone': {
      const e = b.error as Record<string, unknown> | undefined;
      return typeof e?.code === 'number' && typeof e.message === 'string' && typeof e.title === 'string' ? e.code : undefined;
    }
    case 'glance':
      return typeof b.code === 'string' && typeof b.message === 'string' ? Number(b.code.split(' ')[0]) : undefined;
    case 'plain': {
      const e = b.error as Record<string, unknown> | undefined;
      return typeof e?.status === 'number' ? e.status : undefined;
    }
    default:
      return undefined;
  }
}
