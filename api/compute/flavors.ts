// Nova v2.1 flavors (api-ref compute "Flavors", "Flavors access", "Flavors extra-specs"): every
// route is a message to the catalog actor `flavors/catalog`. A flavor is found by id only
// (GET /flavors/m1.tiny is a 404, so clients fall back to listing by name, as with Nova).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FLAVOR_CATALOG_ID, FLAVORS_KIND, type FlavorAccessView, type FlavorExtraSpecsView, type FlavorList, type FlavorView } from '../../actors/compute/index.js';
import { BadRequest, NotFound } from '../../transports/errors.js';
import { ask, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { paginate, type Collection } from '../paging.js';
import { isAdminRequest, notFoundAs } from './context.js';
import { linksOf, nextLinks } from './links.js';
import { ExtraSpecItem, ExtraSpecsBody, FlavorAction, FlavorCreate, FlavorListQuery, IdParams, KeyParams } from './schemas.js';

const tags = ['compute'];
const security = [{ token: [] }];

const flavors: Collection<FlavorView> = {
  id: (f) => f.id,
  keys: {
    flavorid: (f) => f.id,
    id: (f) => f.id,
    name: (f) => f.name,
    memory_mb: (f) => f.ramMb,
    vcpus: (f) => f.vcpus,
    root_gb: (f) => f.diskGb,
    ephemeral_gb: (f) => f.ephemeralGb,
    swap: (f) => f.swapMb,
  },
  defaultSort: [['flavorid', 'asc']],
};

export function flavorBody(req: FastifyRequest, f: FlavorView): Record<string, unknown> {
  return {
    id: f.id,
    name: f.name,
    ram: f.ramMb,
    vcpus: f.vcpus,
    disk: f.diskGb,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeralGb,
    swap: f.swapMb === 0 ? '' : f.swapMb,
    rxtx_factor: 1.0,
    'os-flavor-access:is_public': f.isPublic,
    'OS-FLV-DISABLED:disabled': false,
    links: linksOf(req, 'flavors', f.id),
  };
}

const notFound = (id: string) => NotFound(`Flavor ${id.slice(0, 255)} could not be found.`);

/** The flavor with exactly this id (the catalog also finds names; Nova's routes do not). */
async function flavorById(req: FastifyRequest, id: string): Promise<FlavorView> {
  const found = await tryAsk<FlavorView>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'get', { idOrName: id });
  if (!found.ok) fail(notFoundAs(found.error, `Flavor ${id.slice(0, 255)} could not be found.`));
  if (found.value.id !== id) fail(notFound(id));
  return found.value;
}

function flag(value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return value === true || value === 'true' || value === 'True';
}

/** Nova's is_public: true (default) public only; false private only; none/None both (admins). */
function publicFilter(req: FastifyRequest<{ Querystring: FlavorListQuery }>): (f: FlavorView) => boolean {
  const raw = req.query.is_public?.toLowerCase();
  if (!isAdminRequest(req)) return () => true; // the catalog already lists public ones and those shared with the project
  if (raw === undefined || ['true', 't', '1', 'yes', 'y', 'on'].includes(raw)) return (f) => f.isPublic;
  if (['false', 'f', '0', 'no', 'n', 'off'].includes(raw)) return (f) => !f.isPublic;
  if (raw === 'none') return () => true;
  return fail(BadRequest(`Invalid is_public filter [${raw.slice(0, 16)}]`, { field: 'is_public' }));
}

async function listFlavors(req: FastifyRequest<{ Querystring: FlavorListQuery }>) {
  const { flavors: all } = await ask<FlavorList>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'list');
  const q = req.query;
  const pub = publicFilter(req);
  const selected = all.filter((f) => pub(f) && (q.minRam === undefined || f.ramMb >= q.minRam) && (q.minDisk === undefined || f.diskGb >= q.minDisk));
  return paginate(selected, q, flavors);
}

export async function flavorRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: FlavorListQuery }>('/flavors', { schema: { tags, summary: 'List flavors', querystring: FlavorListQuery, security } }, async (req) => {
    const page = await listFlavors(req);
    return { flavors: page.items.map((f) => ({ id: f.id, name: f.name, links: linksOf(req, 'flavors', f.id) })), ...nextLinks(req, 'flavors', page.next) };
  });
  fastify.get<{ Querystring: FlavorListQuery }>('/flavors/detail', { schema: { tags, summary: 'List flavors with details', querystring: FlavorListQuery, security } }, async (req) => {
    const page = await listFlavors(req);
    return { flavors: page.items.map((f) => flavorBody(req, f)), ...nextLinks(req, 'flavors/detail', page.next) };
  });
  fastify.get<{ Params: IdParams }>('/flavors/:id', { schema: { tags, summary: 'Show a flavor', params: IdParams, security } }, async (req) => {
    return { flavor: flavorBody(req, await flavorById(req, req.params.id)) };
  });
  fastify.post<{ Body: FlavorCreate }>('/flavors', { schema: { tags, summary: 'Create a flavor (admin)', body: FlavorCreate, security } }, async (req) => {
    const f = req.body.flavor;
    if (f.rxtx_factor !== undefined && Number(f.rxtx_factor) !== 1) fail(BadRequest('rxtx_factor other than 1.0 is not supported', { field: 'rxtx_factor' }));
    const body: Record<string, unknown> = { name: f.name, vcpus: Number(f.vcpus), ramMb: Number(f.ram), diskGb: Number(f.disk) };
    if (f.id !== undefined && f.id !== null && f.id !== 'auto') body.id = f.id;
    if (f['OS-FLV-EXT-DATA:ephemeral'] !== undefined) body.ephemeralGb = Number(f['OS-FLV-EXT-DATA:ephemeral']);
    if (f.swap !== undefined && f.swap !== '') body.swapMb = Number(f.swap);
    body.isPublic = flag(f['os-flavor-access:is_public'], true);
    const created = await ask<FlavorView>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'create', body);
    return { flavor: flavorBody(req, created) };
  });
  fastify.delete<{ Params: IdParams }>('/flavors/:id', { schema: { tags, summary: 'Delete a flavor (admin)', params: IdParams, security } }, async (req, reply) => {
    const id = (await flavorById(req, req.params.id)).id;
    await ask(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'delete', { id });
    return reply.code(202).send();
  });

  fastify.get<{ Params: IdParams }>('/flavors/:id/os-extra_specs', { schema: { tags, summary: 'Extra specs of a flavor', params: IdParams, security } }, async (req) => {
    return { extra_specs: (await flavorById(req, req.params.id)).extraSpecs };
  });
  fastify.post<{ Params: IdParams; Body: ExtraSpecsBody }>(
    '/flavors/:id/os-extra_specs',
    { schema: { tags, summary: 'Set extra specs (admin)', params: IdParams, body: ExtraSpecsBody, security } },
    async (req) => {
      const id = (await flavorById(req, req.params.id)).id;
      const set = await ask<FlavorExtraSpecsView>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'setExtraSpecs', { id, extraSpecs: req.body.extra_specs });
      const sent = Object.keys(req.body.extra_specs);
      return { extra_specs: Object.fromEntries(sent.map((k) => [k, set.extraSpecs[k]])) };
    },
  );
  fastify.get<{ Params: KeyParams }>('/flavors/:id/os-extra_specs/:key', { schema: { tags, summary: 'One extra spec', params: KeyParams, security } }, async (req) => {
    const { extraSpecs } = await flavorById(req, req.params.id);
    if (!Object.hasOwn(extraSpecs, req.params.key)) fail(NotFound(`Flavor ${req.params.id} has no extra specs with key ${req.params.key}.`));
    return { [req.params.key]: extraSpecs[req.params.key] };
  });
  fastify.put<{ Params: KeyParams; Body: ExtraSpecItem }>(
    '/flavors/:id/os-extra_specs/:key',
    { schema: { tags, summary: 'Set one extra spec (admin)', params: KeyParams, body: ExtraSpecItem, security } },
    async (req) => {
      const [[key, value]] = Object.entries(req.body) as [[string, string]];
      if (key !== req.params.key) fail(BadRequest('Request body and URI mismatch'));
      const id = (await flavorById(req, req.params.id)).id;
      await ask(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'setExtraSpecs', { id, extraSpecs: { [key]: value } });
      return { [key]: value };
    },
  );
  fastify.delete<{ Params: KeyParams }>('/flavors/:id/os-extra_specs/:key', { schema: { tags, summary: 'Delete one extra spec (admin)', params: KeyParams, security } }, async (req, reply) => {
    const id = (await flavorById(req, req.params.id)).id;
    await ask(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'unsetExtraSpecs', { id, keys: [req.params.key] });
    return reply.code(200).send();
  });

  fastify.get<{ Params: IdParams }>('/flavors/:id/os-flavor-access', { schema: { tags, summary: 'Projects with access to a private flavor (admin)', params: IdParams, security } }, async (req) => {
    const id = (await flavorById(req, req.params.id)).id;
    const access = await ask<FlavorAccessView>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, 'listAccess', { id });
    return { flavor_access: access.projects.map((p) => ({ flavor_id: id, tenant_id: p })) };
  });
  fastify.post<{ Params: IdParams; Body: FlavorAction }>(
    '/flavors/:id/action',
    { schema: { tags, summary: 'addTenantAccess / removeTenantAccess (admin)', params: IdParams, body: FlavorAction, security } },
    async (req) => {
      const id = (await flavorById(req, req.params.id)).id;
      const [type, tenant] = 'addTenantAccess' in req.body ? ['addAccess', req.body.addTenantAccess.tenant] : ['removeAccess', req.body.removeTenantAccess.tenant];
      const access = await ask<FlavorAccessView>(req, FLAVORS_KIND, FLAVOR_CATALOG_ID, type, { id, projectId: tenant });
      return { flavor_access: access.projects.map((p) => ({ flavor_id: id, tenant_id: p })) };
    },
  );
}
