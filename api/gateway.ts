// How the REST routes reach the actors: the same request/reply over the fabric's messaging that
// the SDK's Session uses, with the HTTP request's X-Auth-Token in the envelope. The fabric node
// resolves the token into the caller, so a route decides nothing about permissions itself.
import type { Endpoint } from '../transports/endpoint.js';
import { BadRequest, type Result } from '../transports/errors.js';
import { topics } from '../transports/topics.js';

export interface ActorGateway {
  /** Sends `type` with `body` to the actor `kind/id`, carrying `token` (null: an anonymous request). */
  ask<T = unknown>(kind: string, id: string, type: string, body: Record<string, unknown>, token: string | null): Promise<Result<T>>;
}

/** An actor id as the runtime accepts it; anything else cannot name an existing resource. */
const PLAIN_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export function isPlainId(id: string): boolean {
  return PLAIN_ID.test(id);
}

export function endpointGateway(endpoint: Endpoint, options: { readonly timeoutMs?: number } = {}): ActorGateway {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    async ask<T>(kind: string, id: string, type: string, body: Record<string, unknown>, token: string | null): Promise<Result<T>> {
      if (!isPlainId(id)) return { ok: false, error: BadRequest(`not an actor id: ${JSON.stringify(id).slice(0, 140)}`) };
      const sent = await endpoint.ask(topics.mailboxOf(kind, id), `${kind}/${id}`, type, body, token === null ? { timeoutMs } : { token, timeoutMs });
      return sent as Result<T>;
    },
  };
}
