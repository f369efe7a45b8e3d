// The OpenAPI document of every route, generated from the routes' TypeBox schemas by
// @fastify/swagger and served at /openapi.json, with Swagger UI at /docs.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(fastify: FastifyInstance): Promise<void> {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'cumulo OpenStack API',
        description:
          'Keystone v3 (/identity), Nova v2.1 (/compute/v2.1) and the read side of Glance v2 (/image), as the real OpenStack clients use them. Authenticate with POST /identity/v3/auth/tokens and send the X-Subject-Token as X-Auth-Token.',
        version: '0.1.0',
      },
      components: { securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } } },
      tags: [
        { name: 'identity', description: 'Keystone v3' },
        { name: 'compute', description: 'Nova v2.1 (microversions 2.1 to the advertised maximum)' },
        { name: 'image', description: 'Glance v2, read side' },
        { name: 'fabric', description: 'health and metrics' },
      ],
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());
}
