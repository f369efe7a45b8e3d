// Token checks for every request: a token is hashed and its token/<hash> actor asked for the
// Caller. An optional cache (cacheMs) answers repeats without the ask; a revoked token is then
// accepted for at most cacheMs more. No token at all resolves to no caller: the request reaches
// the actor anonymously and every check refuses it, except identity's `authenticate`.
//
// Why no cache by default: measured on the 2-core dev machine (LMDB store), a validation costs
// ~4.4 µs with the token actor active (~2.1 µs from the cache) and ~110 µs when the actor must
// be activated from the store, against ~100-200 µs for one request's MQTT round trip. Exact
// revocation is worth those few microseconds; a deployment may trade it for a cache.
import type { ActorSystem } from '../../supervision/index.js';
import { err, ok, Unauthorized, type Result } from '../../transports/errors.js';
import type { Caller } from './caller.js';
import { TOKEN_KIND } from './token-actor.js';
import type { TokenMessage } from './token-messages.js';
import { hashToken, looksLikeToken } from './tokens.js';

export type TokenVerifier = (token: string | null) => Promise<Result<Caller | undefined>>;

export interface VerifierOptions {
  /** How long a validated token is answered from memory (default 0: every request asks). */
  readonly cacheMs?: number;
  /** Bound of the cache (default 10 000 tokens; the oldest entries go first). */
  readonly cacheSize?: number;
}

interface Cached {
  readonly caller: Caller;
  readonly until: number;
}

const VALIDATE: TokenMessage = { type: 'validate' };
const BAD_TOKEN = 'The request you have made requires authentication.';

export function tokenVerifier(system: ActorSystem, options: VerifierOptions = {}): TokenVerifier {
  const cacheMs = options.cacheMs ?? 0;
  const cacheSize = options.cacheSize ?? 10_000;
  // Keyed by hash, so the cache holds no secret.
  const cache = new Map<string, Cached>();
  const clock = system.clock;
  // One token remembered with its hash: no more than a request in flight holds anyway.
  let lastToken = '';
  let lastHash = '';

  return async (token) => {
    if (token === null || token === '') return ok(undefined);
    if (!looksLikeToken(token)) return err(Unauthorized(BAD_TOKEN));
    // A burst of messages with one token (an API request fans out to many actors) hashes it once.
    let hash: string;
    if (token === lastToken) hash = lastHash;
    else {
      hash = hashToken(token);
      lastToken = token;
      lastHash = hash;
    }
    if (cacheMs > 0) {
      const hit = cache.get(hash);
      if (hit !== undefined) {
        if (clock.now() < hit.until) return ok(hit.caller);
        cache.delete(hash);
      }
    }
    const answer = await system.ref(TOKEN_KIND, hash).ask(VALIDATE);
    if (!answer.ok) return answer;
    const caller = answer.value as Caller;
    if (cacheMs > 0) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      // Never past the token's own expiry.
      cache.set(hash, { caller, until: Math.min(clock.now() + cacheMs, caller.expiresAt) });
    }
    return ok(caller);
  };
}
