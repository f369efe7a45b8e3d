// `token/<sha256 hex>`: one issued token. It answers `validate` with the token's Caller until
// the token expires (on the injected clock) or is revoked; the secret itself is never here, only
// its hash as the address. `user-tokens/<userId>` (user-tokens-actor.ts) can revoke it in bulk.
import { defineKind, refuse } from '../../supervision/index.js';
import { Forbidden, NotFound, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { isAdmin, isCaller, mustBeSystem, type Caller } from './caller.js';
import { compileCheck } from '../schema-check.js';
import { TokenMessage, type TokenRecord } from './token-messages.js';

export interface TokenState {
  readonly record: TokenRecord | null;
  readonly revoked: boolean;
}

export type TokenReply = Caller | TokenRecord | { readonly revoked: true };

const check = compileCheck(TokenMessage);

/** Keystone's answer to any bad token: it says nothing about why. */
const BAD_TOKEN = 'The request you have made requires authentication.';

export function callerOf(record: TokenRecord): Caller {
  return {
    userId: record.userId,
    userName: record.userName,
    domainId: record.domainId,
    projectId: record.projectId,
    roles: record.roles,
    expiresAt: record.expiresAt,
  };
}

export const TOKEN_KIND = 'token';

/** Keystone: a user may see and revoke its own tokens, an admin (or the fabric) anyone's. */
function ownerOrAdmin(caller: unknown, record: TokenRecord | null): ErrorValue | undefined {
  if (caller === undefined || caller === null || !isCaller(caller)) return Unauthorized('this request needs a token');
  if (isAdmin(caller) || record === null || caller.userId === record.userId) return undefined;
  return Forbidden('only the token\'s user or an admin may do this');
}

export function createTokenKind() {
  return defineKind<TokenState, TokenMessage, TokenReply>({
    name: TOKEN_KIND,
    messageTypes: { issue: true, validate: true, revoke: true, describe: true },
    initialState: { record: null, revoked: false },
    // Tokens in use stay active (each request validates); guessed or stale ones should not
    // hold memory for the system's default five minutes.
    idleAfterMs: 60_000,
    async handle(ctx, msg) {
      const bad = check(msg);
      if (bad !== undefined) return refuse(bad);
      const { record, revoked } = ctx.state;
      switch (msg.type) {
        case 'issue': {
          const denied = mustBeSystem(msg.caller);
          if (denied !== undefined) return refuse(denied);
          // A redelivered issue finds its own record; a different one would be a hash collision.
          if (record !== null && (record.userId !== msg.record.userId || record.issuedAt !== msg.record.issuedAt)) {
            return refuse(Unauthorized('token collision'));
          }
          if (record === null) await ctx.persist({ record: msg.record, revoked: false });
          return callerOf(msg.record);
        }
        case 'validate':
          if (record === null || revoked || ctx.clock.now() >= record.expiresAt) return refuse(Unauthorized(BAD_TOKEN));
          return callerOf(record);
        case 'describe': {
          const denied = ownerOrAdmin(msg.caller, record);
          if (denied !== undefined) return refuse(denied);
          if (record === null || revoked || ctx.clock.now() >= record.expiresAt) return refuse(NotFound('no such token'));
          return record;
        }
        case 'revoke': {
          const denied = ownerOrAdmin(msg.caller, record);
          if (denied !== undefined) return refuse(denied);
          if (record === null) return refuse(NotFound('no such token'));
          if (!revoked) await ctx.persist({ record, revoked: true });
          return { revoked: true };
        }
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
  });
}
