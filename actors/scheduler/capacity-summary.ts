// The scheduler's capacity summary: the last report of every host, indexed per availability zone
// in buckets of free RAM (four per doubling), so a pre-selection walks from the fullest or the
// emptiest bucket that can hold the request and stops after k hosts: its cost depends on k and
// the bucket count, not on the number of hosts. The summary may be stale; hosts bid and claim on
// their real state, so a stale entry costs a refused bid, never an overcommit.
import { addUsage, demandOf, fits, traitsMatch, weigh } from './capacity.js';
import type { Capacity, HostReport, PlacementRequest, Usage, Weighers } from './placement.js';

interface Entry {
  readonly id: string;
  zone: string;
  traits: ReadonlySet<string>;
  capacity: Capacity;
  /** As reported, plus the optimistic reservations handed out since. */
  used: Usage;
  enabled: boolean;
  heartbeatAt: number;
  groups: ReadonlySet<string>;
  seq: number;
  bucket: number;
  /** Scratch of ranked(): the weight of the pre-selection being ranked (no map per call). */
  weight: number;
}

/** One entry of the admins' `hosts` listing. */
export interface HostSummary {
  readonly hostId: string;
  readonly zone: string;
  readonly enabled: boolean;
  /** Heard from within serviceDownMs. */
  readonly up: boolean;
  readonly heartbeatAt: number;
  readonly capacity: Capacity;
  readonly used: Usage;
  readonly traits: readonly string[];
}

export interface ZoneSummary {
  readonly name: string;
  /** Some host of the zone is up and enabled. */
  readonly available: boolean;
  readonly hosts: number;
}

const BUCKETS = 132;

/** Bucket b ≥ 1 holds free RAM in [2^((b-1)/4), 2^(b/4)) MB; bucket 0 holds hosts with none. */
function bucketOf(freeRamMb: number): number {
  if (freeRamMb < 1) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(freeRamMb) * 4));
}

function sameMembers(set: ReadonlySet<string>, list: readonly string[]): boolean {
  if (set.size !== list.length) return false;
  if (list.length === 0) return true;
  for (const x of list) if (!set.has(x)) return false;
  return true;
}

class ZoneIndex {
  readonly buckets: Set<Entry>[] = Array.from({ length: BUCKETS }, () => new Set<Entry>());
  size = 0;

  add(e: Entry): void {
    this.buckets[e.bucket]!.add(e);
    this.size++;
  }

  delete(e: Entry): void {
    if (this.buckets[e.bucket]!.delete(e)) this.size--;
  }
}

export class CapacitySummary {
  private readonly hosts = new Map<string, Entry>();
  private readonly zones = new Map<string, ZoneIndex>();
  /** Hosts with members of each server group (from reports, plus optimistic marks). */
  private readonly groups = new Map<string, Set<string>>();
  /** Host entries examined by pre-selections so far (what bounds their cost; tests read it). */
  examined = 0;

  constructor(
    /** No heartbeat for this long means the host is down. */
    readonly serviceDownMs: number,
  ) {}

  get size(): number {
    return this.hosts.size;
  }

  /** Takes a host's report; returns false when it is older than the one held. */
  update(report: HostReport): boolean {
    const old = this.hosts.get(report.hostId);
    if (old !== undefined && report.seq < old.seq) return false;
    // A report per claim and per heartbeat: sets are rebuilt only when their members changed.
    const groups = old !== undefined && sameMembers(old.groups, report.groups) ? old.groups : new Set(report.groups);
    if (groups !== old?.groups) this.regroup(report.hostId, old?.groups, groups);
    const bucket = bucketOf(report.capacity.ramMb - report.used.ramMb);
    let entry: Entry;
    if (old === undefined) {
      entry = { id: report.hostId, zone: report.zone, traits: new Set(report.traits), capacity: report.capacity, used: report.used, enabled: report.enabled, heartbeatAt: report.heartbeatAt, groups, seq: report.seq, bucket, weight: 0 };
      this.hosts.set(entry.id, entry);
    } else {
      // Taken out and put back even in the same bucket: the scan order rotates reporting hosts.
      this.zoneIndex(old.zone).delete(old);
      entry = old;
      entry.zone = report.zone;
      if (!sameMembers(old.traits, report.traits)) entry.traits = new Set(report.traits);
      entry.capacity = report.capacity;
      entry.used = report.used;
      entry.enabled = report.enabled;
      entry.heartbeatAt = report.heartbeatAt;
      entry.groups = groups;
      entry.seq = report.seq;
      entry.bucket = bucket;
    }
    this.zoneIndex(entry.zone).add(entry);
    return true;
  }

  /**
   * Up to k hosts that seem to fit `request`, best weight first: up, enabled, in the zone, with
   * the traits, not excluded, and honouring the group's policy as far as the summary knows it.
   */
  select(request: PlacementRequest, k: number, weighers: Weighers, now: number): string[] {
    const excluded = request.excludeHosts === undefined || request.excludeHosts.length === 0 ? undefined : new Set(request.excludeHosts);
    const fit = (e: Entry): boolean => {
      this.examined++;
      return (
        e.enabled &&
        now - e.heartbeatAt <= this.serviceDownMs &&
        (request.zone === undefined || e.zone === request.zone) &&
        excluded?.has(e.id) !== true &&
        traitsMatch(e.traits, request.requiredTraits, request.forbiddenTraits) &&
        fits(e.capacity, e.used, demandOf(request.resources, request.cpuPolicy, e.capacity.cpuRatio))
      );
    };
    const members = request.group === undefined ? undefined : this.groups.get(request.group.id);
    const rank = (entries: Entry[]): string[] => this.ranked(entries, request, weighers);
    const outside = (e: Entry): boolean => members?.has(e.id) !== true && fit(e);
    // Group hints come from reports and optimistic marks, so they can be stale: when a hint
    // leaves nothing, the plain scan runs and the group's admit (the truth) decides.
    const policy = request.group?.policy;
    switch (policy) {
      case undefined:
        return rank(this.scan(request, k, weighers, fit));
      case 'affinity': {
        const together = members === undefined ? [] : this.among(members, fit, k);
        return rank(together.length > 0 ? together : this.scan(request, k, weighers, fit));
      }
      case 'anti-affinity': {
        const apart = this.scan(request, k, weighers, outside);
        return rank(apart.length > 0 ? apart : this.scan(request, k, weighers, fit));
      }
      case 'soft-affinity': {
        const preferred = members === undefined ? [] : this.among(members, fit, k);
        const seen = new Set(preferred);
        return [...rank(preferred), ...rank(this.scan(request, k - preferred.length, weighers, (e) => !seen.has(e) && fit(e)))];
      }
      case 'soft-anti-affinity': {
        const preferred = this.scan(request, k, weighers, outside);
        return [...rank(preferred), ...rank(members === undefined ? [] : this.among(members, fit, k - preferred.length))];
      }
      default: {
        const never: never = policy;
        throw new Error(`unknown group policy ${String(never)}`);
      }
    }
  }

  /**
   * Counts `request` against a host before its claim is reported, so that boots racing through
   * the scheduler spread out instead of all bidding on the same best host. The host's next
   * report replaces the guess with the truth.
   */
  reserve(hostId: string, request: PlacementRequest): void {
    const e = this.hosts.get(hostId);
    if (e === undefined) return;
    const index = this.zoneIndex(e.zone);
    index.delete(e);
    e.used = addUsage(e.used, demandOf(request.resources, request.cpuPolicy, e.capacity.cpuRatio));
    e.bucket = bucketOf(e.capacity.ramMb - e.used.ramMb);
    index.add(e);
    if (request.group !== undefined && !e.groups.has(request.group.id)) {
      const groups = new Set(e.groups).add(request.group.id);
      this.regroup(e.id, e.groups, groups);
      e.groups = groups;
    }
  }

  isUp(hostId: string, now: number): boolean {
    const e = this.hosts.get(hostId);
    return e !== undefined && now - e.heartbeatAt <= this.serviceDownMs;
  }

  list(now: number): HostSummary[] {
    return [...this.hosts.values()].map((e) => ({
      hostId: e.id,
      zone: e.zone,
      enabled: e.enabled,
      up: now - e.heartbeatAt <= this.serviceDownMs,
      heartbeatAt: e.heartbeatAt,
      capacity: e.capacity,
      used: e.used,
      traits: [...e.traits],
    }));
  }

  zoneList(now: number): ZoneSummary[] {
    const zones: ZoneSummary[] = [];
    for (const [name, index] of this.zones) {
      if (index.size === 0) continue;
      let available = false;
      for (const bucket of index.buckets) {
        for (const e of bucket) {
          if (e.enabled && now - e.heartbeatAt <= this.serviceDownMs) {
            available = true;
            break;
          }
        }
        if (available) break;
      }
      zones.push({ name, available, hosts: index.size });
    }
    return zones.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Walks the buckets that can hold the request: from the emptiest down when spreading, from
   * the smallest that can fit up when packing; stops at k hosts.
   */
  private scan(request: PlacementRequest, k: number, weighers: Weighers, fit: (e: Entry) => boolean): Entry[] {
    const out: Entry[] = [];
    if (k <= 0) return out;
    const indexes = request.zone === undefined ? [...this.zones.values()] : [this.zones.get(request.zone)].filter((z) => z !== undefined);
    const first = bucketOf(request.resources.ramMb);
    const spread = weighers.ram >= 0;
    for (let i = 0; i <= BUCKETS - 1 - first; i++) {
      const b = spread ? BUCKETS - 1 - i : first + i;
      for (const index of indexes) {
        const bucket = index.buckets[b]!;
        // Most buckets are empty (hosts of one size fill a few): no iterator for those.
        if (bucket.size === 0) continue;
        for (const e of bucket) {
          if (!fit(e)) continue;
          out.push(e);
          if (out.length >= k) return out;
        }
      }
    }
    return out;
  }

  private among(ids: ReadonlySet<string>, fit: (e: Entry) => boolean, k: number): Entry[] {
    const out: Entry[] = [];
    for (const id of ids) {
      if (out.length >= k) break;
      const e = this.hosts.get(id);
      if (e !== undefined && fit(e)) out.push(e);
    }
    return out;
  }

  /** Best weight first; the scan order breaks ties (it rotates hosts as they are re-bucketed). */
  private ranked(entries: Entry[], request: PlacementRequest, weighers: Weighers): string[] {
    for (const e of entries) e.weight = weigh(e.capacity, e.used, demandOf(request.resources, request.cpuPolicy, e.capacity.cpuRatio), weighers);
    return entries.sort((a, b) => b.weight - a.weight).map((e) => e.id);
  }

  private zoneIndex(zone: string): ZoneIndex {
    let index = this.zones.get(zone);
    if (index === undefined) {
      index = new ZoneIndex();
      this.zones.set(zone, index);
    }
    return index;
  }

  private regroup(hostId: string, before: ReadonlySet<string> | undefined, after: ReadonlySet<string>): void {
    if (before !== undefined) {
      for (const g of before) {
        if (after.has(g)) continue;
        const hosts = this.groups.get(g);
        hosts?.delete(hostId);
        if (hosts?.size === 0) this.groups.delete(g);
      }
    }
    for (const g of after) {
      if (before?.has(g) === true) continue;
      let hosts = this.groups.get(g);
      if (hosts === undefined) {
        hosts = new Set();
        this.groups.set(g, hosts);
      }
      hosts.add(hostId);
    }
  }
}
