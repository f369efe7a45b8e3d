// Wiring of the identity service into an actor system: its three kinds, the idempotent
// first-start set-up of the admin, and password authentication for in-process callers (the SDK,
// the REST API's Keystone routes).
import type { ActorSystem } from '../../supervision/index.js';
import { err, ok, Unauthorized, type Result } from '../../transports/errors.js';
import { DEFAULT_COST } from '../../transports/password-hash.js';
import { noEvents, type EventSink } from '../events.js';
import { AUTH_FAILED } from './authenticate.js';
import { SYSTEM_CALLER } from './caller.js';
import { createIdentityKind, IDENTITY_KIND } from './identity-actor.js';
import type { AuthResult, BootstrapResult, IdentityMessage } from './identity-messages.js';
import { domainIdOf } from './identity-state.js';
import { createTokenKind } from './token-actor.js';
import { createUserTokensKind } from './user-tokens-actor.js';

/** Keystone's default token lifetime (`[token] expiration = 3600`). */
export const DEFAULT_TOKEN_TTL_MS = 3_600_000;
export const DEFAULT_DOMAIN_ID = 'default';

export interface IdentityOptions {
  /** Token lifetime on the system's clock (default one hour). */
  readonly tokenTtlMs?: number;
  /** Where project and role events go (default: nowhere). */
  readonly events?: EventSink;
  /** scrypt cost N of password hashes (default 2^14); tests may lower it. */
  readonly passwordCost?: number;
}

/** Registers identity/<d>, token/<hash> and user-tokens/<userId>. */
export function registerIdentity(system: ActorSystem, options: IdentityOptions = {}): Result<void> {
  const identity = createIdentityKind({
    tokenTtlMs: options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS,
    passwordCost: options.passwordCost ?? DEFAULT_COST,
    events: options.events ?? noEvents,
  });
  for (const result of [system.register(identity), system.register(createTokenKind()), system.register(createUserTokensKind())]) {
    if (!result.ok) return result;
  }
  return ok(undefined);
}

/** An admin bootstrap whose password hash may still be computing. */
export interface StartedBootstrap {
  readonly admin: BootstrapResult;
  /**
   * Stores the admin's password hash (a serial turn of identity/<d> while scrypt runs on libuv's
   * pool); logins that arrive before it wait for the hash. Call it after sending what must not
   * wait behind the hash (mintToken).
   */
  settle(): Promise<Result<void>>;
}

/**
 * First start: project `admin`, user `admin` (role admin on the project and the domain) with
 * this password. Idempotent: an existing admin keeps the password it has. Answers before the
 * password's hash is stored; see StartedBootstrap.settle.
 */
export async function startBootstrap(system: ActorSystem, options: { readonly password: string; readonly domainId?: string }): Promise<Result<StartedBootstrap>> {
  const ref = system.ref(IDENTITY_KIND, options.domainId ?? DEFAULT_DOMAIN_ID);
  const msg: IdentityMessage = { type: 'bootstrap', caller: SYSTEM_CALLER, adminPassword: options.password };
  const answer = (await ref.ask(msg)) as Result<BootstrapResult>;
  if (!answer.ok) return answer;
  const settlePasswords: IdentityMessage = { type: 'settlePasswords', caller: SYSTEM_CALLER };
  const settle = async (): Promise<Result<void>> => {
    const settled = await ref.ask(settlePasswords);
    return settled.ok ? ok(undefined) : settled;
  };
  return ok({ admin: answer.value, settle });
}

/** startBootstrap, then its settle: the admin's password is durable when this answers. */
export async function bootstrapAdmin(system: ActorSystem, options: { readonly password: string; readonly domainId?: string }): Promise<Result<BootstrapResult>> {
  const started = await startBootstrap(system, options);
  if (!started.ok) return started;
  const settled = await started.value.settle();
  return settled.ok ? ok(started.value.admin) : settled;
}

/**
 * A token for a user without its password, for the process that owns the store (its own admin
 * client). The identity actor refuses this message from any caller but the fabric itself.
 */
export async function mintToken(system: ActorSystem, login: Omit<PasswordLogin, 'password'>): Promise<Result<AuthResult>> {
  const domainId = domainIdOf(login.domainName ?? 'Default');
  if (domainId === undefined) return err(Unauthorized(AUTH_FAILED));
  const msg: IdentityMessage = {
    type: 'mintToken',
    caller: SYSTEM_CALLER,
    userName: login.userName,
    ...(login.projectName === undefined ? {} : { projectName: login.projectName }),
    ...(login.projectId === undefined ? {} : { projectId: login.projectId }),
    ...(login.scope === undefined ? {} : { scope: login.scope }),
  };
  return (await system.ref(IDENTITY_KIND, domainId).ask(msg)) as Result<AuthResult>;
}

export interface PasswordLogin {
  readonly userName: string;
  readonly password: string;
  /** The user's (and project's) domain name; default `Default`. */
  readonly domainName?: string;
  readonly projectName?: string;
  readonly projectId?: string;
  /** A domain-scoped token (roles on the domain; admins only, in practice). */
  readonly scope?: 'domain';
}

/** Password authentication: a new token, its Caller and its expiry; UNAUTHORIZED otherwise. */
export async function issueToken(system: ActorSystem, login: PasswordLogin): Promise<Result<AuthResult>> {
  const domainId = domainIdOf(login.domainName ?? 'Default');
  if (domainId === undefined) return err(Unauthorized(AUTH_FAILED));
  const msg: IdentityMessage = {
    type: 'authenticate',
    userName: login.userName,
    password: login.password,
    ...(login.projectName === undefined ? {} : { projectName: login.projectName }),
    ...(login.projectId === undefined ? {} : { projectId: login.projectId }),
    ...(login.scope === undefined ? {} : { scope: login.scope }),
  };
  return (await system.ref(IDENTITY_KIND, domainId).ask(msg)) as Result<AuthResult>;
}
