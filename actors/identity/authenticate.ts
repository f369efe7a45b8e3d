// Tokens from identity/<d> (Keystone v3 POST /v3/auth/tokens): by password (the scrypt check),
// by a valid token (rescoping), or for the fabric itself; then the scope (a project, the domain,
// the default project or none) and the minting of a token whose hash goes to user-tokens/<u> and
// then to token/<hash>.
// The scrypt check runs inside the domain's serial mailbox: at the default cost (2^14) it takes
// ~70 ms on the 2-core dev machine, so one domain serves ~13 logins/s; tokens last an hour.
import { refuse, type GrainContext, type Refusal } from '../../supervision/index.js';
import { BadRequest, Unauthorized, Unavailable } from '../../transports/errors.js';
import { hashPassword, verifyPassword, type PasswordHash } from '../../transports/password-hash.js';
import { SYSTEM_CALLER, type Caller, type Role } from './caller.js';
import type { AuthResult, IdentityMessage } from './identity-messages.js';
import { assignedRoles, projectByName, userByName, withImplied, type IdentityState, type ProjectRecord, type UserRecord } from './identity-state.js';
import { callerOf, TOKEN_KIND } from './token-actor.js';
import type { TokenMessage, TokenRecord, TokenTarget, UserTokensMessage } from './token-messages.js';
import { hashToken, newToken } from './tokens.js';
import { USER_TOKENS_KIND } from './user-tokens-actor.js';

type Ctx = GrainContext<IdentityState, IdentityMessage>;
type Authenticate = Extract<IdentityMessage, { type: 'authenticate' }>;
type MintToken = Extract<IdentityMessage, { type: 'mintToken' }>;
type Rescope = Extract<IdentityMessage, { type: 'rescope' }>;
/** The scope fields the three ways to a token share. */
type ScopeRequest = Pick<Authenticate, 'projectId' | 'projectName' | 'scope'>;

/** Keystone's answer to every failed authentication: it tells nothing about which part failed. */
export const AUTH_FAILED = 'The request you have made requires authentication.';

interface Scope {
  readonly projectId: string | null;
  readonly domainScoped: boolean;
  readonly roles: readonly Role[];
}

export interface Authenticator {
  readonly tokenTtlMs: number;
  /** A hash checked when the user is unknown, so a refusal takes as long either way. */
  decoy(): Promise<PasswordHash>;
  /**
   * The user's password hash: stored, or still being computed (the admin's at first start, so a
   * login arriving meanwhile waits for it); undefined when the user has none to check.
   */
  passwordOf(domainId: string, user: UserRecord): Promise<PasswordHash | undefined>;
}

export function decoyFor(cost: number): () => Promise<PasswordHash> {
  let decoy: Promise<PasswordHash> | undefined;
  return () => (decoy ??= hashPassword('', cost));
}

function projectScope(state: IdentityState, userId: string, project: ProjectRecord | undefined): Scope | undefined {
  if (project === undefined || !project.enabled) return undefined;
  const roles = assignedRoles(state, userId, project.id);
  return roles.length === 0 ? undefined : { projectId: project.id, domainScoped: false, roles: withImplied(roles) };
}

/** The token's scope, or undefined when the user may not have it (401, as Keystone). */
function scopeOf(state: IdentityState, userId: string, defaultProjectId: string | null, msg: ScopeRequest): Scope | undefined {
  if (msg.projectId !== undefined) return projectScope(state, userId, state.projects[msg.projectId]);
  if (msg.projectName !== undefined) return projectScope(state, userId, projectByName(state, msg.projectName));
  if (msg.scope === 'domain') {
    const roles = assignedRoles(state, userId, null);
    return roles.length === 0 ? undefined : { projectId: null, domainScoped: true, roles: withImplied(roles) };
  }
  // Keystone: no scope asked means the default project when the user holds a role there.
  const preferred = defaultProjectId === null ? undefined : projectScope(state, userId, state.projects[defaultProjectId]);
  return preferred ?? { projectId: null, domainScoped: false, roles: [] };
}

function targetOf(scope: Scope): TokenTarget {
  if (scope.projectId !== null) return scope.projectId;
  return scope.domainScoped ? '@domain' : '@unscoped';
}

function scopeAsked(msg: ScopeRequest): number {
  return [msg.projectId, msg.projectName, msg.scope].filter((x) => x !== undefined).length;
}

export async function authenticate(ctx: Ctx, msg: Authenticate, auth: Authenticator): Promise<AuthResult | Refusal> {
  if (scopeAsked(msg) > 1) return refuse(BadRequest('give one scope: projectId, projectName or scope "domain"'));
  const state = ctx.state;
  const user = userByName(state, msg.userName);
  const stored = user === undefined ? undefined : await auth.passwordOf(ctx.id, user);
  const matches = await verifyPassword(msg.password, stored ?? (await auth.decoy()));
  if (user === undefined || stored === undefined || !matches || !user.enabled) return refuse(Unauthorized(AUTH_FAILED));
  return mint(ctx, user, msg, auth.tokenTtlMs);
}

/**
 * A token for a user named by the fabric itself, without a password (the process that owns the
 * store logs its own admin client in this way). SYSTEM only: no token or password reaches it.
 */
export async function mintForSystem(ctx: Ctx, msg: MintToken, auth: Authenticator): Promise<AuthResult | Refusal> {
  if (scopeAsked(msg) > 1) return refuse(BadRequest('give one scope: projectId, projectName or scope "domain"'));
  const user = userByName(ctx.state, msg.userName);
  if (user === undefined || !user.enabled) return refuse(Unauthorized(AUTH_FAILED));
  return mint(ctx, user, msg, auth.tokenTtlMs);
}

/**
 * Keystone's token method (POST /v3/auth/tokens, methods ["token"]): a valid token buys a token
 * of the same user on another scope it holds a role on, expiring when the presented one does.
 */
export async function rescope(ctx: Ctx, msg: Rescope, caller: Caller): Promise<AuthResult | Refusal> {
  if (scopeAsked(msg) > 1) return refuse(BadRequest('give one scope: projectId, projectName or scope "domain"'));
  const user = ctx.state.users[caller.userId];
  if (caller.system === true || caller.domainId !== ctx.id || user === undefined || !user.enabled) return refuse(Unauthorized(AUTH_FAILED));
  return mint(ctx, user, msg, Math.max(0, caller.expiresAt - ctx.clock.now()));
}

/** A new token of `user` on the scope `asked`, valid for `ttlMs`; 401 when it holds no role there. */
async function mint(ctx: Ctx, user: UserRecord, asked: ScopeRequest, ttlMs: number): Promise<AuthResult | Refusal> {
  const scope = scopeOf(ctx.state, user.id, user.defaultProjectId, asked);
  if (scope === undefined) return refuse(Unauthorized(AUTH_FAILED));
  const token = newToken();
  const hash = hashToken(token);
  const now = ctx.clock.now();
  const record: TokenRecord = {
    userId: user.id,
    userName: user.name,
    domainId: ctx.id,
    projectId: scope.projectId,
    domainScoped: scope.domainScoped,
    roles: [...scope.roles],
    issuedAt: now,
    expiresAt: now + ttlMs,
  };
  // Both writes at once, and the token is revealed only once both are durable: a token anyone
  // holds is always on the user's list for sweeps to find. A crash between them leaves at most a
  // record whose secret nobody was given. Sweeps cannot run meanwhile: they run in this mailbox.
  const add: UserTokensMessage = { type: 'add', caller: SYSTEM_CALLER, hash, target: targetOf(scope), expiresAt: record.expiresAt };
  const issue: TokenMessage = { type: 'issue', caller: SYSTEM_CALLER, record };
  const [listed, issued] = await Promise.all([ctx.ref(USER_TOKENS_KIND, user.id).ask(add), ctx.ref(TOKEN_KIND, hash).ask(issue)]);
  if (!listed.ok) return refuse(Unavailable(`could not record the token: ${listed.error.code}`));
  if (!issued.ok) return refuse(Unavailable(`could not store the token: ${issued.error.code}`));
  return { token, caller: callerOf(record), expiresAt: record.expiresAt };
}
