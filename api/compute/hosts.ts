// Nova v2.1 availability zones, compute services and hypervisors (api-ref compute
// "Availability zones", "Compute services (os-services)", "Hypervisors (os-hypervisors)"), from
// the scheduler's summary (`scheduler/default` zones and hosts) and each host's own `describe`.
// Before 2.53 services and hypervisors have integer ids: their position in the hosts' natural
// order (host-1, host-2, …, host-10), which only grows as hosts register.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_SCHEDULER, SCHEDULER_KIND, type HostSummary, type HostsView } from '../../actors/scheduler/index.js';
import { HOST_KIND, type HostView } from '../../hosts/compute/index.js';
import { NotFound } from '../../transports/errors.js';
import { ask } from '../auth.js';
import { fail, must } from '../errors.js';
import { paginate, type Collection } from '../paging.js';
import { zonesOf } from './context.js';
import { isoMicros, nextLinks } from './links.js';
import { atLeast } from './microversion.js';
import { HypervisorQuery, IdParams, ServiceBody, ServiceParams, ServiceQuery } from './schemas.js';

const tags = ['compute'];
const security = [{ token: [] }];

interface Numbered extends HostSummary {
  readonly number: number;
}

async function numberedHosts(req: FastifyRequest): Promise<Numbered[]> {
  const { hosts } = await ask<HostsView>(req, SCHEDULER_KIND, DEFAULT_SCHEDULER, 'hosts');
  return [...hosts].sort((a, b) => a.hostId.localeCompare(b.hostId, 'en', { numeric: true })).map((h, i) => ({ ...h, number: i + 1 }));
}

const numbered: Collection<Numbered> = { id: (h) => String(h.number), keys: { id: (h) => h.number, host: (h) => h.hostId }, defaultSort: [['id', 'asc']] };

async function describeAll(req: FastifyRequest, hosts: readonly Numbered[]): Promise<Map<string, HostView>> {
  const seen = await Promise.all(hosts.map(async (h) => [h.hostId, must(await req.server.actors.ask<HostView>(HOST_KIND, h.hostId, 'describe', {}, req.auth?.token ?? null))] as const));
  return new Map(seen);
}

function serviceBody(req: FastifyRequest, h: Numbered, view: HostView | undefined): Record<string, unknown> {
  return {
    id: h.number,
    binary: 'nova-compute',
    host: h.hostId,
    zone: h.zone,
    status: h.enabled ? 'enabled' : 'disabled',
    state: h.up ? 'up' : 'down',
    updated_at: isoMicros(h.heartbeatAt),
    disabled_reason: h.enabled ? null : (view?.disabledReason ?? null),
    ...(atLeast(req.microversion, '2.11') ? { forced_down: false } : {}),
  };
}

function hypervisorBody(req: FastifyRequest, h: Numbered, view: HostView | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { id: h.number, hypervisor_hostname: h.hostId, state: h.up ? 'up' : 'down', status: h.enabled ? 'enabled' : 'disabled' };
  if (view === undefined) return body;
  const inv = view.inventory;
  const vcpus = inv?.vcpus ?? 0;
  const ram = inv?.ramMb ?? 0;
  const disk = inv?.diskGb ?? 0;
  const used = view.used;
  return {
    ...body,
    vcpus,
    memory_mb: ram,
    local_gb: disk,
    vcpus_used: used.vcpus,
    memory_mb_used: used.ramMb,
    local_gb_used: used.diskGb,
    free_ram_mb: ram - used.ramMb,
    free_disk_gb: disk - used.diskGb,
    disk_available_least: disk - used.diskGb,
    hypervisor_type: 'fake',
    hypervisor_version: 1000,
    current_workload: 0,
    running_vms: Object.keys(view.domains).length,
    host_ip: '127.0.0.1',
    service: { id: h.number, host: h.hostId, disabled_reason: view.disabledReason },
    cpu_info: atLeast(req.microversion, '2.28') ? {} : '{}',
  };
}

async function hypervisorNumbered(req: FastifyRequest<{ Params: IdParams }>): Promise<Numbered> {
  const wanted = req.params.id;
  const found = /^[0-9]{1,9}$/.test(wanted) ? (await numberedHosts(req)).find((h) => h.number === Number(wanted)) : undefined;
  if (found === undefined) fail(NotFound(`Hypervisor with ID ${wanted.slice(0, 64)} could not be found.`));
  return found;
}

export async function hostRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get('/os-availability-zone', { schema: { tags, summary: 'Availability zones', security } }, async (req) => {
    const zones = await zonesOf(req);
    return { availabilityZoneInfo: zones.map((z) => ({ zoneName: z.name, zoneState: { available: z.available }, hosts: null })) };
  });
  fastify.get('/os-availability-zone/detail', { schema: { tags, summary: 'Availability zones with their hosts (admin)', security } }, async (req) => {
    const hosts = await numberedHosts(req);
    const zones = await zonesOf(req);
    return {
      availabilityZoneInfo: zones.map((z) => ({
        zoneName: z.name,
        zoneState: { available: z.available },
        hosts: Object.fromEntries(
          hosts.filter((h) => h.zone === z.name).map((h) => [h.hostId, { 'nova-compute': { available: h.up, active: h.enabled, updated_at: isoMicros(h.heartbeatAt) } }]),
        ),
      })),
    };
  });

  fastify.get<{ Querystring: ServiceQuery }>('/os-services', { schema: { tags, summary: 'Compute services (admin)', querystring: ServiceQuery, security } }, async (req) => {
    const q = req.query;
    const hosts = (await numberedHosts(req)).filter((h) => (q.host === undefined || h.hostId === q.host) && (q.binary === undefined || q.binary === 'nova-compute'));
    const page = paginate(hosts, q, numbered);
    const disabled = await describeAll(req, page.items.filter((h) => !h.enabled));
    return { services: page.items.map((h) => serviceBody(req, h, disabled.get(h.hostId))) };
  });
  fastify.put<{ Params: ServiceParams; Body: ServiceBody }>(
    '/os-services/:action',
    { schema: { tags, summary: 'Enable or disable a compute service (admin)', params: ServiceParams, body: ServiceBody, security } },
    async (req) => {
      const { host, binary, disabled_reason } = req.body;
      const hosts = await numberedHosts(req);
      if (binary !== 'nova-compute' || !hosts.some((h) => h.hostId === host)) fail(NotFound(`Service ${binary.slice(0, 64)} on host ${host.slice(0, 64)} could not be found.`));
      const action = req.params.action;
      const reason = action === 'disable-log-reason' ? disabled_reason : undefined;
      await ask(req, HOST_KIND, host, action === 'enable' ? 'enable' : 'disable', reason === undefined ? {} : { reason });
      return { service: { host, binary, status: action === 'enable' ? 'enabled' : 'disabled', ...(reason === undefined ? {} : { disabled_reason: reason }) } };
    },
  );

  fastify.get<{ Querystring: HypervisorQuery }>('/os-hypervisors', { schema: { tags, summary: 'Hypervisors (admin)', querystring: HypervisorQuery, security } }, async (req) => {
    const page = paginate(await numberedHosts(req), req.query, numbered);
    return { hypervisors: page.items.map((h) => hypervisorBody(req, h, undefined)), ...nextLinks(req, 'os-hypervisors', page.next) };
  });
  fastify.get<{ Querystring: HypervisorQuery }>('/os-hypervisors/detail', { schema: { tags, summary: 'Hypervisors with details (admin)', querystring: HypervisorQuery, security } }, async (req) => {
    const page = paginate(await numberedHosts(req), req.query, numbered);
    const views = await describeAll(req, page.items);
    return { hypervisors: page.items.map((h) => hypervisorBody(req, h, views.get(h.hostId))), ...nextLinks(req, 'os-hypervisors/detail', page.next) };
  });
  fastify.get('/os-hypervisors/statistics', { schema: { tags, summary: 'Hypervisor totals (admin)', security } }, async (req) => {
    const hosts = await numberedHosts(req);
    const views = [...(await describeAll(req, hosts)).values()];
    const sum = (f: (v: HostView) => number) => views.reduce((n, v) => n + f(v), 0);
    const ram = sum((v) => v.inventory?.ramMb ?? 0);
    const disk = sum((v) => v.inventory?.diskGb ?? 0);
    return {
      hypervisor_statistics: {
        count: views.length,
        vcpus: sum((v) => v.inventory?.vcpus ?? 0),
        vcpus_used: sum((v) => v.used.vcpus),
        memory_mb: ram,
        memory_mb_used: sum((v) => v.used.ramMb),
        free_ram_mb: ram - sum((v) => v.used.ramMb),
        local_gb: disk,
        local_gb_used: sum((v) => v.used.diskGb),
        free_disk_gb: disk - sum((v) => v.used.diskGb),
        disk_available_least: disk - sum((v) => v.used.diskGb),
        current_workload: 0,
        running_vms: sum((v) => Object.keys(v.domains).length),
      },
    };
  });
  fastify.get<{ Params: IdParams }>('/os-hypervisors/:id', { schema: { tags, summary: 'Show a hypervisor (admin)', params: IdParams, security } }, async (req) => {
    const h = await hypervisorNumbered(req);
    const views = await describeAll(req, [h]);
    return { hypervisor: hypervisorBody(req, h, views.get(h.hostId)) };
  });
}
