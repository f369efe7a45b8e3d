// Nova v2.1 at /compute: the version documents (unauthenticated; GET /compute/ → 200 with the
// list, GET /compute/v2.1 → 200 with the microversion range), then every resource under /v2.1
// behind the token check and the microversion negotiation.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireToken } from '../auth.js';
import { baseUrl } from '../links.js';
import { flavorRoutes } from './flavors.js';
import { hostRoutes } from './hosts.js';
import { keypairRoutes } from './keypairs.js';
import { MAX_VERSION, MIN, MIN_VERSION, negotiate } from './microversion.js';
import { quotaRoutes } from './quotas.js';
import { serverGroupRoutes } from './server-groups.js';
import { serverRoutes } from './servers.js';

function versionOf(req: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION,
    min_version: MIN_VERSION,
    updated: '2013-07-23T11:33:21Z',
    links: [{ rel: 'self', href: `${baseUrl(req)}/compute/v2.1/` }],
  };
}

export async function computeApi(fastify: FastifyInstance): Promise<void> {
  const schema = { tags: ['compute'] };
  fastify.get('/', { schema: { ...schema, summary: 'Compute API versions' } }, async (req) => ({ versions: [versionOf(req)] }));
  fastify.get('/v2.1', { schema: { ...schema, summary: 'Compute v2.1 version document (microversion range)' } }, async (req) => ({
    version: { ...versionOf(req), 'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }] },
  }));
  await fastify.register(
    async (v21) => {
      v21.decorateRequest('microversion', MIN);
      v21.addHook('onRequest', requireToken);
      v21.addHook('onRequest', negotiate);
      await v21.register(serverRoutes);
      await v21.register(flavorRoutes);
      await v21.register(keypairRoutes);
      await v21.register(serverGroupRoutes);
      await v21.register(quotaRoutes);
      await v21.register(hostRoutes);
    },
    { prefix: '/v2.1' },
  );
}
