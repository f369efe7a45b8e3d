// Keystone v3 projects, users and domains (admins create and change; a user reads its own), as
// messages to identity/<domain>. An id that cannot be one of ours (not 32 hex digits) is a 404
// at once, so the clients' lookup by name (GET /projects/admin → 404 → ?name=admin) works.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IDENTITY_KIND, ProjectNotFound, UserNotFound, type AssignmentView, type ProjectView, type UserView } from '../../actors/identity/index.js';
import { BadRequest, NotFound } from '../../transports/errors.js';
import { ask, authOf } from '../auth.js';
import { fail } from '../errors.js';
import { baseUrl } from '../links.js';
import { paginate, type Collection } from '../paging.js';
import { IdParams, ListQuery, PasswordChange, ProjectCreate, ProjectUpdate, UserCreate, UserUpdate } from './schemas.js';
import { DEFAULT_DOMAIN, domainBody, projectBody, userBody } from './views.js';

const ID = /^[0-9a-f]{32}$/;
const security = [{ token: [] }];

function domainOf(req: FastifyRequest): string {
  return authOf(req).caller.domainId;
}

function checkDomain(domainId: string | undefined): void {
  if (domainId !== undefined && domainId !== DEFAULT_DOMAIN.id) fail(BadRequest(`Could not find domain: ${domainId.slice(0, 64)}.`, { field: 'domain_id' }));
}

function projectId(id: string): string {
  if (!ID.test(id)) fail(ProjectNotFound(`Could not find project: ${id.slice(0, 64)}.`));
  return id;
}

function userId(id: string): string {
  if (!ID.test(id)) fail(UserNotFound(`Could not find user: ${id.slice(0, 64)}.`));
  return id;
}

const projects: Collection<ProjectView> = { id: (p) => p.id, keys: { name: (p) => p.name, id: (p) => p.id, enabled: (p) => p.enabled }, defaultSort: [['name', 'asc']] };
const users: Collection<UserView> = { id: (u) => u.id, keys: { name: (u) => u.name, id: (u) => u.id, enabled: (u) => u.enabled }, defaultSort: [['name', 'asc']] };

function listLinks(req: FastifyRequest, path: string) {
  return { self: `${baseUrl(req)}/identity/v3/${path}`, previous: null, next: null };
}

export async function projectUserRoutes(fastify: FastifyInstance): Promise<void> {
  const tags = ['identity'];
  fastify.get<{ Querystring: ListQuery }>('/v3/projects', { schema: { tags, summary: 'List projects (admin)', querystring: ListQuery, security } }, async (req) => {
    checkDomain(req.query.domain_id);
    const all = await ask<readonly ProjectView[]>(req, IDENTITY_KIND, domainOf(req), 'listProjects', req.query.name === undefined ? {} : { name: req.query.name });
    const filtered = req.query.enabled === undefined ? all : all.filter((p) => p.enabled === req.query.enabled);
    const base = baseUrl(req);
    return { projects: paginate(filtered, req.query, projects).items.map((p) => projectBody(base, p)), links: listLinks(req, 'projects') };
  });
  fastify.post<{ Body: ProjectCreate }>('/v3/projects', { schema: { tags, summary: 'Create a project (admin)', body: ProjectCreate, security } }, async (req, reply) => {
    const p = req.body.project;
    checkDomain(p.domain_id);
    if (p.parent_id !== undefined && p.parent_id !== null && p.parent_id !== DEFAULT_DOMAIN.id) fail(BadRequest('projects are not nested: parent_id may only be the domain', { field: 'parent_id' }));
    const body: Record<string, unknown> = { name: p.name };
    if (p.description !== undefined) body.description = p.description;
    if (p.enabled !== undefined) body.enabled = p.enabled;
    const created = await ask<ProjectView>(req, IDENTITY_KIND, domainOf(req), 'createProject', body);
    return reply.code(201).send({ project: projectBody(baseUrl(req), created) });
  });
  fastify.get<{ Params: IdParams }>('/v3/projects/:id', { schema: { tags, summary: 'Show a project', params: IdParams, security } }, async (req) => {
    const shown = await ask<ProjectView>(req, IDENTITY_KIND, domainOf(req), 'showProject', { projectId: projectId(req.params.id) });
    return { project: projectBody(baseUrl(req), shown) };
  });
  fastify.patch<{ Params: IdParams; Body: ProjectUpdate }>('/v3/projects/:id', { schema: { tags, summary: 'Update a project (admin)', params: IdParams, body: ProjectUpdate, security } }, async (req) => {
    const id = projectId(req.params.id);
    const { name, ...changes } = req.body.project;
    if (name !== undefined) {
      const current = await ask<ProjectView>(req, IDENTITY_KIND, domainOf(req), 'showProject', { projectId: id });
      if (current.name !== name) fail(BadRequest('projects cannot be renamed', { field: 'name' }));
    }
    const updated = await ask<ProjectView>(req, IDENTITY_KIND, domainOf(req), 'updateProject', { projectId: id, ...changes });
    return { project: projectBody(baseUrl(req), updated) };
  });
  fastify.delete<{ Params: IdParams }>('/v3/projects/:id', { schema: { tags, summary: 'Delete a project (admin)', params: IdParams, security } }, async (req, reply) => {
    await ask(req, IDENTITY_KIND, domainOf(req), 'deleteProject', { projectId: projectId(req.params.id) });
    return reply.code(204).send();
  });

  fastify.get<{ Querystring: ListQuery }>('/v3/users', { schema: { tags, summary: 'List users (admin)', querystring: ListQuery, security } }, async (req) => {
    checkDomain(req.query.domain_id);
    const all = await ask<readonly UserView[]>(req, IDENTITY_KIND, domainOf(req), 'listUsers', req.query.name === undefined ? {} : { name: req.query.name });
    const filtered = req.query.enabled === undefined ? all : all.filter((u) => u.enabled === req.query.enabled);
    const base = baseUrl(req);
    return { users: paginate(filtered, req.query, users).items.map((u) => userBody(base, u)), links: listLinks(req, 'users') };
  });
  fastify.post<{ Body: UserCreate }>('/v3/users', { schema: { tags, summary: 'Create a user (admin)', body: UserCreate, security } }, async (req, reply) => {
    const u = req.body.user;
    checkDomain(u.domain_id);
    if (u.password === undefined || u.password === '') fail(BadRequest('a user needs a password (cumulo has no other way to log in)', { field: 'password' }));
    const body: Record<string, unknown> = { name: u.name, password: u.password };
    if (u.default_project_id !== undefined) body.defaultProjectId = u.default_project_id;
    if (u.enabled !== undefined) body.enabled = u.enabled;
    const created = await ask<UserView>(req, IDENTITY_KIND, domainOf(req), 'createUser', body);
    return reply.code(201).send({ user: userBody(baseUrl(req), created) });
  });
  fastify.get<{ Params: IdParams }>('/v3/users/:id', { schema: { tags, summary: 'Show a user', params: IdParams, security } }, async (req) => {
    const shown = await ask<UserView>(req, IDENTITY_KIND, domainOf(req), 'showUser', { userId: userId(req.params.id) });
    return { user: userBody(baseUrl(req), shown) };
  });
  fastify.patch<{ Params: IdParams; Body: UserUpdate }>('/v3/users/:id', { schema: { tags, summary: 'Update a user (admin)', params: IdParams, body: UserUpdate, security } }, async (req) => {
    const id = userId(req.params.id);
    const { name, default_project_id, ...rest } = req.body.user;
    if (name !== undefined) {
      const current = await ask<UserView>(req, IDENTITY_KIND, domainOf(req), 'showUser', { userId: id });
      if (current.name !== name) fail(BadRequest('users cannot be renamed', { field: 'name' }));
    }
    const body: Record<string, unknown> = { userId: id, ...rest };
    if (default_project_id !== undefined) body.defaultProjectId = default_project_id;
    const updated = await ask<UserView>(req, IDENTITY_KIND, domainOf(req), 'updateUser', body);
    return { user: userBody(baseUrl(req), updated) };
  });
  fastify.delete<{ Params: IdParams }>('/v3/users/:id', { schema: { tags, summary: 'Delete a user (admin)', params: IdParams, security } }, async (req, reply) => {
    await ask(req, IDENTITY_KIND, domainOf(req), 'deleteUser', { userId: userId(req.params.id) });
    return reply.code(204).send();
  });
  fastify.post<{ Params: IdParams; Body: PasswordChange }>(
    '/v3/users/:id/password',
    { schema: { tags, summary: "Change one's own password (ends the user's tokens)", params: IdParams, body: PasswordChange, security } },
    async (req, reply) => {
      const { password, original_password } = req.body.user;
      await ask(req, IDENTITY_KIND, domainOf(req), 'changePassword', { userId: userId(req.params.id), originalPassword: original_password, password });
      return reply.code(204).send();
    },
  );
  fastify.get<{ Params: IdParams; Querystring: ListQuery }>(
    '/v3/users/:id/projects',
    { schema: { tags, summary: 'Projects a user has a role on', params: IdParams, querystring: ListQuery, security } },
    async (req) => {
      const id = userId(req.params.id);
      const { caller } = authOf(req);
      let found: readonly ProjectView[];
      if (id === caller.userId) {
        found = await ask<readonly ProjectView[]>(req, IDENTITY_KIND, caller.domainId, 'projectsOf');
      } else {
        const assignments = await ask<readonly AssignmentView[]>(req, IDENTITY_KIND, caller.domainId, 'listAssignments', { userId: id });
        const ids = new Set(assignments.flatMap((a) => (a.projectId === null ? [] : [a.projectId])));
        found = (await ask<readonly ProjectView[]>(req, IDENTITY_KIND, caller.domainId, 'listProjects')).filter((p) => ids.has(p.id));
      }
      const base = baseUrl(req);
      return { projects: paginate(found, req.query, projects).items.map((p) => projectBody(base, p)), links: listLinks(req, `users/${id}/projects`) };
    },
  );

  fastify.get<{ Querystring: ListQuery }>('/v3/domains', { schema: { tags, summary: 'List domains', querystring: ListQuery, security } }, async (req) => {
    const { name } = req.query;
    const all = name === undefined || name === DEFAULT_DOMAIN.name ? [domainBody(baseUrl(req))] : [];
    return { domains: all, links: listLinks(req, 'domains') };
  });
  fastify.get<{ Params: IdParams }>('/v3/domains/:id', { schema: { tags, summary: 'Show a domain', params: IdParams, security } }, async (req) => {
    if (req.params.id !== DEFAULT_DOMAIN.id) fail(NotFound(`Could not find domain: ${req.params.id.slice(0, 64)}.`));
    return { domain: domainBody(baseUrl(req)) };
  });
}
