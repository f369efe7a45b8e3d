// A compute host's state as a value, and the pure functions over it: capacity from inventory and
// allocation ratios, claims in and out (usage kept in step), the report the scheduler gets and
// the view admins see. The actor (host-actor.ts) only sequences these, persists and replies.
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
  readonly claims: Readonly<Record<string, HostClaim>>;
  readonly used: Usage;
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

export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const { [key]: _gone, ...rest } = record;
  return rest;
}

export function ratiosOf(inventory: Inventory): AllocationRatios {
  const given = inventory.allocationRatios;
  return { cpu: given?.cpu ?? DEFAULT_RATIOS.cpu, ram: given?.ram ?? DEFAULT_RATIOS.ram, disk: given?.disk ?? DEFAULT_RATIOS.disk };
}

export function hostCapacity(inventory: Inventory): Capacity {
  return capacityOf(inventory, ratiosOf(inventory));
}

export function isUp(state: HostState, now: number, serviceDownMs: number): boolean {
  return state.registered && !state.failed && state.lastHeartbeatAt !== null && now - state.lastHeartbeatAt <= serviceDownMs;
}

/** What a claim takes from the host (dedicated vCPUs count whole cores, so it depends on the cpu ratio). */
export function demandOfClaim(state: HostState, claim: HostClaim): Usage {
  return demandOf(claim.resources, claim.cpuPolicy, state.inventory === null ? 1 : ratiosOf(state.inventory).cpu);
}

export function withClaim(state: HostState, instanceId: string, claim: HostClaim): HostState {
  return { ...state, claims: { ...state.claims, [instanceId]: claim }, used: addUsage(state.used, demandOfClaim(state, claim)) };
}

export function withoutClaim(state: HostState, instanceId: string): HostState {
  const claim = own(state.claims, instanceId);
  if (claim === undefined) return state;
  return { ...state, claims: without(state.claims, instanceId), used: addUsage(state.used, demandOfClaim(state, claim), -1) };
}

/** A new inventory: claims stay, their usage (pinned cores depend on the cpu ratio) is recounted. */
export function registered(state: HostState, inventory: Inventory, now: number): HostState {
  const next: HostState = { ...state, registered: true, inventory, failed: false, lastHeartbeatAt: now };
  let used = NO_USAGE;
  for (const claim of Object.values(state.claims)) used = addUsage(used, demandOfClaim(next, claim));
  return { ...next, used };
}

/** What the scheduler is told; undefined before register. */
export function reportOf(hostId: string, state: HostState, seq: number, now: number): HostReport | undefined {
  if (!state.registered || state.inventory === null) return undefined;
  const groups = new Set<string>();
  for (const claim of Object.values(state.claims)) if (claim.groupId !== null) groups.add(claim.groupId);
  return {
    hostId,
    zone: state.inventory.zone,
    traits: [...(state.inventory.traits ?? [])],
    capacity: hostCapacity(state.inventory),
    used: state.used,
    enabled: state.enabled,
    heartbeatAt: state.lastHeartbeatAt ?? now,
    groups: [...groups],
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
    claims: state.claims,
    domains: state.domains,
  };
}
