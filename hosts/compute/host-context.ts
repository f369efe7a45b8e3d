// What the host actor's handler modules share: the context type, the kind's dependencies, and
// the one way a change of capacity is made (persist, then tell the scheduler the new state).
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { SCHEDULER_KIND } from '../../actors/scheduler/index.js';
import type { EntryChanges, GrainContext } from '../../supervision/index.js';
import type { HostMessage } from './host-messages.js';
import { reportOf, viewOf, type HostEntry, type HostState } from './host-state.js';
import type { HypervisorDriver } from './hypervisor.js';
import type { HostView } from './host-messages.js';

export type HostContext = GrainContext<HostState, HostMessage, HostEntry>;

export interface HostDeps {
  readonly driver: HypervisorDriver;
  readonly heartbeatMs: number;
  readonly serviceDownMs: number;
  readonly schedulerId: string;
  /**
   * The boots an actor (its context object) runs, by instance: a domain persisted as spawning
   * whose boot this actor did not start (after its write) was cut short.
   */
  readonly booting: WeakMap<HostContext, Map<string, Boot>>;
}

/** One boot of a domain: its attempt, and whether the driver was started (its write is durable). */
export interface Boot {
  readonly attempt: number;
  started: boolean;
}

export const HEARTBEAT_REMINDER = 'heartbeat';

/** Tells the scheduler the host's state (nothing before register; a failed host is silent). */
export function report(ctx: HostContext, deps: HostDeps, state: HostState = ctx.state): void {
  if (state.failed) return;
  const host = reportOf(ctx.id, state, ctx.revision, ctx.clock.now());
  if (host === undefined) return;
  ctx.ref(SCHEDULER_KIND, deps.schedulerId).tell({ type: 'report', caller: SYSTEM_CALLER, host } as { type: 'report' });
}

/**
 * Persists `next` (and entry changes) and reports it without waiting for the write: replies wait
 * for it anyway, and a report is a hint (the host judges every claim itself), so a write that
 * fails, crashing the actor, at worst leaves the scheduler a stale hint until the next beat.
 */
export function commit(ctx: HostContext, deps: HostDeps, next: HostState, changes?: EntryChanges<HostEntry>): void {
  void ctx.persist(next, changes);
  report(ctx, deps, next);
}

export function view(ctx: HostContext, deps: HostDeps, state: HostState = ctx.state): HostView {
  return viewOf(ctx.id, state, ctx.entries, ctx.clock.now(), deps.serviceDownMs);
}
