// A compute host's state and the functions over it: capacity from inventory and allocation
// ratios, claims in and out (usage kept in step), the report the scheduler gets and the view
// admins see. The actor (host-actor.ts) only sequences these, persists and replies. The record
// holds the host's own fields and totals; each claim and each domain is an entry of its own
// (`c:<instance>`, `d:<instance>`), so a write costs one claim or domain, not all a host holds.
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
  /** What the claims take, kept in step with them. */
  readonly used: Usage;
  /** How many claims name each server group (replaced, never changed in place). */
  readonly groups: Readonly<Record<string, number>>;
}

/** A host's entries: its claims under `c:<instance>`, its domains under `d:<instance>`. */
export type HostEntry = HostClaim | Domain;
export type HostEntries = ReadonlyMap<string, HostEntry>;

const CLAIM = 'c:';
const DOMAIN = 'd:';
export const claimKey = (instanceId: string): string => CLAIM + instanceId;
export const domainKey = (instanceId: string): string => DOMAIN + instanceId;

export function claimOf(entries: HostEntries, instanceId: string): HostClaim | undefined {
  return entries.get(CLAIM + instanceId) as HostClaim | undefined;
}

export function domainOf(entries: HostEntries, instanceId: string): Domain | undefined {
  return entries.get(DOMAIN + instanceId) as Domain | undefined;
}

/** The entries under one prefix, by instance id. */
function entriesUnder<T extends HostEntry>(entries: HostEntries, prefix: string): Record<string, T> {
  const found: Record<string, T> = {};
  for (const [key, value] of entries) if (key.startsWith(prefix)) found[key.slice(prefix.length)] = value as T;
  return found;
}

export const claimsOf = (entries: HostEntries): Record<string, HostClaim> => entriesUnder(entries, CLAIM);
export const domainsOf = (entries: HostEntries): Record<string, Domain> => entriesUnder(entries, DOMAIN);

export const INITIAL_HOST: HostState = {
  registered: false,
  inventory: null,
  enabled: true,
  disabledReason: null,
  failed: false,
  heartbeats: 0,
  lastHeartbeatAt: null,
  used: NO_USAGE,
  groups: {},
};

/**
 * A record stored before claims and domains became entries: it held them inline (and no group
 * counts). migrated() turns it into a record and the entries to put.
 */
interface InlineHost extends Omit<HostState, 'groups'> {
  readonly groups?: Readonly<Record<string, number>>;
  readonly claims?: Readonly<Record<string, HostClaim>>;
  readonly domains?: Readonly<Record<string, Domain>>;
}

/** The record and entries of a host stored with inline claims and domains; undefined for a current one. */
export function migrated(stored: HostState): { state: HostState; put: Array<[string, HostEntry]> } | undefined {
  const old = stored as InlineHost;
  if (old.claims === undefined && old.domains === undefined && old.groups !== undefined) return undefined;
  const { claims = {}, domains = {}, ...own } = old;
  const put: Array<[string, HostEntry]> = [];
  const groups: Record<string, number> = {};
  for (const [id, claim] of Object.entries(claims)) {
    put.push([claimKey(id), claim]);
    if (claim.groupId !== null) groups[claim.groupId] = (groups[claim.groupId] ?? 0) + 1;
  }
  for (const [id, domain] of Object.entries(domains)) put.push([domainKey(id), domain]);
  return { state: { ...own, groups }, put };
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

export function isUp(state: HostState, now: number, serviceDownMs: number): boolean {
  return state.registered && !state.failed && state.lastHeartbeatAt !== null && now - state.lastHeartbeatAt <= serviceDownMs;
}

/** What a claim takes from the host (dedicated vCPUs count whole cores, so it depends on the cpu ratio). */
export function demandOfClaim(state: HostState, claim: HostClaim): Usage {
  return demandOf(claim.resources, claim.cpuPolicy, state.inventory === null ? 1 : hostCapacity(state.inventory).cpuRatio);
}

function regrouped(groups: Readonly<Record<string, number>>, groupId: string, delta: 1 | -1): Record<string, number> {
  const next = { ...groups };
  const n = (next[groupId] ?? 0) + delta;
  if (n > 0) next[groupId] = n;
  else delete next[groupId];
  return next;
}

/** The record once `claim` is taken (usage and groups in step); the claim itself is an entry. */
export function withClaim(state: HostState, claim: HostClaim): HostState {
  const used = addUsage(state.used, demandOfClaim(state, claim));
  return claim.groupId === null ? { ...state, used } : { ...state, used, groups: regrouped(state.groups, claim.groupId, 1) };
}

/** The record once `claim` is given back. */
export function withoutClaim(state: HostState, claim: HostClaim): HostState {
  const used = addUsage(state.used, demandOfClaim(state, claim), -1);
  return claim.groupId === null ? { ...state, used } : { ...state, used, groups: regrouped(state.groups, claim.groupId, -1) };
}

/** A new inventory: claims stay, their usage (pinned cores depend on the cpu ratio) is recounted. */
export function registered(state: HostState, entries: HostEntries, inventory: Inventory, now: number): HostState {
  const next: HostState = { ...state, registered: true, inventory, failed: false, lastHeartbeatAt: now };
  let used = NO_USAGE;
  for (const claim of Object.values(claimsOf(entries))) used = addUsage(used, demandOfClaim(next, claim));
  return { ...next, used };
}

const NO_NAMES: readonly string[] = Object.freeze([]);

/** The group names of a groups record (a value, replaced on change): listed once, shared by every report. */
const groupNames = new WeakMap<Readonly<Record<string, number>>, string[]>();

function namesOf(groups: Readonly<Record<string, number>>): string[] {
  let names = groupNames.get(groups);
  if (names === undefined) {
    names = Object.keys(groups);
    groupNames.set(groups, names);
  }
  return names;
}

/** What the scheduler is told; undefined before register. */
export function reportOf(hostId: string, state: HostState, seq: number, now: number): HostReport | undefined {
  if (!state.registered || state.inventory === null) return undefined;
  // Reports are sent per claim: no copies of the claims or the traits.
  return {
    hostId,
    zone: state.inventory.zone,
    traits: (state.inventory.traits ?? NO_NAMES) as string[],
    capacity: hostCapacity(state.inventory),
    used: state.used,
    enabled: state.enabled,
    heartbeatAt: state.lastHeartbeatAt ?? now,
    groups: namesOf(state.groups),
    seq,
  };
}

export function viewOf(hostId: string, state: HostState, entries: HostEntries, now: number, serviceDownMs: number): HostView {
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
    claims: claimsOf(entries),
    domains: domainsOf(entries),
  };
}
