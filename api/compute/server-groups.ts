// Nova v2.1 server groups (api-ref compute "Server groups (os-server-groups)"), before 2.64: one
// policy given as `policies: [p]`, soft policies from 2.15, project_id and user_id from 2.13.
// Messages to `server-group/<uuid>` and the project's `server-groups/<projectId>` index.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SERVER_GROUP_INDEX_KIND, SERVER_GROUP_KIND, type ServerGroupList, type ServerGroupSummary, type ServerGroupView } from '../../actors/compute/index.js';
import { IDENTITY_KIND, type ProjectView } from '../../actors/identity/index.js';
import { BadRequest } from '../../transports/errors.js';
import { ask, authOf, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { paginate, type Collection } from '../paging.js';
import { idOrNotFound, isAdminRequest, notFoundAs, projectOf, truthy } from './context.js';
import { nextLinks } from './links.js';
import { atLeast } from './microversion.js';
import { IdParams, ServerGroupCreate, ServerGroupQuery } from './schemas.js';

const tags = ['compute'];
const security = [{ token: [] }];

interface Listed extends ServerGroupSummary {
  readonly projectId: string;
}

const groups: Collection<Listed> = { id: (g) => g.id, keys: { name: (g) => g.name, created_at: (g) => g.createdAt, id: (g) => g.id }, defaultSort: [['created_at', 'asc']] };

function groupBody(req: FastifyRequest, g: ServerGroupView): Record<string, unknown> {
  return {
    id: g.id,
    name: g.name,
    policies: [g.policy],
    members: g.members,
    metadata: {},
    ...(atLeast(req.microversion, '2.13') ? { project_id: g.projectId, user_id: g.userId } : {}),
  };
}

async function showGroup(req: FastifyRequest, id: string): Promise<ServerGroupView> {
  const gid = idOrNotFound(id, 'Server group');
  const found = await tryAsk<ServerGroupView>(req, SERVER_GROUP_KIND, gid, 'get');
  if (!found.ok) fail(notFoundAs(found.error, `Server group ${gid} could not be found.`));
  return found.value;
}

export async function serverGroupRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: ServerGroupQuery }>('/os-server-groups', { schema: { tags, summary: 'List server groups', querystring: ServerGroupQuery, security } }, async (req) => {
    const q = req.query;
    let projects: readonly string[] = [projectOf(req)];
    if (truthy(q.all_projects) && isAdminRequest(req)) {
      projects = (await ask<readonly ProjectView[]>(req, IDENTITY_KIND, authOf(req).caller.domainId, 'listProjects')).map((p) => p.id);
    }
    const lists = await Promise.all(
      projects.map(async (projectId) => (await ask<ServerGroupList>(req, SERVER_GROUP_INDEX_KIND, projectId, 'list')).serverGroups.map((g) => ({ ...g, projectId }))),
    );
    // Nova pages server groups with limit and offset; marker works too.
    const all = lists.flat();
    const { limit: _limit, marker: _marker, ...order } = q;
    const sorted = paginate(all, order, groups).items;
    const page = paginate(sorted.slice(q.offset ?? 0), q, groups);
    const shown = await Promise.all(page.items.map((g) => tryAsk<ServerGroupView>(req, SERVER_GROUP_KIND, g.id, 'get')));
    const bodies = shown.flatMap((s) => {
      if (s.ok) return [groupBody(req, s.value)];
      if (s.error.status === 404) return [];
      return fail(s.error);
    });
    return { server_groups: bodies, ...nextLinks(req, 'os-server-groups', page.next) };
  });
  fastify.post<{ Body: ServerGroupCreate }>('/os-server-groups', { schema: { tags, summary: 'Create a server group', body: ServerGroupCreate, security } }, async (req) => {
    const { name, policies } = req.body.server_group;
    const policy = policies[0]!;
    if (policy.startsWith('soft-') && !atLeast(req.microversion, '2.15')) {
      fail(BadRequest(`Invalid input for field/attribute policies. Value: ${policy} needs microversion 2.15`, { field: 'policies' }));
    }
    projectOf(req);
    const created = await ask<ServerGroupView>(req, SERVER_GROUP_KIND, randomUUID(), 'create', { name, policy });
    return { server_group: groupBody(req, created) };
  });
  fastify.get<{ Params: IdParams }>('/os-server-groups/:id', { schema: { tags, summary: 'Show a server group', params: IdParams, security } }, async (req) => {
    return { server_group: groupBody(req, await showGroup(req, req.params.id)) };
  });
  fastify.delete<{ Params: IdParams }>('/os-server-groups/:id', { schema: { tags, summary: 'Delete a server group', params: IdParams, security } }, async (req, reply) => {
    const gid = (await showGroup(req, req.params.id)).id;
    await ask(req, SERVER_GROUP_KIND, gid, 'delete');
    return reply.code(204).send();
  });
}
