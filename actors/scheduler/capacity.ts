// Capacity arithmetic shared by the hosts (the truth: bids and claims) and the scheduler's
// summary (a possibly stale copy): what a request demands of a host, whether it fits, and the
// weight a host bids. One function each, so both sides judge a host the same way.
import type { Capacity, CpuPolicy, Resources, Usage, Weighers } from './placement.js';

export const NO_USAGE: Usage = Object.freeze({ vcpus: 0, ramMb: 0, diskGb: 0, pcpus: 0 });

/** Allocation ratios (Nova's defaults: cpu 16, ram 1.5, disk 1.0). */
export interface AllocationRatios {
  readonly cpu: number;
  readonly ram: number;
  readonly disk: number;
}

export const DEFAULT_RATIOS: AllocationRatios = Object.freeze({ cpu: 16, ram: 1.5, disk: 1 });

export function capacityOf(inventory: Resources, ratios: AllocationRatios): Capacity {
  return {
    vcpus: inventory.vcpus * ratios.cpu,
    ramMb: inventory.ramMb * ratios.ram,
    diskGb: inventory.diskGb * ratios.disk,
    pcpus: inventory.vcpus,
    cpuRatio: ratios.cpu,
  };
}

/**
 * What a request takes from a host. A dedicated (pinned) vCPU takes a whole core, which would
 * otherwise carry cpuRatio shared vCPUs; so it counts cpuRatio toward vcpus and 1 toward pcpus.
 */
export function demandOf(resources: Resources, cpuPolicy: CpuPolicy | undefined, cpuRatio: number): Usage {
  const pinned = cpuPolicy === 'dedicated';
  return {
    vcpus: pinned ? resources.vcpus * cpuRatio : resources.vcpus,
    ramMb: resources.ramMb,
    diskGb: resources.diskGb,
    pcpus: pinned ? resources.vcpus : 0,
  };
}

export function fits(capacity: Capacity, used: Usage, demand: Usage): boolean {
  return (
    used.vcpus + demand.vcpus <= capacity.vcpus &&
    used.ramMb + demand.ramMb <= capacity.ramMb &&
    used.diskGb + demand.diskGb <= capacity.diskGb &&
    used.pcpus + demand.pcpus <= capacity.pcpus
  );
}

export function addUsage(used: Usage, demand: Usage, sign: 1 | -1 = 1): Usage {
  return {
    vcpus: Math.max(0, used.vcpus + sign * demand.vcpus),
    ramMb: Math.max(0, used.ramMb + sign * demand.ramMb),
    diskGb: Math.max(0, used.diskGb + sign * demand.diskGb),
    pcpus: Math.max(0, used.pcpus + sign * demand.pcpus),
  };
}

/**
 * A host's bid for a request: what would be left free after it, in GiB of RAM and in physical
 * cores' worth of vCPUs, times the weighers' multipliers. Absolute free amounts (as Nova's RAM
 * and CPU weighers) so that spreading prefers the host with the most room and packing the one
 * with the least room that still fits; RAM leads, CPU breaks near ties on typical hosts.
 */
export function weigh(capacity: Capacity, used: Usage, demand: Usage, weighers: Weighers): number {
  const freeRamGib = (capacity.ramMb - used.ramMb - demand.ramMb) / 1024;
  const freeCores = (capacity.vcpus - used.vcpus - demand.vcpus) / capacity.cpuRatio;
  return weighers.ram * freeRamGib + weighers.cpu * freeCores;
}

/** Whether a host's traits satisfy a request's required and forbidden traits. */
export function traitsMatch(traits: ReadonlySet<string> | readonly string[], required: readonly string[] | undefined, forbidden: readonly string[] | undefined): boolean {
  const has = Array.isArray(traits) ? (t: string) => (traits as readonly string[]).includes(t) : (t: string) => (traits as ReadonlySet<string>).has(t);
  if (required !== undefined) for (const t of required) if (!has(t)) return false;
  if (forbidden !== undefined) for (const t of forbidden) if (has(t)) return false;
  return true;
}
