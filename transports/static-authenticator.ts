// A test Authenticator from a fixed table of users: username → password and role. Passwords
// are hashed with scrypt when the table is loaded and only the hashes are kept. The identity
// service replaces it with token authentication (username `token`, password the token).
import type { Authenticator, Principal } from './broker-security.js';
import { grantsFor, type RoleBinding } from './acl.js';
import { isErrorValue, Unauthorized, type ErrorValue } from './errors.js';
import { DEFAULT_COST, hashPassword, verifyPassword, type PasswordHash } from './password-hash.js';

export type StaticUser = RoleBinding & { readonly password: string };

export interface StaticAuthenticatorOptions {
  /** scrypt cost N; tests may lower it (a power of two, at least 2). */
  readonly cost?: number;
}

interface Entry {
  readonly binding: RoleBinding;
  readonly hash: PasswordHash;
}

/** Drops the password: what the table keeps of a user besides its hash. */
function bindingOf(user: StaticUser): RoleBinding {
  const clientIds = user.clientIds === undefined ? {} : { clientIds: [...user.clientIds] };
  return user.role === 'node' ? { role: 'node', ...clientIds } : { role: user.role, projectId: user.projectId, ...clientIds };
}

export async function createStaticAuthenticator(
  users: Readonly<Record<string, StaticUser>>,
  options: StaticAuthenticatorOptions = {},
): Promise<Authenticator> {
  const cost = options.cost ?? DEFAULT_COST;
  const entries = new Map<string, Entry>();
  await Promise.all(
    Object.entries(users).map(async ([username, user]) => {
      entries.set(username, { binding: bindingOf(user), hash: await hashPassword(user.password, cost) });
    }),
  );
  // Unknown users are checked against this too, so a refusal takes as long either way.
  const decoy = await hashPassword(Buffer.alloc(0), cost);

  return {
    async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | ErrorValue> {
      if (username === undefined || password === undefined) return Unauthorized('username and password are required');
      const entry = entries.get(username);
      const matches = await verifyPassword(password, entry?.hash ?? decoy);
      if (entry === undefined || !matches) return Unauthorized('bad username or password');
      const grants = grantsFor(entry.binding, clientId);
      if (isErrorValue(grants)) return grants;
      return { id: username, ...grants };
    },
  };
}
