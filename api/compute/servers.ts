// Nova v2.1 servers (api-ref compute "Servers (servers)", "Servers - run an action", "Server
// metadata", "Servers IPs"): each route is one or a few messages to `instance/<uuid>` or the
// project's `servers/<projectId>` index. Create answers 202 at once (status BUILD), as Nova does;
// `--wait` clients then poll GET /servers/{id}.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { INSTANCE_KIND, SERVERS_KIND, STATUSES, type InstanceView, type ServerSummary } from '../../actors/compute/index.js';
import { IDENTITY_KIND, type ProjectView } from '../../actors/identity/index.js';
import { BadRequest, NotFound, ok } from '../../transports/errors.js';
import { ask, authOf, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { paginate, type Collection } from '../paging.js';
import { resolveImageRef } from '../image/images.js';
import { idOrNotFound, isAdminRequest, notFoundAs, projectOf, serverContext, truthy, zonesOf } from './context.js';
import { linksOf, nextLinks } from './links.js';
import { atLeast } from './microversion.js';
import { IdParams, KeyParams, MetadataBody, MetaItemBody, ServerAction, ServerCreate, ServerListQuery, ServerUpdate } from './schemas.js';
import { serverBody } from './server-view.js';

const tags = ['compute'];
const security = [{ token: [] }];

interface Listed extends ServerSummary {
  readonly projectId: string;
}

const servers: Collection<Listed> = {
  id: (s) => s.id,
  keys: { created_at: (s) => s.createdAt, updated_at: (s) => s.updatedAt, display_name: (s) => s.name, uuid: (s) => s.id, project_id: (s) => s.projectId },
  defaultSort: [['created_at', 'desc']],
};

function serverId(id: string): string {
  return idOrNotFound(id, 'Instance');
}

async function instanceCall<T>(req: FastifyRequest, id: string, type: string, body: Record<string, unknown> = {}): Promise<T> {
  const sid = serverId(id);
  const answer = await tryAsk<T>(req, INSTANCE_KIND, sid, type, body);
  if (!answer.ok) fail(notFoundAs(answer.error, `Instance ${sid} could not be found.`));
  return answer.value;
}

/** Nova matches `name` as a regular expression; cumulo supports its common forms: a substring, anchored by ^ and $. */
function nameMatcher(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  const start = pattern.startsWith('^');
  const end = pattern.endsWith('$') && pattern.length > (start ? 1 : 0);
  const core = pattern.slice(start ? 1 : 0, end ? -1 : undefined);
  return (name) => (start && end ? name === core : start ? name.startsWith(core) : end ? name.endsWith(core) : name.includes(core));
}

async function projectsToList(req: FastifyRequest<{ Querystring: ServerListQuery }>): Promise<readonly string[]> {
  const q = req.query;
  const asked = q.project_id ?? q.tenant_id;
  if (!isAdminRequest(req)) return [projectOf(req)];
  if (!truthy(q.all_tenants)) {
    if (asked !== undefined) return [idOrNotFound(asked, 'Project')];
    return [projectOf(req)];
  }
  if (asked !== undefined) return [idOrNotFound(asked, 'Project')];
  const { caller } = authOf(req);
  const projects = await ask<readonly ProjectView[]>(req, IDENTITY_KIND, caller.domainId, 'listProjects');
  return projects.map((p) => p.id);
}

async function listServers(req: FastifyRequest<{ Querystring: ServerListQuery }>, detail = false) {
  const q = req.query;
  const status = q.status?.toUpperCase();
  // Before 2.38 an unknown status matches nothing (later versions answer 400).
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) return { items: [] as Listed[], next: undefined };
  if (q.deleted !== undefined && truthy(q.deleted)) return { items: [] as Listed[], next: undefined };
  const projects = await projectsToList(req);
  const lists = await Promise.all(
    projects.map(async (projectId) => {
      const listed = await ask<{ servers: readonly ServerSummary[] }>(req, SERVERS_KIND, projectId, 'list', { ...(status === undefined ? {} : { status }), ...(detail ? { detail } : {}) });
      return listed.servers.map((s) => ({ ...s, projectId }));
    }),
  );
  const matches = nameMatcher(q.name);
  const all = lists.flat().filter((s) => matches(s.name) && (q.flavor === undefined || s.flavorId === q.flavor));
  return paginate(all, q, servers);
}

/**
 * The detail bodies of listed servers: a settled server's view comes with its summary (the index
 * keeps it current); only servers with a task under way (or listed without a view) are asked.
 */
async function details(req: FastifyRequest, listed: readonly ServerSummary[]): Promise<Record<string, unknown>[]> {
  const ctx = await serverContext(req);
  const shown = await Promise.all(
    listed.map(async (s) => {
      const view = s.view as InstanceView | undefined;
      return view !== undefined && view.taskState === null ? ok(view) : tryAsk<InstanceView>(req, INSTANCE_KIND, s.id, 'show');
    }),
  );
  // A server deleted between the listing and its show is simply gone.
  return shown.flatMap((s) => {
    if (s.ok) return [serverBody(req, s.value, ctx)];
    if (s.error.status === 404) return [];
    return fail(s.error);
  });
}

/** The id at the end of a reference that may be a URL (Nova accepts both). */
function refId(ref: string | number): string {
  const text = String(ref);
  const last = text.split('/').filter((p) => p !== '').pop() ?? '';
  return last;
}

function unsupported(field: string, why: string): never {
  return fail(BadRequest(`${field} is not supported: ${why}`, { field }));
}

async function createServer(req: FastifyRequest<{ Body: ServerCreate }>, reply: FastifyReply) {
  const s = req.body.server;
  const v = req.microversion;
  projectOf(req);
  if (s.networks === undefined && atLeast(v, '2.37')) fail(BadRequest("Invalid input for field/attribute server. 'networks' is a required property", { field: 'networks' }));
  if (typeof s.networks === 'string' && !atLeast(v, '2.37')) fail(BadRequest('Invalid input for field/attribute networks. Value: auto or none needs microversion 2.37', { field: 'networks' }));
  if (Array.isArray(s.networks) && s.networks.length > 0) {
    const first = s.networks[0]!;
    fail(BadRequest(first.port ? `Port ${first.port} could not be found.` : `Network ${first.uuid ?? ''} could not be found.`, { field: 'networks' }));
  }
  if (s.description !== undefined && !atLeast(v, '2.19')) fail(BadRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)", { field: 'description' }));
  if (s.description !== undefined && s.description !== null) unsupported('description', 'servers keep no description yet');
  if (Number(s.min_count ?? 1) !== 1 || Number(s.max_count ?? 1) !== 1) unsupported('min_count/max_count', 'create one server per request');
  if (s.security_groups?.some((g) => g.name !== 'default')) unsupported('security_groups', 'there is no networking service yet');
  if (s.user_data !== undefined) unsupported('user_data', 'there is no metadata service yet');
  if (s.accessIPv4 !== undefined || s.accessIPv6 !== undefined) unsupported('accessIPv4/accessIPv6', 'there is no networking service yet');
  if (s.block_device_mapping_v2 !== undefined && s.block_device_mapping_v2.length > 0) unsupported('block_device_mapping_v2', 'there is no block storage service yet');
  if (s.config_drive !== undefined && truthy(String(s.config_drive)) && s.config_drive !== '') unsupported('config_drive', 'there is no config drive');
  if (s['OS-DCF:diskConfig'] === 'AUTO') unsupported('OS-DCF:diskConfig', 'disks are not resized (use MANUAL)');
  if (s.imageRef === undefined || s.imageRef === '') fail(BadRequest('Missing imageRef attribute', { field: 'imageRef' }));
  const imageId = await resolveImageRef(req, refId(s.imageRef));
  const body: Record<string, unknown> = { name: s.name, flavorId: idOrBad(refId(s.flavorRef), 'Flavor'), imageId };
  if (s.key_name !== undefined) body.keyName = s.key_name;
  if (s.metadata !== undefined) body.metadata = s.metadata;
  if (s.availability_zone !== undefined) {
    const zone = s.availability_zone.split(':')[0]!;
    const zones = await zonesOf(req);
    if (!zones.some((z) => z.name === zone)) fail(BadRequest('The requested availability zone is not available', { field: 'availability_zone' }));
    body.zone = zone;
  }
  const group = (req.body['os:scheduler_hints'] ?? req.body['OS-SCH-HNT:scheduler_hints'])?.group;
  if (group !== undefined) body.groupId = idOrBad(group, 'Server group');
  const id = randomUUID();
  const created = await ask<InstanceView>(req, INSTANCE_KIND, id, 'create', body);
  const links = linksOf(req, 'servers', created.id);
  return reply
    .code(202)
    .header('location', links[0]!.href)
    .send({ server: { id: created.id, links, 'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }], adminPass: s.adminPass ?? randomBytes(9).toString('base64url') } });
}

/** A reference in a create body that cannot name anything is bad input (400), as Nova. */
function idOrBad(id: string, what: string): string {
  if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(id)) fail(BadRequest(`${what} ${id.slice(0, 255)} could not be found.`));
  return id;
}

export async function serverRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: ServerListQuery }>('/servers', { schema: { tags, summary: 'List servers', querystring: ServerListQuery, security } }, async (req) => {
    const page = await listServers(req);
    return { servers: page.items.map((s) => ({ id: s.id, name: s.name, links: linksOf(req, 'servers', s.id) })), ...nextLinks(req, 'servers', page.next) };
  });
  fastify.get<{ Querystring: ServerListQuery }>('/servers/detail', { schema: { tags, summary: 'List servers with details', querystring: ServerListQuery, security } }, async (req) => {
    const page = await listServers(req, true);
    return { servers: await details(req, page.items), ...nextLinks(req, 'servers/detail', page.next) };
  });
  fastify.post<{ Body: ServerCreate }>('/servers', { schema: { tags, summary: 'Create a server (202, status BUILD)', body: ServerCreate, security } }, createServer);
  fastify.get<{ Params: IdParams }>('/servers/:id', { schema: { tags, summary: 'Show a server', params: IdParams, security } }, async (req) => {
    const shown = await instanceCall<InstanceView>(req, req.params.id, 'show');
    return { server: serverBody(req, shown, await serverContext(req)) };
  });
  fastify.put<{ Params: IdParams; Body: ServerUpdate }>('/servers/:id', { schema: { tags, summary: 'Update a server (name)', params: IdParams, body: ServerUpdate, security } }, async (req) => {
    const s = req.body.server;
    if (s.description !== undefined && !atLeast(req.microversion, '2.19')) fail(BadRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)"));
    if (s.description !== undefined && s.description !== null) unsupported('description', 'servers keep no description yet');
    if (s.accessIPv4 !== undefined || s.accessIPv6 !== undefined) unsupported('accessIPv4/accessIPv6', 'there is no networking service yet');
    if (s['OS-DCF:diskConfig'] === 'AUTO') unsupported('OS-DCF:diskConfig', 'disks are not resized (use MANUAL)');
    const updated = s.name === undefined ? await instanceCall<InstanceView>(req, req.params.id, 'show') : await instanceCall<InstanceView>(req, req.params.id, 'rename', { name: s.name });
    return { server: serverBody(req, updated, await serverContext(req)) };
  });
  fastify.delete<{ Params: IdParams }>('/servers/:id', { schema: { tags, summary: 'Delete a server (204; it goes away shortly)', params: IdParams, security } }, async (req, reply) => {
    await instanceCall(req, req.params.id, 'delete');
    return reply.code(204).send();
  });
  fastify.post<{ Params: IdParams; Body: ServerAction }>(
    '/servers/:id/action',
    { schema: { tags, summary: 'Run an action: os-start, os-stop, reboot (202)', params: IdParams, body: ServerAction, security } },
    async (req, reply) => {
      const action = req.body;
      if ('os-start' in action) await instanceCall(req, req.params.id, 'start');
      else if ('os-stop' in action) await instanceCall(req, req.params.id, 'stop');
      else await instanceCall(req, req.params.id, 'reboot', { hard: action.reboot.type.toUpperCase() === 'HARD' });
      return reply.code(202).send();
    },
  );
  fastify.get<{ Params: IdParams }>('/servers/:id/ips', { schema: { tags, summary: 'Addresses of a server (none: no networking yet)', params: IdParams, security } }, async (req) => {
    await instanceCall(req, req.params.id, 'show');
    return { addresses: {} };
  });

  fastify.get<{ Params: IdParams }>('/servers/:id/metadata', { schema: { tags, summary: 'Server metadata', params: IdParams, security } }, async (req) => {
    return { metadata: (await instanceCall<InstanceView>(req, req.params.id, 'show')).metadata };
  });
  fastify.post<{ Params: IdParams; Body: MetadataBody }>('/servers/:id/metadata', { schema: { tags, summary: 'Add or change metadata items', params: IdParams, body: MetadataBody, security } }, async (req) => {
    return { metadata: (await instanceCall<InstanceView>(req, req.params.id, 'setMetadata', { metadata: req.body.metadata })).metadata };
  });
  fastify.put<{ Params: IdParams; Body: MetadataBody }>('/servers/:id/metadata', { schema: { tags, summary: 'Replace all metadata', params: IdParams, body: MetadataBody, security } }, async (req) => {
    return { metadata: (await instanceCall<InstanceView>(req, req.params.id, 'setMetadata', { metadata: req.body.metadata, replace: true })).metadata };
  });
  fastify.get<{ Params: KeyParams }>('/servers/:id/metadata/:key', { schema: { tags, summary: 'One metadata item', params: KeyParams, security } }, async (req) => {
    const { metadata } = await instanceCall<InstanceView>(req, req.params.id, 'show');
    if (!Object.hasOwn(metadata, req.params.key)) fail(NotFound('Metadata item was not found'));
    return { meta: { [req.params.key]: metadata[req.params.key] } };
  });
  fastify.put<{ Params: KeyParams; Body: MetaItemBody }>('/servers/:id/metadata/:key', { schema: { tags, summary: 'Set one metadata item', params: KeyParams, body: MetaItemBody, security } }, async (req) => {
    const [[key, value]] = Object.entries(req.body.meta) as [[string, string]];
    if (key !== req.params.key) fail(BadRequest('Request body and URI mismatch'));
    await instanceCall(req, req.params.id, 'setMetadata', { metadata: { [key]: value } });
    return { meta: { [key]: value } };
  });
  fastify.delete<{ Params: KeyParams }>('/servers/:id/metadata/:key', { schema: { tags, summary: 'Delete one metadata item', params: KeyParams, security } }, async (req, reply) => {
    const { metadata } = await instanceCall<InstanceView>(req, req.params.id, 'show');
    if (!Object.hasOwn(metadata, req.params.key)) fail(NotFound('Metadata item was not found'));
    await instanceCall(req, req.params.id, 'deleteMetadata', { keys: [req.params.key] });
    return reply.code(204).send();
  });
}
