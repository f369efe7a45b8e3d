// Who is asking. The fabric node resolves the envelope's token into a Caller and puts it on the
// message as `caller` (a client-supplied `caller` is always discarded), so every actor decides
// what a request may do from its project and roles, whichever face (SDK, MQTT, REST) it came by.
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
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

/** The shape of a Caller, for the check functions: message schemas declare `caller` as Unknown. */
export const CallerSchema = Type.Object({
  userId: Type.String({ minLength: 1 }),
  userName: Type.String({ minLength: 1 }),
  domainId: Type.String({ minLength: 1 }),
  projectId: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  roles: Type.Array(Type.Union(ROLES.map((r) => Type.Literal(r)))),
  expiresAt: Type.Number(),
  system: Type.Optional(Type.Literal(true)),
});

const checkCaller = TypeCompiler.Compile(CallerSchema);

/** Whether a message's `caller` field has the shape of a Caller. */
export function isCaller(value: unknown): value is Caller {
  return checkCaller.Check(value);
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

/**
 * An absent caller (undefined; null is what the fabric node puts on a request that came without
 * a token) needs a token; a malformed one (a bug of the sender) is refused the same.
 */
function authenticated(caller: unknown): Caller | ErrorValue {
  if (caller === undefined || caller === null) return Unauthorized('this request needs a token');
  if (!isCaller(caller)) return Unauthorized('the request carries no valid caller');
  return caller;
}

function isCallerValue(x: Caller | ErrorValue): x is Caller {
  return 'userId' in x;
}

/** Reading a project's resources: its members and readers, or an admin. */
export function mayRead(caller: unknown, projectId: string): ErrorValue | undefined {
  const who = authenticated(caller);
  if (!isCallerValue(who)) return who;
  if (isAdmin(who)) return undefined;
  if (who.projectId !== projectId) return Forbidden('the resource belongs to another project');
  return undefined;
}

/** Changing a project's resources: its members, or an admin; readers may not. */
export function mayWrite(caller: unknown, projectId: string): ErrorValue | undefined {
  const denied = mayRead(caller, projectId);
  if (denied !== undefined) return denied;
  const who = caller as Caller;
  if (!isAdmin(who) && !who.roles.includes('member')) return Forbidden('the reader role may not change anything');
  return undefined;
}

/** Cloud-wide administration (flavors, hosts, quotas of other projects). */
export function mustBeAdmin(caller: unknown): ErrorValue | undefined {
  const who = authenticated(caller);
  if (!isCallerValue(who)) return who;
  return isAdmin(who) ? undefined : Forbidden('only admin may do this');
}

/** The fabric's own actors only (bootstrap, token minting): no token can pass this. */
export function mustBeSystem(caller: unknown): ErrorValue | undefined {
  const who = authenticated(caller);
  if (!isCallerValue(who)) return who;
  return who.system === true ? undefined : Forbidden('only the fabric itself may do this');
}
