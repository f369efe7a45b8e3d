// Who is asking, for every request but the version documents and the login itself: the
// X-Auth-Token is checked up front by asking its token actor (`token/<sha256>` validate, with the
// token in the envelope), so a missing, wrong, expired or revoked token is a 401 before any
// validation or work. Routes then send the same token with each of their asks.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashToken, TOKEN_KIND, type Caller } from '../actors/identity/index.js';
import { Unauthorized, type Result } from '../transports/errors.js';
import { fail, must } from './errors.js';
import type { ActorGateway } from './gateway.js';

export interface Auth {
  readonly token: string;
  readonly caller: Caller;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The actors, through the fabric's messaging. */
    readonly actors: ActorGateway;
  }
  interface FastifyRequest {
    /** Set by requireToken: the request's token and the caller it resolved to. */
    auth: Auth | null;
  }
}

const NEEDS_AUTH = 'The request you have made requires authentication.';

/** The X-Auth-Token header, if the request has one. */
export function tokenOf(req: FastifyRequest, header = 'x-auth-token'): string | null {
  const raw = req.headers[header];
  const token = Array.isArray(raw) ? raw[0] : raw;
  return token === undefined || token === '' ? null : token;
}

/** Resolves a token into its caller (401 for any token that is not valid now). */
export async function resolveToken(actors: ActorGateway, token: string): Promise<Caller> {
  const answer = await actors.ask<Caller>(TOKEN_KIND, hashToken(token), 'validate', {}, token);
  if (!answer.ok && answer.error.status >= 500) return must(answer);
  if (!answer.ok) fail(Unauthorized(NEEDS_AUTH));
  return answer.value;
}

/** onRequest hook of every protected route. */
export async function requireToken(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const token = tokenOf(req);
  if (token === null) fail(Unauthorized(NEEDS_AUTH));
  req.auth = { token, caller: await resolveToken(req.server.actors, token) };
}

/** The authenticated caller of a protected route. */
export function authOf(req: FastifyRequest): Auth {
  if (req.auth === null) fail(Unauthorized(NEEDS_AUTH));
  return req.auth;
}

/** Asks an actor with the request's token; answers the Result (for routes that branch on errors). */
export function tryAsk<T>(req: FastifyRequest, kind: string, id: string, type: string, body: Record<string, unknown> = {}): Promise<Result<T>> {
  return req.server.actors.ask<T>(kind, id, type, body, req.auth?.token ?? null);
}

/** Asks an actor with the request's token; a refusal is thrown for the error handler. */
export async function ask<T>(req: FastifyRequest, kind: string, id: string, type: string, body: Record<string, unknown> = {}): Promise<T> {
  return must(await tryAsk<T>(req, kind, id, type, body));
}
