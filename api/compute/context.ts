// What several compute routes need besides their own actor: the caller's project (a server
// belongs to the project its token is scoped to), the zone servers show, host states for admins,
// and Nova's 404 wording for ids that cannot name anything.
import type { FastifyRequest } from 'fastify';
import { DEFAULT_SCHEDULER, SCHEDULER_KIND, type HostsView, type ZonesView } from '../../actors/scheduler/index.js';
import { BadRequest, NotFound, type ErrorValue } from '../../transports/errors.js';
import { authOf, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { isPlainId } from '../gateway.js';
import { atLeast } from './microversion.js';
import type { ServerContext } from './server-view.js';

/** The project of a project-scoped token (Nova has no use for others). */
export function projectOf(req: FastifyRequest): string {
  const { caller } = authOf(req);
  if (caller.projectId === null) fail(BadRequest('this request needs a project-scoped token'));
  return caller.projectId;
}

export function isAdminRequest(req: FastifyRequest): boolean {
  return authOf(req).caller.roles.includes('admin');
}

/** An id from the path, or Nova's 404 when it cannot be the id of anything. */
export function idOrNotFound(id: string, what: string): string {
  if (!isPlainId(id)) fail(NotFound(`${what} ${id.slice(0, 255)} could not be found.`));
  return id;
}

/** Rewrites a refusal's message to Nova's wording when it says "not found". */
export function notFoundAs(e: ErrorValue, message: string): ErrorValue {
  return e.status === 404 ? { ...e, message } : e;
}

export async function zonesOf(req: FastifyRequest): Promise<ZonesView['zones']> {
  const zones = await tryAsk<ZonesView>(req, SCHEDULER_KIND, DEFAULT_SCHEDULER, 'zones');
  return zones.ok ? zones.value.zones : [];
}

/** The server context of a request: the hosts' zone when there is one, host states for admins. */
export async function serverContext(req: FastifyRequest): Promise<ServerContext> {
  const { caller } = authOf(req);
  const zones = await zonesOf(req);
  const defaultZone = zones.length === 1 ? zones[0]!.name : 'nova';
  if (!caller.roles.includes('admin') || !atLeast(req.microversion, '2.16')) return { caller, defaultZone };
  const hosts = await tryAsk<HostsView>(req, SCHEDULER_KIND, DEFAULT_SCHEDULER, 'hosts');
  const hostsUp = new Map(hosts.ok ? hosts.value.hosts.map((h) => [h.hostId, h.up] as const) : []);
  return { caller, defaultZone, hostsUp };
}

/** Nova's truthy query strings (all_tenants=1, True, yes). */
export function truthy(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'True', 'TRUE', 'yes', 'y', 'on', ''].includes(value);
}
