// Token revocation that follows identity changes. The change and the sweeps it implies are
// persisted together first; then each user's user-tokens actor revokes the matching tokens, and
// only the confirmed sweeps are dropped. Unconfirmed ones are retried on the next change and on
// reactivation, so a crash between the two steps cannot leave a disabled user's token alive.
import type { GrainContext } from '../../supervision/index.js';
import { SYSTEM_CALLER } from './caller.js';
import type { IdentityMessage } from './identity-messages.js';
import type { IdentityState, Sweep } from './identity-state.js';
import type { UserTokensMessage } from './token-messages.js';
import { USER_TOKENS_KIND } from './user-tokens-actor.js';

type Ctx = GrainContext<IdentityState, IdentityMessage>;

async function sweepOne(ctx: Ctx, sweep: Sweep): Promise<boolean> {
  const msg: UserTokensMessage = { type: 'sweep', caller: SYSTEM_CALLER, target: sweep.target };
  const result = await ctx.ref(USER_TOKENS_KIND, sweep.userId).ask(msg);
  // `left` > 0: some token actor did not answer; the sweep stays and runs again later.
  return result.ok && (result.value as { left: number }).left === 0;
}

/** Runs every pending sweep of the (already persisted) state; persists what is left. */
export async function runSweeps(ctx: Ctx): Promise<void> {
  // Taken before the awaits: the serial mailbox means nothing else changes it meanwhile.
  const state = ctx.state;
  const pending = state.sweeps;
  if (pending.length === 0) return;
  const done = await Promise.all(pending.map((s) => sweepOne(ctx, s)));
  if (done.every((d) => !d)) return;
  await ctx.persist({ ...state, sweeps: pending.filter((_, i) => !done[i]) });
}

/** The state with more sweeps queued (duplicates skipped). */
export function withSweeps(state: IdentityState, more: readonly Sweep[]): IdentityState {
  const sweeps = [...state.sweeps];
  for (const s of more) if (!sweeps.some((x) => x.userId === s.userId && x.target === s.target)) sweeps.push(s);
  return { ...state, sweeps };
}
