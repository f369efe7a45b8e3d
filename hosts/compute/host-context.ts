// What the host actor's handler modules share: the context type, the kind's dependencies, and
// the one way a change is made (persist first, then tell the scheduler the new state).
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { SCHEDULER_KIND } from '../../actors/scheduler/index.js';
import type { GrainContext } from '../../supervision/index.js';
import type { HostMessage } from './host-messages.js';
import { reportOf, viewOf, type HostState } from './host-state.js';
import type { HypervisorDriver } from './hypervisor.js';
import type { HostView } from './host-messages.js';

export type HostContext = GrainContext<HostState, HostMessage>;

export interface HostDeps {
  readonly driver: HypervisorDriver;
  readonly heartbeatMs: number;
  readonly serviceDownMs: number;
  readonly schedulerId: string;
  /**
   * Instances whose boot the activation (the context object, one per activation) is running: a
   * domain persisted as spawning that its activation does not know it boots was cut short.
   */
  readonly booting: WeakMap<HostContext, Set<string>>;
}

export const HEARTBEAT_REMINDER = 'heartbeat';

/** Tells the scheduler the host's state (nothing before register; a failed host is silent). */
export function report(ctx: HostContext, deps: HostDeps, state: HostState = ctx.state): void {
  if (state.failed) return;
  const host = reportOf(ctx.id, state, ctx.revision, ctx.clock.now());
  if (host === undefined) return;
  ctx.ref(SCHEDULER_KIND, deps.schedulerId).tell({ type: 'report', caller: SYSTEM_CALLER, host } as { type: 'report' });
}

/** Persists `next`, then reports it. */
export async function commit(ctx: HostContext, deps: HostDeps, next: HostState): Promise<void> {
  await ctx.persist(next);
  report(ctx, deps, next);
}

export function view(ctx: HostContext, deps: HostDeps, state: HostState = ctx.state): HostView {
  return viewOf(ctx.id, state, ctx.clock.now(), deps.serviceDownMs);
}
