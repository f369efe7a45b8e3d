// Keystone v3 at /identity: the version documents (unauthenticated, exactly as keystoneauth
// probes them: GET /identity → 300 with the list, GET /identity/v3 → 200), the token routes, and
// the admin resources behind the X-Auth-Token check.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireToken } from '../auth.js';
import { baseUrl } from '../links.js';
import { projectUserRoutes } from './projects-users.js';
import { roleRoutes } from './roles.js';
import { tokenRoutes } from './tokens.js';

function versionOf(req: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(req)}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export async function identityApi(fastify: FastifyInstance): Promise<void> {
  const schema = { tags: ['identity'] };
  fastify.get('/', { schema: { ...schema, summary: 'Identity API versions (300 Multiple Choices)' } }, async (req, reply) => {
    return reply.code(300).send({ versions: { values: [versionOf(req)] } });
  });
  fastify.get('/v3', { schema: { ...schema, summary: 'Identity v3 version document' } }, async (req) => ({ version: versionOf(req) }));
  await fastify.register(tokenRoutes);
  await fastify.register(async (authed) => {
    authed.addHook('onRequest', requireToken);
    await authed.register(projectUserRoutes);
    await authed.register(roleRoutes);
  });
}
