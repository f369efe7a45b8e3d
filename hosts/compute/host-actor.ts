// The compute host actor, `host/<id>`: a hypervisor's inventory and allocation ratios, its
// claims, the host-local domains of its VMs, its enabled flag and its heartbeats. A durable
// reminder beats every heartbeatMs (the simulated host agent) and each beat, like every change of
// capacity, is reported to the scheduler. Changes are persisted before they are answered. Claims
// and domains are the actor's entries, so a claim or a boot writes only its own entry.
import { compileCheck } from '../../actors/schema-check.js';
import { mustBeAdmin, mustBeSystem } from '../../actors/identity/caller.js';
import { DEFAULT_SCHEDULER, DEFAULT_SERVICE_DOWN_MS } from '../../actors/scheduler/index.js';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Conflict } from '../../transports/errors.js';
import { createFakeDriver } from './fake-driver.js';
import { commit, HEARTBEAT_REMINDER, report, view, type HostContext, type HostDeps } from './host-context.js';
import { destroy, power, resumeBoots, spawn, spawnDone } from './host-domains.js';
import { HostMessage, type DomainView, type HostView, type UnclaimView } from './host-messages.js';
import { bid, claim, unclaim } from './host-placement.js';
import { INITIAL_HOST, migrated, registered, type HostEntry, type HostState } from './host-state.js';
import type { HypervisorDriver } from './hypervisor.js';
import type { BidView, ClaimView } from '../../actors/scheduler/index.js';

export const HOST_KIND = 'host';
export const DEFAULT_HEARTBEAT_MS = 10_000;

export interface HostKindOptions {
  /** The hypervisor driver of every host of this kind (default: the fake driver, boots in 0 ms, no failures). */
  readonly driver?: HypervisorDriver;
  /** Period of the simulated agent's heartbeat (default 10 000 ms). */
  readonly heartbeatMs?: number;
  /** No heartbeat for this long shows the host as down (default 60 000 ms). */
  readonly serviceDownMs?: number;
  /** The scheduler told about capacity (default `scheduler/default`). */
  readonly schedulerId?: string;
}

export type HostReply = HostView | BidView | ClaimView | UnclaimView | DomainView;

const invalid = compileCheck(HostMessage);

export function createHostKind(options: HostKindOptions = {}): KindDefinition<HostState, HostMessage, HostReply, HostEntry> {
  const deps: HostDeps = {
    driver: options.driver ?? createFakeDriver(),
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    serviceDownMs: options.serviceDownMs ?? DEFAULT_SERVICE_DOWN_MS,
    schedulerId: options.schedulerId ?? DEFAULT_SCHEDULER,
    booting: new WeakMap(),
  };
  return defineKind<HostState, HostMessage, HostReply, HostEntry>({
    name: HOST_KIND,
    messageTypes: {
      register: true,
      heartbeat: true,
      describe: true,
      enable: true,
      disable: true,
      fail: true,
      bid: true,
      claim: true,
      unclaim: true,
      spawn: true,
      destroy: true,
      power: true,
      spawnDone: true,
    },
    initialState: INITIAL_HOST,
    entries: true,
    // A host stands for a running hypervisor agent (it beats every heartbeatMs anyway): it stays
    // active, so a boot longer than the idle time is never cut short by passivation.
    idleAfterMs: Number.POSITIVE_INFINITY,
    onActivate(ctx) {
      migrate(ctx);
      resumeBoots(ctx, deps);
    },
    onReminder(ctx, name) {
      if (name === HEARTBEAT_REMINDER) beat(ctx, deps);
    },
    handle(ctx, msg): HostReply | Refusal | Promise<HostReply | Refusal> {
      // The runtime checked `type`; the rest of the message is validated against its schema.
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const denied = msg.type === 'spawnDone' ? mustBeSystem(msg.caller) : mustBeAdmin(msg.caller);
      if (denied !== undefined) return refuse(denied);
      switch (msg.type) {
        case 'bid':
          return bid(ctx, msg);
        case 'claim':
          return claim(ctx, deps, msg);
        case 'unclaim':
          return unclaim(ctx, deps, msg);
        case 'spawn':
          return spawn(ctx, deps, msg);
        case 'spawnDone':
          return spawnDone(ctx, msg);
        case 'destroy':
          return destroy(ctx, deps, msg);
        case 'power':
          return power(ctx, deps, msg);
        case 'describe':
          return view(ctx, deps);
        case 'register':
          return register(ctx, deps, msg.inventory);
        case 'heartbeat':
          return heartbeat(ctx, deps);
        case 'enable':
          return change(ctx, deps, { ...ctx.state, enabled: true, disabledReason: null });
        case 'disable':
          return change(ctx, deps, { ...ctx.state, enabled: false, disabledReason: msg.reason ?? null });
        case 'fail':
          return fail(ctx, deps);
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}

/** The kind with default options: the fake driver, 10 s heartbeats, `scheduler/default`. */
export const hostKind = createHostKind();

function change(ctx: HostContext, deps: HostDeps, next: HostState): HostView {
  commit(ctx, deps, next);
  return view(ctx, deps, next);
}

/** A host stored with its claims and domains inline (before they were entries) is rewritten as record and entries. */
function migrate(ctx: HostContext): void {
  const moved = migrated(ctx.state);
  if (moved !== undefined) void ctx.persist(moved.state, { put: moved.put }); // messages wait for onActivate, replies for the write
}

async function register(ctx: HostContext, deps: HostDeps, inventory: HostState['inventory'] & object): Promise<HostView> {
  const next = registered(ctx.state, ctx.entries, inventory, ctx.clock.now());
  await ctx.persist(next);
  await ctx.setReminder(HEARTBEAT_REMINDER, deps.heartbeatMs, { periodMs: deps.heartbeatMs });
  report(ctx, deps, next);
  return view(ctx, deps, next);
}

/** A heartbeat message from the host's agent: counted and persisted; it also revives a failed host. */
async function heartbeat(ctx: HostContext, deps: HostDeps): Promise<HostView | Refusal> {
  const state = ctx.state;
  if (!state.registered) return refuse(Conflict(`host ${ctx.id} is not registered`));
  const next: HostState = { ...state, failed: false, heartbeats: state.heartbeats + 1, lastHeartbeatAt: ctx.clock.now() };
  await ctx.persist(next);
  if (state.failed) await ctx.setReminder(HEARTBEAT_REMINDER, deps.heartbeatMs, { periodMs: deps.heartbeatMs });
  report(ctx, deps, next);
  return view(ctx, deps, next);
}

/**
 * The periodic beat of the simulated agent: it only says the host is alive, so it is kept in
 * memory and reported, not written (a write per host every 10 s buys nothing: after a restart
 * the next beat comes within one period).
 */
function beat(ctx: HostContext, deps: HostDeps): void {
  const state = ctx.state;
  if (!state.registered || state.failed) return;
  state.lastHeartbeatAt = ctx.clock.now();
  report(ctx, deps, state);
}

/** The host dies (test and simulator hook): no more beats or reports; bids and claims are refused. */
async function fail(ctx: HostContext, deps: HostDeps): Promise<HostView> {
  const next: HostState = { ...ctx.state, failed: true };
  await ctx.persist(next);
  await ctx.cancelReminder(HEARTBEAT_REMINDER);
  return view(ctx, deps, next);
}
