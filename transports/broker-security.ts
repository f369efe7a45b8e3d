// The embedded broker's pluggable security: an authenticator turns CONNECT credentials into a
// principal whose grants (MQTT topic filters) decide every PUBLISH and SUBSCRIBE. Roles and
// their grants live in acl.ts; a table-driven test authenticator in static-authenticator.ts.
import type { ErrorValue } from './errors.js';

/** What a connected client may do. Filters use MQTT wildcards (`+`, `#`). */
export interface Principal {
  /** Who this is (user id, node id); logged, never a secret. */
  readonly id: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

export interface Authenticator {
  /** Checks CONNECT credentials; a value with a code means refused. */
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | ErrorValue>;
}

/**
 * Whether a topic (PUBLISH) or a subscription filter (SUBSCRIBE) falls wholly under one of the
 * grants. A filter passes only if every topic it can match is matched by a single grant, so
 * `cumulo/reply/+` or `cumulo/#` never slip through a grant of `cumulo/reply/alice`.
 */
export function permits(grants: readonly string[], topicOrFilter: string): boolean {
  if (!isWellFormed(topicOrFilter)) return false;
  for (const g of grants) {
    if (covers(g, topicOrFilter)) return true;
  }
  return false;
}

/**
 * Whether the set of topics matched by `filter` is a subset of those matched by `grant`
 * (MQTT 3.1.1 §4.7: `+` is one level, `#` this level and all below, including the parent).
 */
export function covers(grant: string, filter: string): boolean {
  const g = grant.split('/');
  const f = filter.split('/');
  // §4.7.2: a grant starting with a wildcard does not reach `$` topics (`$SYS/...`).
  if ((g[0] === '+' || g[0] === '#') && f[0]?.startsWith('$') === true) return false;
  for (let i = 0; i < g.length; i++) {
    const gl = g[i] as string;
    if (gl === '#') return true;
    const fl = f[i];
    if (fl === undefined || fl === '#') return false;
    if (gl === '+') continue;
    if (fl !== gl) return false; // a literal grant level covers only the same literal
  }
  return f.length === g.length;
}

/** `+` and `#` only as whole levels, `#` only last (§4.7.1); anything else is refused. */
function isWellFormed(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l === '#' ? i === levels.length - 1 : l === '+' || (!l.includes('+') && !l.includes('#'))));
}
