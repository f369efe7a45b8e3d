// The state of `identity/<domainId>` and the pure lookups over it: projects and users by id
// (names are unique per domain), role assignments, and the token sweeps still to run. Passwords
// are kept only as scrypt hashes (transports/password-hash.ts), as hex so any store encodes them.
import type { PasswordHash } from '../../transports/password-hash.js';
import type { Role } from './caller.js';
import type { AssignmentView, ProjectView, UserView } from './identity-messages.js';

export interface StoredPassword {
  readonly salt: string;
  readonly hash: string;
  readonly cost: number;
}

export interface ProjectRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
}

export interface UserRecord {
  readonly id: string;
  readonly name: string;
  /** null only while the bootstrap's hash is computed (identity-actor.ts, settlePasswords). */
  readonly password: StoredPassword | null;
  readonly defaultProjectId: string | null;
  readonly enabled: boolean;
}

/** A role on a project, or on the domain when projectId is null. */
export interface AssignmentRecord {
  readonly userId: string;
  readonly projectId: string | null;
  readonly role: Role;
}

/** Tokens of a user to revoke; kept until user-tokens/<u> confirms. */
export interface Sweep {
  readonly userId: string;
  /** A TokenTarget (project id, `@domain`, `@unscoped`), or `*` for all of the user's tokens. */
  readonly target: string;
}

export interface IdentityState {
  /** By id (32 hex: never `__proto__`). */
  readonly projects: Readonly<Record<string, ProjectRecord>>;
  readonly users: Readonly<Record<string, UserRecord>>;
  readonly assignments: readonly AssignmentRecord[];
  readonly sweeps: readonly Sweep[];
}

export const EMPTY_IDENTITY: IdentityState = { projects: {}, users: {}, assignments: [], sweeps: [] };

/** Domains by id. Only `default` exists for now; its name is Keystone's `Default`. */
const DOMAIN_NAMES: ReadonlyMap<string, string> = new Map([['default', 'Default']]);

export function domainNameOf(domainId: string): string | undefined {
  return DOMAIN_NAMES.get(domainId);
}

export function domainIdOf(domainName: string): string | undefined {
  for (const [id, name] of DOMAIN_NAMES) if (name === domainName) return id;
  return undefined;
}

export function projectByName(state: IdentityState, name: string): ProjectRecord | undefined {
  for (const p of Object.values(state.projects)) if (p.name === name) return p;
  return undefined;
}

export function userByName(state: IdentityState, name: string): UserRecord | undefined {
  for (const u of Object.values(state.users)) if (u.name === name) return u;
  return undefined;
}

/** The roles assigned to a user on a project (or on the domain: null), as stored. */
export function assignedRoles(state: IdentityState, userId: string, projectId: string | null): Role[] {
  return state.assignments.filter((a) => a.userId === userId && a.projectId === projectId).map((a) => a.role);
}

/**
 * Keystone's default implied roles: admin implies member, member implies reader. A token carries
 * the closure, so `member` checks pass for admins and `reader` checks for everyone with a role.
 */
export function withImplied(roles: readonly Role[]): Role[] {
  const has = new Set(roles);
  if (has.has('admin')) has.add('member');
  if (has.has('member')) has.add('reader');
  return (['admin', 'member', 'reader'] as const).filter((r) => has.has(r));
}

export function toStored(hash: PasswordHash): StoredPassword {
  return { salt: hash.salt.toString('hex'), hash: hash.hash.toString('hex'), cost: hash.cost };
}

export function fromStored(stored: StoredPassword): PasswordHash {
  return { salt: Buffer.from(stored.salt, 'hex'), hash: Buffer.from(stored.hash, 'hex'), cost: stored.cost };
}

export function projectView(domainId: string, p: ProjectRecord): ProjectView {
  return { id: p.id, name: p.name, domainId, description: p.description, enabled: p.enabled };
}

export function userView(domainId: string, u: UserRecord): UserView {
  return { id: u.id, name: u.name, domainId, defaultProjectId: u.defaultProjectId, enabled: u.enabled };
}

export function assignmentView(domainId: string, a: AssignmentRecord): AssignmentView {
  return { userId: a.userId, projectId: a.projectId, domainId, role: a.role };
}
