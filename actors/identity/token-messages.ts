// Messages of `token/<sha256 hex of the token>` (one actor per issued token) and of
// `user-tokens/<userId>` (the hashes of a user's live tokens, so that disabling or deleting the
// user, changing its password or revoking its role revokes them), as TypeBox schemas.
import { Type, type Static } from '@sinclair/typebox';
import { Id, RoleName } from './identity-messages.js';

const CallerField = Type.Optional(Type.Unknown());
const strict = { additionalProperties: false } as const;
/** sha256 hex of a token: the only form in which a token is stored or addressed. */
export const TokenHash = Type.String({ pattern: '^[0-9a-f]{64}$' });
/** What a token is scoped to: a project id, `@domain` or `@unscoped` (user-tokens sweeps). */
export const TokenTarget = Type.Union([Id, Type.Literal('@domain'), Type.Literal('@unscoped')]);
export type TokenTarget = Static<typeof TokenTarget>;

export const TokenRecord = Type.Object(
  {
    userId: Id,
    userName: Type.String({ minLength: 1 }),
    domainId: Type.String({ minLength: 1 }),
    projectId: Type.Union([Id, Type.Null()]),
    domainScoped: Type.Boolean(),
    roles: Type.Array(RoleName),
    issuedAt: Type.Number(),
    expiresAt: Type.Number(),
  },
  strict,
);
export type TokenRecord = Static<typeof TokenRecord>;

export const TokenMessage = Type.Union([
  /** Stores a freshly minted token's record. SYSTEM only (identity/<d> after authentication). */
  Type.Object({ type: Type.Literal('issue'), caller: CallerField, record: TokenRecord }, strict),
  /** The token's Caller, or UNAUTHORIZED when it is unknown, expired or revoked. */
  Type.Object({ type: Type.Literal('validate'), caller: CallerField }, strict),
  /** By the token's own user, an admin or the fabric; idempotent. */
  Type.Object({ type: Type.Literal('revoke'), caller: CallerField }, strict),
  /** The whole record (issuedAt, domain scope) of a valid token, for Keystone's GET /v3/auth/tokens; its user or an admin. */
  Type.Object({ type: Type.Literal('describe'), caller: CallerField }, strict),
]);
export type TokenMessage = Static<typeof TokenMessage>;

export const UserTokensMessage = Type.Union([
  Type.Object({ type: Type.Literal('add'), caller: CallerField, hash: TokenHash, target: TokenTarget, expiresAt: Type.Number() }, strict),
  /** Revokes the user's live tokens on `target`, or all of them ('*'). SYSTEM only. */
  Type.Object({ type: Type.Literal('sweep'), caller: CallerField, target: Type.Union([TokenTarget, Type.Literal('*')]) }, strict),
]);
export type UserTokensMessage = Static<typeof UserTokensMessage>;
