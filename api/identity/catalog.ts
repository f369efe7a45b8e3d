// The service catalog: only the services this fabric runs (identity, compute, image), each with
// public, internal and admin endpoints in RegionOne at DevStack's paths on this one port. Ids are
// fixed (derived from the service type), so a catalog is the same across restarts.
import { createHash } from 'node:crypto';

export const REGION = 'RegionOne';

interface ServiceSpec {
  readonly type: string;
  readonly name: string;
  readonly path: string;
}

/** Services that exist; the volume, network and object services join when they are built. */
export const SERVICES: readonly ServiceSpec[] = [
  { type: 'identity', name: 'keystone', path: '/identity' },
  { type: 'compute', name: 'nova', path: '/compute/v2.1' },
  { type: 'image', name: 'glance', path: '/image' },
];

const INTERFACES = ['public', 'internal', 'admin'] as const;

function fixedId(what: string): string {
  return createHash('sha256').update(`cumulo:${what}`).digest('hex').slice(0, 32);
}

export interface EndpointView {
  readonly id: string;
  readonly interface: (typeof INTERFACES)[number];
  readonly region: string;
  readonly region_id: string;
  readonly url: string;
  readonly service_id: string;
  readonly enabled: boolean;
}

export interface ServiceView {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly description: string;
}

export function serviceViews(): ServiceView[] {
  return SERVICES.map((s) => ({ id: fixedId(`service:${s.type}`), type: s.type, name: s.name, enabled: true, description: `cumulo ${s.type} service` }));
}

export function endpointViews(base: string): EndpointView[] {
  return SERVICES.flatMap((s) =>
    INTERFACES.map((i) => ({
      id: fixedId(`endpoint:${s.type}:${i}`),
      interface: i,
      region: REGION,
      region_id: REGION,
      url: `${base}${s.path}`,
      service_id: fixedId(`service:${s.type}`),
      enabled: true,
    })),
  );
}

/** The `catalog` of a token body (Keystone v3). */
export function catalogOf(base: string): Record<string, unknown>[] {
  const endpoints = endpointViews(base);
  return serviceViews().map((s) => ({
    id: s.id,
    type: s.type,
    name: s.name,
    endpoints: endpoints.filter((e) => e.service_id === s.id).map((e) => ({ id: e.id, interface: e.interface, region: e.region, region_id: e.region_id, url: e.url })),
  }));
}
