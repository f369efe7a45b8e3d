// Who is asking. The fabric node resolves the envelope's token into a Caller and puts it on the
// message as `caller` (a client-supplied `caller` is always discarded), so every actor decides
// what a request may do from its project and roles, whichever face (SDK, MQTT, REST) it came by.
import { Forbidden, Unauthorized, type ErrorValue } from '../../transports/errors.js';

export type Role = 'admin' | 'member' | 'reader';

export const ROLES: readonly Role[] = ['admin', 'member', 'reader'];

export interface Caller {
  readonly userId: string;
  readonly userName: string;
  readonly domainId: string;
  /** The project the token is scoped to; null for domain-scoped or unscoped tokens. */
  readonly projectId: string | null;
  readonly roles: readonly Role[];
  /** When the token stops being valid (ms since the epoch). */
  readonly expiresAt: number;
  /** True only for the fabric's own actors (scheduler, hosts); no token can carry it. */
  readonly system?: true;
}

/** The fabric's own actors, acting on their own behalf (never issued as a token). */
export const SYSTEM_CALLER: Caller = {
  userId: 'system',
  userName: 'system',
  domainId: 'default',
  projectId: null,
  roles: ['admin'],
  expiresAt: Number.MAX_SAFE_INTEGER,
  system: true,
};

export function isAdmin(caller: Caller): boolean {
  return caller.roles.includes('admin');
}

/** Reading a project's resources: its members and readers, or an admin. */
export function mayRead(caller: Caller | undefined, projectId: string): ErrorValue | undefined {
  if (caller === undefined) return Unauthorized('this request needs a token');
  if (isAdmin(caller)) return undefined;
  if (caller.projectId !== projectId) return Forbidden('the resource belongs to another project');
  return undefined;
}

/** Changing a project's resources: its members, or an admin; readers may not. */
export function mayWrite(caller: Caller | undefined, projectId: string): ErrorValue | undefined {
  const denied = mayRead(caller, projectId);
  if (denied !== undefined) return denied;
  if (!isAdmin(caller!) && !caller!.roles.includes('member')) return Forbidden('the reader role may not change anything');
  return undefined;
}

/** Cloud-wide administration (flavors, hosts, quotas of other projects). */
export function mustBeAdmin(caller: Caller | undefined): ErrorValue | undefined {
  if (caller === undefined) return Unauthorized('this request needs a token');
  return isAdmin(caller) ? undefined : Forbidden('only admin may do this');
}
