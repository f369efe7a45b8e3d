// `user-tokens/<userId>`: the hashes of a user's live tokens and what each is scoped to, so that
// identity/<d> can revoke them when the user is disabled or deleted, its password changes, or it
// loses its role on a project (Keystone revokes tokens in the same cases). Validation never
// comes here: a token actor answers alone, so validations run in parallel across tokens.
import { defineKind, refuse, type GrainContext } from '../../supervision/index.js';
import { NotFound } from '../../transports/errors.js';
import { mustBeSystem, SYSTEM_CALLER } from './caller.js';
import { compileCheck } from '../schema-check.js';
import { TOKEN_KIND } from './token-actor.js';
import { UserTokensMessage, type TokenMessage, type TokenTarget } from './token-messages.js';

interface LiveToken {
  readonly hash: string;
  readonly target: TokenTarget;
  readonly expiresAt: number;
}

export interface UserTokensState {
  readonly tokens: readonly LiveToken[];
}

export type UserTokensReply = { readonly live: number } | { readonly revoked: number; readonly left: number };

const check = compileCheck(UserTokensMessage);

export const USER_TOKENS_KIND = 'user-tokens';

/** Revokes one token; true when it is gone for good (revoked now, before, or never stored). */
async function revokeOne(ctx: GrainContext<UserTokensState, UserTokensMessage>, hash: string): Promise<boolean> {
  const revoke: TokenMessage = { type: 'revoke', caller: SYSTEM_CALLER };
  const result = await ctx.ref(TOKEN_KIND, hash).ask(revoke);
  return result.ok || NotFound.is(result.error);
}

export function createUserTokensKind() {
  return defineKind<UserTokensState, UserTokensMessage, UserTokensReply>({
    name: USER_TOKENS_KIND,
    messageTypes: { add: true, sweep: true },
    initialState: { tokens: [] },
    async handle(ctx, msg) {
      const bad = check(msg) ?? mustBeSystem(msg.caller);
      if (bad !== undefined) return refuse(bad);
      const now = ctx.clock.now();
      // Expired tokens need no revocation: dropping them keeps the list as small as the live set.
      const live = ctx.state.tokens.filter((t) => t.expiresAt > now);
      switch (msg.type) {
        case 'add': {
          if (!live.some((t) => t.hash === msg.hash)) live.push({ hash: msg.hash, target: msg.target, expiresAt: msg.expiresAt });
          await ctx.persist({ tokens: live });
          return { live: live.length };
        }
        case 'sweep': {
          const doomed = live.filter((t) => msg.target === '*' || t.target === msg.target);
          const done = await Promise.all(doomed.map((t) => revokeOne(ctx, t.hash)));
          const gone = new Set(doomed.filter((_, i) => done[i]).map((t) => t.hash));
          const left = live.filter((t) => !gone.has(t.hash));
          await ctx.persist({ tokens: left });
          // Tokens whose revocation failed stay listed: identity/<d> keeps the sweep and retries.
          return { revoked: gone.size, left: doomed.length - gone.size };
        }
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
  });
}
