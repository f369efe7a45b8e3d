// A compute host's state and the functions over it: capacity from inventory and allocation
// ratios, claims in and out (usage kept in step), the report the scheduler gets and the view
// admins see. The actor (host-actor.ts) only sequences these, persists and replies. Claims are
// one record changed in place (a host holds dozens: copying them per claim was the simulator's
// main cost); views copy it, reports never carry it.
import { addUsage, capacityOf, DEFAULT_RATIOS, demandOf, NO_USAGE, type AllocationRatios, type Capacity, type HostReport, type Usage } from '../../actors/scheduler/index.js';
import type { Domain, HostClaim, HostView, Inventory } from './host-messages.js';

export interface HostState {
  readonly registered: boolean;
  readonly inventory: Inventory | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly failed: boolean;
  readonly heartbeats: number;
  /** Persisted by register and heartbeat messages; the periodic agent beat updates it in memory only. */
  lastHeartbeatAt: number | null;
  /**
   * By instance id, changed in place by addClaim/removeClaim right before the persist that makes
   * the change durable (the actor is serial; a failed persist crashes it and the store's copy is
   * reloaded). Ids are ActorIds, so never `__proto__`.
   */
  readonly claims: Record<string, HostClaim>;
  /** Replaced, never changed in place: reports hand it to the scheduler by reference. */
  used: Usage;
  readonly domains: Readonly<Record<string, Domain>>;
}

export const INITIAL_HOST: HostState = {
  registered: false,
  inventory: null,
  enabled: true,
  disabledReason: null,
  failed: false,
  heartbeats: 0,
  lastHeartbeatAt: null,
  claims: {},
  used: NO_USAGE,
  domains: {},
};

/** A record's own entry (never one inherited from Object.prototype). */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy without `key` (a rest pattern with a computed key is many times slower in V8). */
export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const rest: Record<string, T> = {};
  for (const k in record) if (k !== key) rest[k] = record[k]!;
  return rest;
}

export function ratiosOf(inventory: Inventory): AllocationRatios {
  const given = inventory.allocationRatios;
  return { cpu: given?.cpu ?? DEFAULT_RATIOS.cpu, ram: given?.ram ?? DEFAULT_RATIOS.ram, disk: given?.disk ?? DEFAULT_RATIOS.disk };
}

/** Capacity per inventory (a value, replaced by register): computed once, shared by every report. */
const capacities = new WeakMap<Inventory, Capacity>();

export function hostCapacity(inventory: Inventory): Capacity {
  let capacity = capacities.get(inventory);
  if (capacity === undefined) {
    capacity = Object.freeze(capacityOf(inventory, ratiosOf(inventory)));
    capacities.set(inventory, capacity);
  }
  return capacity;
}

/**
 * How many claims of a claims record name a server group: an index beside the state (not
 * persisted; counted afresh after a load), so that a report lists groups without walking the
 * claims of a host that has none.
 */
const groupedClaims = new WeakMap<Readonly<Record<string, HostClaim>>, number>();

function groupedCount(claims: Readonly<Record<string, HostClaim>>): number {
  let n = groupedClaims.get(claims);
  if (n === undefined) {
    n = 0;
    for (const id in claims) if (claims[id]!.groupId !== null) n++;
    groupedClaims.set(claims, n);
  }
  return n;
}

export function isUp(state: HostState, now: number, serviceDownMs: number): boolean {
  return state.registered && !state.failed && state.lastHeartbeatAt !== null && now - state.lastHeartbeatAt <= serviceDownMs;
}

/** What a claim takes from the host (dedicated vCPUs count whole cores, so it depends on the cpu ratio). */
export function demandOfClaim(state: HostState, claim: HostClaim): Usage {
  return demandOf(claim.resources, claim.cpuPolicy, state.inventory === null ? 1 : hostCapacity(state.inventory).cpuRatio);
}

/** Adds the claim in place (usage in step); the caller persists the state next. */
export function addClaim(state: HostState, instanceId: string, claim: HostClaim): void {
  if (claim.groupId !== null) groupedClaims.set(state.claims, groupedCount(state.claims) + 1);
  state.claims[instanceId] = claim;
  state.used = addUsage(state.used, demandOfClaim(state, claim));
}

/** Removes the claim in place (usage in step); false when there was none. The caller persists next. */
export function removeClaim(state: HostState, instanceId: string): boolean {
  const claim = own(state.claims, instanceId);
  if (claim === undefined) return false;
  if (claim.groupId !== null) groupedClaims.set(state.claims, groupedCount(state.claims) - 1);
  delete state.claims[instanceId];
  state.used = addUsage(state.used, demandOfClaim(state, claim), -1);
  return true;
}

/** A new inventory: claims stay, their usage (pinned cores depend on the cpu ratio) is recounted. */
export function registered(state: HostState, inventory: Inventory, now: number): HostState {
  const next: HostState = { ...state, registered: true, inventory, failed: false, lastHeartbeatAt: now };
  let used = NO_USAGE;
  for (const claim of Object.values(state.claims)) used = addUsage(used, demandOfClaim(next, claim));
  next.used = used;
  return next;
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** What the scheduler is told; undefined before register. */
export function reportOf(hostId: string, state: HostState, seq: number, now: number): HostReport | undefined {
  if (!state.registered || state.inventory === null) return undefined;
  // Reports are sent per claim: no copies of the claims or the traits, groups only when some claim has one.
  let groups: string[] | undefined;
  const claims = state.claims;
  if (groupedCount(claims) > 0) {
    for (const id in claims) {
      const group = claims[id]!.groupId;
      if (group !== null && groups?.includes(group) !== true) (groups ??= []).push(group);
    }
  }
  return {
    hostId,
    zone: state.inventory.zone,
    traits: (state.inventory.traits ?? NO_NAMES) as string[],
    capacity: hostCapacity(state.inventory),
    used: state.used,
    enabled: state.enabled,
    heartbeatAt: state.lastHeartbeatAt ?? now,
    groups: groups ?? (NO_NAMES as string[]),
    seq,
  };
}

export function viewOf(hostId: string, state: HostState, now: number, serviceDownMs: number): HostView {
  return {
    id: hostId,
    registered: state.registered,
    inventory: state.inventory,
    enabled: state.enabled,
    disabledReason: state.disabledReason,
    failed: state.failed,
    up: isUp(state, now, serviceDownMs),
    heartbeats: state.heartbeats,
    lastHeartbeatAt: state.lastHeartbeatAt,
    capacity: state.inventory === null ? null : hostCapacity(state.inventory),
    used: state.used,
    // A copy: the state's record changes in place with the next claim.
    claims: { ...state.claims },
    domains: state.domains,
  };
}
