// Nova v2.1 quotas and limits (api-ref compute "Quota sets (os-quota-sets)", "Limits"): the
// enforced ones (instances, cores, ram) come from `quota/<projectId>`; the others are Nova's
// defaults, shown as fixed limits. Before 2.36 the nova-network quotas are shown too, at -1/10/20
// as Nova shows them with Neutron.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SERVER_GROUP_INDEX_KIND, type ServerGroupList } from '../../actors/compute/index.js';
import { DEFAULT_LIMITS, QUOTA_KIND, type QuotaView } from '../../actors/quota/index.js';
import { BadRequest } from '../../transports/errors.js';
import { ask, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { isPlainId } from '../gateway.js';
import { projectOf } from './context.js';
import { atLeast } from './microversion.js';
import { LimitsQuery, ProjectParams, QuotaQuery, QuotaUpdate } from './schemas.js';

const tags = ['compute'];
const security = [{ token: [] }];

/** Nova's quota_set name → the quota actor's resource. */
const ENFORCED = { instances: 'instances', cores: 'cores', ram: 'ramMb' } as const;
type Enforced = keyof typeof ENFORCED;

const FIXED: Readonly<Record<string, number>> = {
  key_pairs: 100,
  metadata_items: 128,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  server_groups: 10,
  server_group_members: 10,
};
/** Removed from the quota set at 2.36 (nova-network's). */
const NETWORK_2_36: Readonly<Record<string, number>> = { fixed_ips: -1, floating_ips: -1, security_groups: -1, security_group_rules: -1 };

function projectParam(project: string): string {
  if (!isPlainId(project)) fail(BadRequest(`Invalid project id ${project.slice(0, 64)}`, { field: 'project_id' }));
  return project;
}

function limitsOf(req: FastifyRequest, limits: Readonly<Record<string, number>>): Record<string, number> {
  const set: Record<string, number> = {};
  for (const [name, resource] of Object.entries(ENFORCED)) set[name] = limits[resource] ?? DEFAULT_LIMITS[resource] ?? -1;
  Object.assign(set, FIXED);
  if (!atLeast(req.microversion, '2.36')) Object.assign(set, NETWORK_2_36);
  return set;
}

function quotaSet(req: FastifyRequest, q: QuotaView, detail: boolean): Record<string, unknown> {
  const limits = limitsOf(req, q.limits);
  if (!detail) return { id: q.projectId, ...limits };
  const body: Record<string, unknown> = { id: q.projectId };
  for (const [name, limit] of Object.entries(limits)) {
    const resource = (ENFORCED as Record<string, string>)[name];
    body[name] = { limit, in_use: resource === undefined ? 0 : (q.inUse[resource] ?? 0), reserved: resource === undefined ? 0 : (q.reserved[resource] ?? 0) };
  }
  return body;
}

export async function quotaRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Params: ProjectParams; Querystring: QuotaQuery }>(
    '/os-quota-sets/:project',
    { schema: { tags, summary: "A project's quotas", params: ProjectParams, querystring: QuotaQuery, security } },
    async (req) => ({ quota_set: quotaSet(req, await ask<QuotaView>(req, QUOTA_KIND, projectParam(req.params.project), 'show'), false) }),
  );
  fastify.get<{ Params: ProjectParams; Querystring: QuotaQuery }>(
    '/os-quota-sets/:project/detail',
    { schema: { tags, summary: "A project's quotas with usage", params: ProjectParams, querystring: QuotaQuery, security } },
    async (req) => ({ quota_set: quotaSet(req, await ask<QuotaView>(req, QUOTA_KIND, projectParam(req.params.project), 'show'), true) }),
  );
  fastify.get<{ Params: ProjectParams }>('/os-quota-sets/:project/defaults', { schema: { tags, summary: 'Default quotas', params: ProjectParams, security } }, async (req) => {
    return { quota_set: { id: projectParam(req.params.project), ...limitsOf(req, DEFAULT_LIMITS) } };
  });
  fastify.put<{ Params: ProjectParams; Body: QuotaUpdate }>(
    '/os-quota-sets/:project',
    { schema: { tags, summary: 'Set quotas (admin)', params: ProjectParams, body: QuotaUpdate, security } },
    async (req) => {
      const { force, ...asked } = req.body.quota_set;
      const limits: Record<string, number> = {};
      for (const [name, value] of Object.entries(asked) as [Enforced, number][]) limits[ENFORCED[name]] = value;
      const forced = force === true || force === 'true' || force === 'True';
      const set = await ask<QuotaView>(req, QUOTA_KIND, projectParam(req.params.project), 'setLimits', { limits, ...(forced ? { force: true } : {}) });
      const { id: _id, ...body } = quotaSet(req, set, false);
      return { quota_set: body };
    },
  );
  fastify.delete<{ Params: ProjectParams }>('/os-quota-sets/:project', { schema: { tags, summary: 'Back to the default quotas (admin)', params: ProjectParams, security } }, async (req, reply) => {
    await ask(req, QUOTA_KIND, projectParam(req.params.project), 'setLimits', { limits: { instances: null, cores: null, ramMb: null }, force: true });
    return reply.code(202).send();
  });

  fastify.get<{ Querystring: LimitsQuery }>('/limits', { schema: { tags, summary: 'Absolute limits and usage of the project', querystring: LimitsQuery, security } }, async (req) => {
    const project = req.query.tenant_id === undefined ? projectOf(req) : projectParam(req.query.tenant_id);
    const q = await ask<QuotaView>(req, QUOTA_KIND, project, 'show');
    const groups = await tryAsk<ServerGroupList>(req, SERVER_GROUP_INDEX_KIND, project, 'list');
    const used = (r: string) => (q.inUse[r] ?? 0) + (q.reserved[r] ?? 0);
    const limits = limitsOf(req, q.limits);
    const absolute: Record<string, number> = {
      maxTotalInstances: limits.instances!,
      maxTotalCores: limits.cores!,
      maxTotalRAMSize: limits.ram!,
      maxServerMeta: FIXED.metadata_items!,
      maxPersonality: FIXED.injected_files!,
      maxPersonalitySize: FIXED.injected_file_content_bytes!,
      maxTotalKeypairs: FIXED.key_pairs!,
      maxServerGroups: FIXED.server_groups!,
      maxServerGroupMembers: FIXED.server_group_members!,
      totalInstancesUsed: used('instances'),
      totalCoresUsed: used('cores'),
      totalRAMUsed: used('ramMb'),
      totalServerGroupsUsed: groups.ok ? groups.value.serverGroups.length : 0,
      maxImageMeta: 128,
    };
    if (!atLeast(req.microversion, '2.36')) {
      Object.assign(absolute, { maxSecurityGroups: -1, maxSecurityGroupRules: -1, maxTotalFloatingIps: -1, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 });
    }
    return { limits: { rate: [], absolute } };
  });
}
