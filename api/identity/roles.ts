// Keystone v3 roles (the fabric's three fixed ones: admin, member, reader), role assignments on
// projects and on the domain (grant, check, revoke, list) and GET /v3/role_assignments; plus the
// read-only catalog resources (/v3/services, /v3/endpoints, /v3/regions). Assignments are
// messages to identity/<domain>; the catalog is the fabric's fixed one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AssignmentNotFound, IDENTITY_KIND, ROLES, type AssignmentView, type ProjectView, type Role, type UserView } from '../../actors/identity/index.js';
import { NotFound } from '../../transports/errors.js';
import { ask, authOf } from '../auth.js';
import { fail } from '../errors.js';
import { baseUrl } from '../links.js';
import { paginate, type Collection } from '../paging.js';
import { endpointViews, REGION, serviceViews } from './catalog.js';
import { AssignmentQuery, GrantParams, IdParams, ListQuery, TargetUserParams } from './schemas.js';
import { assignmentBody, DEFAULT_DOMAIN, isRole, roleBody } from './views.js';

const ID = /^[0-9a-f]{32}$/;
const security = [{ token: [] }];
const tags = ['identity'];

function roleOf(id: string): Role {
  if (!isRole(id)) fail(NotFound(`Could not find role: ${id.slice(0, 64)}.`));
  return id;
}

/** The assignment target of a path: a project id, or the domain itself. */
function targetOf(kind: 'projects' | 'domains', target: string): { readonly projectId: string } | { readonly domain: true } {
  if (kind === 'domains') {
    if (target !== DEFAULT_DOMAIN.id) fail(NotFound(`Could not find domain: ${target.slice(0, 64)}.`));
    return { domain: true };
  }
  if (!ID.test(target)) fail(NotFound(`Could not find project: ${target.slice(0, 64)}.`));
  return { projectId: target };
}

function projectTarget(id: string): string {
  if (!ID.test(id)) fail(NotFound(`Could not find project: ${id.slice(0, 64)}.`));
  return id;
}

function userIdOf(id: string): string {
  if (!ID.test(id)) fail(NotFound(`Could not find user: ${id.slice(0, 64)}.`));
  return id;
}

function domainOf(req: FastifyRequest): string {
  return authOf(req).caller.domainId;
}

async function assignmentsOf(req: FastifyRequest, userId: string, target: { readonly projectId: string } | { readonly domain: true }): Promise<readonly AssignmentView[]> {
  const all = await ask<readonly AssignmentView[]>(req, IDENTITY_KIND, domainOf(req), 'listAssignments', { userId });
  return all.filter((a) => ('domain' in target ? a.projectId === null : a.projectId === target.projectId));
}

const roles: Collection<Role> = { id: (r) => r, keys: { name: (r) => r, id: (r) => r }, defaultSort: [['name', 'asc']] };

export async function roleRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: ListQuery }>('/v3/roles', { schema: { tags, summary: 'List roles', querystring: ListQuery, security } }, async (req) => {
    const base = baseUrl(req);
    const named = ROLES.filter((r) => req.query.name === undefined || r === req.query.name);
    return { roles: paginate(named, req.query, roles).items.map((r) => roleBody(base, r)), links: { self: `${base}/identity/v3/roles`, previous: null, next: null } };
  });
  fastify.get<{ Params: IdParams }>('/v3/roles/:id', { schema: { tags, summary: 'Show a role', params: IdParams, security } }, async (req) => {
    return { role: roleBody(baseUrl(req), roleOf(req.params.id)) };
  });

  for (const kind of ['projects', 'domains'] as const) {
    const path = `/v3/${kind}/:target/users/:userId/roles`;
    fastify.get<{ Params: TargetUserParams }>(path, { schema: { tags, summary: `Roles of a user on a ${kind === 'projects' ? 'project' : 'domain'}`, params: TargetUserParams, security } }, async (req) => {
      const target = targetOf(kind, req.params.target);
      const held = await assignmentsOf(req, userIdOf(req.params.userId), target);
      const base = baseUrl(req);
      return { roles: held.map((a) => roleBody(base, a.role)), links: { self: `${base}/identity/v3/${kind}/${req.params.target}/users/${req.params.userId}/roles`, previous: null, next: null } };
    });
    fastify.put<{ Params: GrantParams }>(`${path}/:roleId`, { schema: { tags, summary: 'Grant a role (admin)', params: GrantParams, security } }, async (req, reply) => {
      const target = targetOf(kind, req.params.target);
      const userId = userIdOf(req.params.userId);
      const role = roleOf(req.params.roleId);
      // Keystone's grant is idempotent; the actor's refuses a duplicate, so look first.
      const held = await assignmentsOf(req, userId, target);
      if (!held.some((a) => a.role === role)) await ask(req, IDENTITY_KIND, domainOf(req), 'grant', { userId, role, ...target });
      return reply.code(204).send();
    });
    fastify.get<{ Params: GrantParams }>(`${path}/:roleId`, { schema: { tags, summary: 'Check a role assignment (204 or 404)', params: GrantParams, security } }, async (req, reply) => {
      const target = targetOf(kind, req.params.target);
      const role = roleOf(req.params.roleId);
      const held = await assignmentsOf(req, userIdOf(req.params.userId), target);
      if (!held.some((a) => a.role === role)) fail(AssignmentNotFound(`Could not find role assignment with role: ${role}, user or group: ${req.params.userId}.`));
      return reply.code(204).send();
    });
    fastify.delete<{ Params: GrantParams }>(`${path}/:roleId`, { schema: { tags, summary: 'Revoke a role (admin)', params: GrantParams, security } }, async (req, reply) => {
      const target = targetOf(kind, req.params.target);
      await ask(req, IDENTITY_KIND, domainOf(req), 'revoke', { userId: userIdOf(req.params.userId), role: roleOf(req.params.roleId), ...target });
      return reply.code(204).send();
    });
  }

  fastify.get<{ Querystring: AssignmentQuery }>('/v3/role_assignments', { schema: { tags, summary: 'List role assignments', querystring: AssignmentQuery, security } }, async (req) => {
    const q = req.query;
    const filter: Record<string, unknown> = {};
    if (q['user.id'] !== undefined) filter.userId = userIdOf(q['user.id']);
    if (q['scope.project.id'] !== undefined) filter.projectId = projectTarget(q['scope.project.id']);
    let found = await ask<readonly AssignmentView[]>(req, IDENTITY_KIND, domainOf(req), 'listAssignments', filter);
    if (q['scope.domain.id'] !== undefined) {
      targetOf('domains', q['scope.domain.id']);
      found = found.filter((a) => a.projectId === null);
    }
    if (q['role.id'] !== undefined) found = found.filter((a) => a.role === q['role.id']);
    const base = baseUrl(req);
    let names: { users: Map<string, string>; projects: Map<string, string> } | undefined;
    if (q.include_names !== undefined && q.include_names !== 'false' && q.include_names !== '0') {
      // Names are for admins, who may list users and projects; others see ids.
      const { caller } = authOf(req);
      const users = caller.roles.includes('admin') ? await ask<readonly UserView[]>(req, IDENTITY_KIND, domainOf(req), 'listUsers') : [];
      const projects = caller.roles.includes('admin') ? await ask<readonly ProjectView[]>(req, IDENTITY_KIND, domainOf(req), 'listProjects') : [];
      names = { users: new Map(users.map((u) => [u.id, u.name])), projects: new Map(projects.map((p) => [p.id, p.name])) };
      names.users.set(caller.userId, caller.userName);
    }
    const keyed: Collection<AssignmentView> = {
      id: (a) => `${a.userId}:${a.projectId ?? 'domain'}:${a.role}`,
      keys: { 'user.id': (a) => a.userId, 'role.id': (a) => a.role },
      defaultSort: [['user.id', 'asc']],
    };
    return { role_assignments: paginate(found, q, keyed).items.map((a) => assignmentBody(base, a, names)), links: { self: `${base}/identity/v3/role_assignments`, previous: null, next: null } };
  });

  fastify.get('/v3/services', { schema: { tags, summary: 'The services of the catalog', security } }, async (req) => {
    const base = baseUrl(req);
    return { services: serviceViews().map((s) => ({ ...s, links: { self: `${base}/identity/v3/services/${s.id}` } })), links: { self: `${base}/identity/v3/services`, previous: null, next: null } };
  });
  fastify.get<{ Params: IdParams }>('/v3/services/:id', { schema: { tags, summary: 'A service of the catalog', params: IdParams, security } }, async (req) => {
    const found = serviceViews().find((s) => s.id === req.params.id);
    if (found === undefined) fail(NotFound(`Could not find service: ${req.params.id.slice(0, 64)}.`));
    return { service: { ...found, links: { self: `${baseUrl(req)}/identity/v3/services/${found.id}` } } };
  });
  fastify.get('/v3/endpoints', { schema: { tags, summary: 'The endpoints of the catalog', security } }, async (req) => {
    const base = baseUrl(req);
    return { endpoints: endpointViews(base).map((e) => ({ ...e, links: { self: `${base}/identity/v3/endpoints/${e.id}` } })), links: { self: `${base}/identity/v3/endpoints`, previous: null, next: null } };
  });
  fastify.get<{ Params: IdParams }>('/v3/endpoints/:id', { schema: { tags, summary: 'An endpoint of the catalog', params: IdParams, security } }, async (req) => {
    const base = baseUrl(req);
    const found = endpointViews(base).find((e) => e.id === req.params.id);
    if (found === undefined) fail(NotFound(`Could not find endpoint: ${req.params.id.slice(0, 64)}.`));
    return { endpoint: { ...found, links: { self: `${base}/identity/v3/endpoints/${found.id}` } } };
  });
  fastify.get('/v3/regions', { schema: { tags, summary: 'Regions', security } }, async (req) => {
    const base = baseUrl(req);
    return { regions: [{ id: REGION, description: '', parent_region_id: null, links: { self: `${base}/identity/v3/regions/${REGION}` } }], links: { self: `${base}/identity/v3/regions`, previous: null, next: null } };
  });
}
