// The books of one project's quota, as pure functions over plain values: limits set by the
// admin, totals in use (committed) and reserved, and the allocations that hold them (the actor's
// entries, one store key each, so a boot writes its own allocation, not the project's list). The
// actor runs one message at a time, so checking and booking here cannot interleave.
import type { AllocationState, AllocationView, QuotaView } from './quota-messages.js';

/** Nova's defaults for compute; later services pass theirs to createQuotaKind. */
export const DEFAULT_LIMITS: Readonly<Record<string, number>> = { instances: 10, cores: 20, ramMb: 51200 };

export interface Allocation {
  /** The holder's id (an instance, a volume, ...). */
  readonly id: string;
  /** Only the non-zero deltas. */
  readonly deltas: Readonly<Record<string, number>>;
  readonly state: AllocationState;
  /** Clock time of the reserve. */
  readonly at: number;
}

export interface QuotaState {
  /** Limits the admin set (the rest come from the defaults). */
  readonly limits: Readonly<Record<string, number>>;
  readonly inUse: Readonly<Record<string, number>>;
  readonly reserved: Readonly<Record<string, number>>;
  /** Ids released lately, oldest first: a late reserve or commit of one of them is a conflict. */
  readonly released: readonly string[];
}

export const EMPTY_QUOTA: QuotaState = { limits: {}, inUse: {}, reserved: {}, released: [] };

/** The allocations of a project by id (the quota actor's entries). */
export type Allocations = ReadonlyMap<string, Allocation>;

/** The next books and the change to one allocation (put, or removed when `removed` is set). */
export interface Booking {
  readonly state: QuotaState;
  readonly allocation: Allocation;
  readonly removed: boolean;
}

/** One resource a reservation would take over its limit. */
export interface Over {
  readonly resource: string;
  readonly limit: number;
  /** In use plus reserved. */
  readonly used: number;
  readonly requested: number;
}

// Resource names are caller-chosen, so records are read through own properties only
// (`constructor` is a valid resource name and must not find Object.prototype's).
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function limitOf(state: QuotaState, defaults: Readonly<Record<string, number>>, resource: string): number {
  return own(state.limits, resource) ?? own(defaults, resource) ?? -1;
}

export function usedOf(state: QuotaState, resource: string): number {
  return (own(state.inUse, resource) ?? 0) + (own(state.reserved, resource) ?? 0);
}

/** Drops zero amounts, so `{cores: 0}` and `{}` are the same request. */
export function nonZero(deltas: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(deltas).filter(([, n]) => n !== 0));
}

export function sameDeltas(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => own(b, k) === a[k]);
}

/** Every resource the deltas would take over its limit (all-or-nothing: any over refuses all). */
export function oversOf(state: QuotaState, defaults: Readonly<Record<string, number>>, deltas: Readonly<Record<string, number>>): Over[] {
  const overs: Over[] = [];
  for (const [resource, requested] of Object.entries(deltas)) {
    const limit = limitOf(state, defaults, resource);
    const used = usedOf(state, resource);
    if (limit >= 0 && used + requested > limit) overs.push({ resource, limit, used, requested });
  }
  return overs;
}

/** Nova's wording: "Quota exceeded for cores: Requested 4, but already used 18 of 20 cores". */
export function overMessage(overs: readonly Over[]): string {
  const names = overs.map((o) => o.resource).join(', ');
  const requested = overs.map((o) => o.requested).join(', ');
  const used = overs.map((o) => o.used).join(', ');
  const limits = overs.map((o) => o.limit).join(', ');
  return `Quota exceeded for ${names}: Requested ${requested}, but already used ${used} of ${limits} ${names}`;
}

function add(totals: Readonly<Record<string, number>>, deltas: Readonly<Record<string, number>>, sign: 1 | -1): Record<string, number> {
  const next = new Map(Object.entries(totals));
  for (const [resource, n] of Object.entries(deltas)) {
    const value = (next.get(resource) ?? 0) + sign * n;
    if (value < 0) throw new Error(`quota books: ${resource} would go negative`);
    if (value === 0) next.delete(resource);
    else next.set(resource, value);
  }
  // fromEntries defines own properties (never the prototype setter).
  return Object.fromEntries(next);
}

export function allocationOf(allocations: Allocations, id: string): Allocation | undefined {
  return allocations.get(id);
}

export function reserved(state: QuotaState, id: string, deltas: Readonly<Record<string, number>>, at: number): Booking {
  const allocation: Allocation = { id, deltas, state: 'reserved', at };
  return { state: { ...state, reserved: add(state.reserved, deltas, 1) }, allocation, removed: false };
}

export function committed(state: QuotaState, allocation: Allocation): Booking {
  return {
    state: { ...state, reserved: add(state.reserved, allocation.deltas, -1), inUse: add(state.inUse, allocation.deltas, 1) },
    allocation: { ...allocation, state: 'committed' },
    removed: false,
  };
}

export function releasedFrom(state: QuotaState, allocation: Allocation, keepReleased: number): Booking {
  const books = allocation.state === 'reserved' ? { reserved: add(state.reserved, allocation.deltas, -1) } : { inUse: add(state.inUse, allocation.deltas, -1) };
  const released = [...state.released, allocation.id];
  return { state: { ...state, ...books, released: released.slice(Math.max(0, released.length - keepReleased)) }, allocation, removed: true };
}

export function allocationView(allocation: Allocation): AllocationView {
  return { allocationId: allocation.id, state: allocation.state, deltas: allocation.deltas };
}

export function quotaView(projectId: string, state: QuotaState, defaults: Readonly<Record<string, number>>): QuotaView {
  const names = new Set([...Object.keys(defaults), ...Object.keys(state.limits), ...Object.keys(state.inUse), ...Object.keys(state.reserved)]);
  const sorted = [...names].sort();
  return {
    projectId,
    limits: Object.fromEntries(sorted.map((r) => [r, limitOf(state, defaults, r)])),
    inUse: Object.fromEntries(sorted.map((r) => [r, own(state.inUse, r) ?? 0])),
    reserved: Object.fromEntries(sorted.map((r) => [r, own(state.reserved, r) ?? 0])),
  };
}
