// Nova's server body (api-ref compute "Show Server Details") from an instance actor's view, for
// the microversion asked: 2.3 adds the admin-only extended attributes, 2.9 `locked`, 2.16
// `host_status` (admins), 2.19 `description`, 2.26 `tags`. No networking service exists yet, so
// `addresses` is empty and no security groups are shown.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../actors/identity/index.js';
import type { InstanceView } from '../../actors/compute/index.js';
import { computeBase, isoMicros, isoSeconds, linksOf } from './links.js';
import { atLeast } from './microversion.js';

const digests = new Map<string, string>();
const DIGESTS_KEPT = 4096;

/**
 * Nova's hostId: an opaque per-project digest of the host, '' before placement. Remembered (a
 * listing of a project's servers names few hosts, and the digest was ~7% of a detail listing).
 */
function hostDigest(projectId: string, hostId: string | null): string {
  if (hostId === null) return '';
  const key = `${projectId}${hostId}`;
  let digest = digests.get(key);
  if (digest === undefined) {
    digest = createHash('sha224').update(key).digest('hex');
    if (digests.size >= DIGESTS_KEPT) digests.delete(digests.keys().next().value!);
    digests.set(key, digest);
  }
  return digest;
}

export function instanceName(id: string): string {
  return `instance-${id.replace(/-/g, '').slice(0, 8)}`;
}

export interface ServerContext {
  readonly caller: Caller;
  /** The zone a server shows when it asked for none (the zone of the compute hosts). */
  readonly defaultZone: string;
  /** host id → whether it is up (admins' host_status), when known. */
  readonly hostsUp?: ReadonlyMap<string, boolean>;
}

function hostStatus(s: InstanceView, ctx: ServerContext): string {
  if (s.hostId === null) return '';
  const up = ctx.hostsUp?.get(s.hostId);
  return up === undefined ? 'UNKNOWN' : up ? 'UP' : 'DOWN';
}

interface Built {
  readonly variant: string;
  readonly body: Record<string, unknown>;
}

/**
 * The last body built from each view object: a detail listing's views come from the servers
 * index, which hands out the same settled view until the server changes, so repeated listings
 * reuse its body. Keyed by the view object, so a changed server (a new view) builds anew.
 */
const built = new WeakMap<InstanceView, Built>();

export function serverBody(req: FastifyRequest, s: InstanceView, ctx: ServerContext): Record<string, unknown> {
  const v = req.microversion;
  const admin = ctx.caller.roles.includes('admin');
  const base = computeBase(req);
  // An admin's host_status (2.16) follows the hosts' heartbeats, not the view: never reused.
  const reusable = !(admin && atLeast(v, '2.16'));
  const variant = `${base}|${v}|${admin}|${ctx.defaultZone}`;
  if (reusable) {
    const last = built.get(s);
    if (last !== undefined && last.variant === variant) return last.body;
  }
  const body = buildBody(req, s, ctx, v, admin, base);
  if (reusable) built.set(s, { variant, body });
  return body;
}

function buildBody(req: FastifyRequest, s: InstanceView, ctx: ServerContext, v: number, admin: boolean, base: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    status: s.status,
    tenant_id: s.projectId,
    user_id: s.userId,
    metadata: s.metadata,
    hostId: hostDigest(s.projectId, s.hostId),
    image: s.imageId === null ? '' : { id: s.imageId, links: [{ rel: 'bookmark', href: `${base}/images/${s.imageId}` }] },
    flavor: { id: s.flavor.id, links: [{ rel: 'bookmark', href: `${base}/flavors/${s.flavor.id}` }] },
    created: isoSeconds(s.createdAt),
    updated: isoSeconds(s.updatedAt),
    addresses: {},
    accessIPv4: '',
    accessIPv6: '',
    links: linksOf(req, 'servers', s.id),
    'OS-DCF:diskConfig': 'MANUAL',
    progress: s.status === 'ACTIVE' ? 100 : 0,
    key_name: s.keyName,
    config_drive: '',
    'OS-EXT-AZ:availability_zone': s.zone ?? ctx.defaultZone,
    'OS-EXT-STS:vm_state': s.vmState,
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:power_state': s.powerState,
    'OS-SRV-USG:launched_at': s.launchedAt === null ? null : isoMicros(s.launchedAt),
    'OS-SRV-USG:terminated_at': s.terminatedAt === null ? null : isoMicros(s.terminatedAt),
    'os-extended-volumes:volumes_attached': [],
  };
  if (admin) {
    body['OS-EXT-SRV-ATTR:host'] = s.hostId;
    body['OS-EXT-SRV-ATTR:instance_name'] = instanceName(s.id);
    body['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.hostId;
    if (atLeast(v, '2.3')) {
      body['OS-EXT-SRV-ATTR:reservation_id'] = `r-${s.id.slice(0, 8)}`;
      body['OS-EXT-SRV-ATTR:launch_index'] = 0;
      body['OS-EXT-SRV-ATTR:hostname'] = s.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'server';
      body['OS-EXT-SRV-ATTR:kernel_id'] = '';
      body['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      body['OS-EXT-SRV-ATTR:root_device_name'] = '/dev/vda';
      body['OS-EXT-SRV-ATTR:user_data'] = null;
    }
  }
  if (atLeast(v, '2.9')) body.locked = false;
  if (atLeast(v, '2.16') && admin) body.host_status = hostStatus(s, ctx);
  if (atLeast(v, '2.19')) body.description = null;
  if (atLeast(v, '2.26')) body.tags = [];
  if (s.status === 'ERROR' && s.fault !== null) {
    body.fault = {
      code: s.fault.code,
      created: isoSeconds(s.fault.created),
      message: s.fault.message,
      ...(admin && s.fault.details !== undefined ? { details: s.fault.details } : {}),
    };
  }
  return body;
}
