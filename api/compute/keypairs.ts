// Nova v2.1 key pairs (api-ref compute "Keypairs (keypairs)"): messages to `keypairs/<userId>`,
// the caller's own, or (2.10, admins) another user's. 2.2 adds `type` and answers 201 / 204.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KEYPAIRS_KIND, type GeneratedKeypairView, type KeypairList, type KeypairView } from '../../actors/compute/index.js';
import { BadRequest, NotFound } from '../../transports/errors.js';
import { ask, authOf, tryAsk } from '../auth.js';
import { fail } from '../errors.js';
import { paginate, type Collection } from '../paging.js';
import { idOrNotFound, notFoundAs } from './context.js';
import { isoMicros, nextLinks } from './links.js';
import { atLeast } from './microversion.js';
import { IdParams, KeypairCreate, KeypairQuery } from './schemas.js';

const tags = ['compute'];
const security = [{ token: [] }];

const keypairs: Collection<KeypairView> = { id: (k) => k.name, keys: { name: (k) => k.name, created_at: (k) => k.createdAt }, defaultSort: [['name', 'asc']] };

/** Whose key pairs: the caller's, or another user's for an admin at 2.10 and later. */
function ownerOf(req: FastifyRequest, userId: string | undefined): string {
  const { caller } = authOf(req);
  if (userId === undefined) return caller.userId;
  if (!atLeast(req.microversion, '2.10')) fail(BadRequest('user_id needs microversion 2.10', { field: 'user_id' }));
  return idOrNotFound(userId, 'User');
}

function keypairBody(req: FastifyRequest, k: KeypairView, full: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint };
  if (atLeast(req.microversion, '2.2')) body.type = k.keyType;
  if (full) {
    body.user_id = k.userId;
    body.created_at = isoMicros(k.createdAt);
    body.deleted = false;
    body.deleted_at = null;
    body.updated_at = null;
    // Nova's integer id; ours is the key's fingerprint folded to a positive 31-bit number.
    body.id = Number.parseInt(k.fingerprint.replace(/:/g, '').slice(0, 7), 16);
  }
  return body;
}

async function keypair(req: FastifyRequest, owner: string, name: string): Promise<KeypairView> {
  const found = await tryAsk<KeypairView>(req, KEYPAIRS_KIND, owner, 'get', { name });
  // A name the key pair schema refuses names no key pair: a 404, so lookups by name go on.
  if (!found.ok) fail(found.error.status === 400 ? NotFound(`Keypair ${name.slice(0, 255)} not found for user ${owner}`) : notFoundAs(found.error, `Keypair ${name.slice(0, 255)} not found for user ${owner}`));
  return found.value;
}

export async function keypairRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get<{ Querystring: KeypairQuery }>('/os-keypairs', { schema: { tags, summary: 'List key pairs', querystring: KeypairQuery, security } }, async (req) => {
    const owner = ownerOf(req, req.query.user_id);
    const { keypairs: all } = await ask<KeypairList>(req, KEYPAIRS_KIND, owner, 'list');
    const page = paginate(all, req.query, keypairs);
    return { keypairs: page.items.map((k) => ({ keypair: keypairBody(req, k, false) })), ...nextLinks(req, 'os-keypairs', page.next) };
  });
  fastify.post<{ Body: KeypairCreate }>('/os-keypairs', { schema: { tags, summary: 'Create or import a key pair', body: KeypairCreate, security } }, async (req, reply) => {
    const k = req.body.keypair;
    const v = req.microversion;
    if (k.type !== undefined && !atLeast(v, '2.2')) fail(BadRequest("Invalid input for field/attribute keypair. Additional properties are not allowed ('type' was unexpected)", { field: 'type' }));
    if (k.type === 'x509') fail(BadRequest('x509 key pairs are not supported', { field: 'type' }));
    const owner = ownerOf(req, k.user_id);
    const made = await ask<KeypairView | GeneratedKeypairView>(req, KEYPAIRS_KIND, owner, 'create', { name: k.name, ...(k.public_key === undefined ? {} : { publicKey: k.public_key }) });
    const body = { ...keypairBody(req, made, false), user_id: made.userId, ...('privateKey' in made ? { private_key: made.privateKey } : {}) };
    return reply.code(atLeast(v, '2.2') ? 201 : 200).send({ keypair: body });
  });
  fastify.get<{ Params: IdParams; Querystring: KeypairQuery }>('/os-keypairs/:id', { schema: { tags, summary: 'Show a key pair', params: IdParams, querystring: KeypairQuery, security } }, async (req) => {
    const owner = ownerOf(req, req.query.user_id);
    return { keypair: keypairBody(req, await keypair(req, owner, req.params.id), true) };
  });
  fastify.delete<{ Params: IdParams; Querystring: KeypairQuery }>(
    '/os-keypairs/:id',
    { schema: { tags, summary: 'Delete a key pair', params: IdParams, querystring: KeypairQuery, security } },
    async (req, reply) => {
      const owner = ownerOf(req, req.query.user_id);
      const name = (await keypair(req, owner, req.params.id)).name;
      await ask(req, KEYPAIRS_KIND, owner, 'delete', { name });
      return reply.code(atLeast(req.microversion, '2.2') ? 204 : 202).send();
    },
  );
}
