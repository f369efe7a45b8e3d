// Keystone v3 "Authentication and token management": POST /v3/auth/tokens (password and token
// methods, the token method rescoping to another project or the domain; project, domain or no
// scope) answering 201 with X-Subject-Token; GET, HEAD and DELETE
// of a token named by X-Subject-Token; and the scoping helpers /v3/auth/projects, /domains,
// /catalog. Each step is a message to identity/<domain> or token/<sha256 of the token>.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_DOMAIN_ID, hashToken, IDENTITY_KIND, TOKEN_KIND, type AuthResult, type ProjectView } from '../../actors/identity/index.js';
import { BadRequest, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { ask, authOf, requireToken, tokenOf } from '../auth.js';
import { fail, must } from '../errors.js';
import { baseUrl } from '../links.js';
import { catalogOf } from './catalog.js';
import { AuthBody, TokenQuery } from './schemas.js';
import { auditIdOf, DEFAULT_DOMAIN, domainBody, projectBody, tokenBody, type TokenRecordView } from './views.js';

const AUTH_FAILED = 'The request you have made requires authentication.';

type DomainRef = { readonly id?: string | undefined; readonly name?: string | undefined } | undefined;

/** Only the Default domain exists: a reference to any other is a failed login (401), as Keystone. */
function isDefaultDomain(ref: DomainRef): boolean {
  if (ref === undefined) return true;
  if (ref.id !== undefined && ref.id !== DEFAULT_DOMAIN.id) return false;
  return ref.name === undefined || ref.name === DEFAULT_DOMAIN.name;
}

/** The scope fields of identity's `authenticate`, from Keystone's `scope`. */
function scopeFields(scope: AuthBody['auth']['scope']): Record<string, unknown> {
  if (scope === undefined || scope === 'unscoped') return {};
  if ('project' in scope) {
    const p = scope.project;
    if (p.id !== undefined) return { projectId: p.id };
    if (p.name === undefined) fail(BadRequest('a project scope needs the project id, or its name and domain'));
    if (!isDefaultDomain(p.domain)) fail(Unauthorized(AUTH_FAILED));
    return { projectName: p.name };
  }
  if ('domain' in scope) {
    if (!isDefaultDomain(scope.domain)) fail(Unauthorized(AUTH_FAILED));
    return { scope: 'domain' };
  }
  return fail(Unauthorized('system-scoped tokens are not supported; scope to a project or the domain'));
}

/** Whether an existing token already has the scope asked for (then it is answered as it is). */
function sameScope(record: TokenRecordView, scope: AuthBody['auth']['scope'], projectName: string | null): boolean {
  if (scope === undefined) return true;
  if (scope === 'unscoped') return record.projectId === null && !record.domainScoped;
  if ('project' in scope) return scope.project.id !== undefined ? scope.project.id === record.projectId : scope.project.name === projectName && isDefaultDomain(scope.project.domain);
  if ('domain' in scope) return record.domainScoped && isDefaultDomain(scope.domain);
  return false;
}

async function describe(req: FastifyRequest, token: string, as: string): Promise<TokenRecordView> {
  const answer = await req.server.actors.ask<TokenRecordView>(TOKEN_KIND, hashToken(token), 'describe', {}, as);
  return must(answer);
}

/** The project's name as its own token may read it (null for unscoped and domain tokens). */
async function projectNameOf(req: FastifyRequest, record: TokenRecordView, token: string): Promise<string | null> {
  if (record.projectId === null) return null;
  const shown = await req.server.actors.ask<ProjectView>(IDENTITY_KIND, record.domainId, 'showProject', { projectId: record.projectId }, token);
  return shown.ok ? shown.value.name : null;
}

async function answerToken(req: FastifyRequest<{ Querystring: TokenQuery }>, reply: FastifyReply, token: string, methods: readonly string[], status: number) {
  const record = await describe(req, token, token);
  const projectName = await projectNameOf(req, record, token);
  const body = tokenBody(baseUrl(req), record, { methods, auditId: auditIdOf(token), projectName, withCatalog: req.query.nocatalog === undefined });
  return reply.code(status).header('x-subject-token', token).send(body);
}

function authFailure(e: ErrorValue): ErrorValue {
  // Keystone tells nothing about why a login failed; a malformed user name is just a wrong one.
  return e.status >= 500 ? e : Unauthorized(AUTH_FAILED);
}

async function issue(req: FastifyRequest<{ Body: AuthBody; Querystring: TokenQuery }>, reply: FastifyReply) {
  const { identity, scope } = req.body.auth;
  if (identity.methods.includes('password')) {
    const user = identity.password?.user;
    if (user === undefined) fail(BadRequest('Expecting to find password in identity'));
    // Users are found by name in their domain; a login by user id alone is not supported.
    if (user.name === undefined || !isDefaultDomain(user.domain)) fail(Unauthorized(AUTH_FAILED));
    const fields = scopeFields(scope);
    const answer = await req.server.actors.ask<AuthResult>(IDENTITY_KIND, DEFAULT_DOMAIN_ID, 'authenticate', { userName: user.name, password: user.password, ...fields }, null);
    if (!answer.ok) fail(authFailure(answer.error));
    return answerToken(req, reply, answer.value.token, ['password'], 201);
  }
  if (identity.methods.includes('token')) {
    const token = identity.token?.id;
    if (token === undefined) fail(BadRequest('Expecting to find token in identity'));
    const described = await req.server.actors.ask<TokenRecordView>(TOKEN_KIND, hashToken(token), 'describe', {}, token);
    if (!described.ok) fail(authFailure(described.error));
    if (sameScope(described.value, scope, await projectNameOf(req, described.value, token))) return answerToken(req, reply, token, ['token'], 201);
    // Rescoping: a new token of the same user on the scope asked for (a project it holds a role
    // on, or the domain), expiring with the presented one; identity/<d> judges it by that token.
    if (scope === 'unscoped') fail(Unauthorized('a scoped token cannot be exchanged for an unscoped one'));
    const rescoped = await req.server.actors.ask<AuthResult>(IDENTITY_KIND, described.value.domainId, 'rescope', scopeFields(scope), token);
    if (!rescoped.ok) fail(authFailure(rescoped.error));
    return answerToken(req, reply, rescoped.value.token, ['token'], 201);
  }
  return fail(Unauthorized('Attempted to authenticate with an unsupported method.'));
}

function subjectOf(req: FastifyRequest): string {
  const subject = tokenOf(req, 'x-subject-token');
  if (subject === null) fail(BadRequest('X-Subject-Token header is required'));
  return subject;
}

export async function tokenRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.post<{ Body: AuthBody; Querystring: TokenQuery }>(
    '/v3/auth/tokens',
    { schema: { tags: ['identity'], summary: 'Authenticate (password or token method); the token is in X-Subject-Token', body: AuthBody, querystring: TokenQuery } },
    issue,
  );
  await fastify.register(async (authed) => {
    authed.addHook('onRequest', requireToken);
    authed.get<{ Querystring: TokenQuery }>(
      '/v3/auth/tokens',
      { schema: { tags: ['identity'], summary: 'Validate the token in X-Subject-Token', querystring: TokenQuery, security: [{ token: [] }] } },
      async (req, reply) => {
        const subject = subjectOf(req);
        const record = await describe(req, subject, authOf(req).token);
        const body = tokenBody(baseUrl(req), record, { methods: ['password'], auditId: auditIdOf(subject), projectName: await projectNameOf(req, record, subject), withCatalog: req.query.nocatalog === undefined });
        return reply.header('x-subject-token', subject).send(body);
      },
    );
    authed.delete('/v3/auth/tokens', { schema: { tags: ['identity'], summary: 'Revoke the token in X-Subject-Token', security: [{ token: [] }] } }, async (req, reply) => {
      const subject = subjectOf(req);
      await ask(req, TOKEN_KIND, hashToken(subject), 'revoke');
      return reply.code(204).send();
    });
    authed.get('/v3/auth/projects', { schema: { tags: ['identity'], summary: 'Projects the token may be scoped to', security: [{ token: [] }] } }, async (req) => {
      const { caller } = authOf(req);
      const projects = await ask<readonly ProjectView[]>(req, IDENTITY_KIND, caller.domainId, 'projectsOf');
      const base = baseUrl(req);
      return { projects: projects.map((p) => projectBody(base, p)), links: { self: `${base}/identity/v3/auth/projects`, previous: null, next: null } };
    });
    authed.get('/v3/auth/domains', { schema: { tags: ['identity'], summary: 'Domains the token may be scoped to', security: [{ token: [] }] } }, async (req) => {
      const base = baseUrl(req);
      return { domains: [domainBody(base)], links: { self: `${base}/identity/v3/auth/domains`, previous: null, next: null } };
    });
    authed.get('/v3/auth/catalog', { schema: { tags: ['identity'], summary: 'The service catalog', security: [{ token: [] }] } }, async (req) => {
      const base = baseUrl(req);
      return { catalog: catalogOf(base), links: { self: `${base}/identity/v3/auth/catalog`, previous: null, next: null } };
    });
  });
}
