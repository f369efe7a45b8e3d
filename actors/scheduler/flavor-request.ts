// From a flavor (and the boot's own choices) to a PlacementRequest. Of Nova's flavor extra specs
// the scheduler implements `trait:<NAME>=required|forbidden` (placement traits) and
// `hw:cpu_policy=shared|dedicated` (pinned vCPUs take whole cores); other keys do not change
// where an instance may go and are ignored here, as Nova's scheduler ignores unknown scopes.
import { BadRequest, err, ok, type Result } from '../../transports/errors.js';
import type { CpuPolicy, GroupPolicy, PlacementRequest } from './placement.js';

/** The fields of a flavor that placement reads. */
export interface FlavorShape {
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly ephemeralGb?: number;
  readonly swapMb?: number;
  readonly extraSpecs?: Readonly<Record<string, string>>;
}

/** What the boot adds to the flavor. */
export interface PlacementExtras {
  readonly instanceId: string;
  readonly zone?: string;
  readonly group?: { readonly id: string; readonly policy: GroupPolicy };
  readonly excludeHosts?: readonly string[];
}

const TRAIT = /^[A-Z][A-Z0-9_]{0,254}$/;

export function requestFromFlavor(flavor: FlavorShape, extras: PlacementExtras): Result<PlacementRequest> {
  const required: string[] = [];
  const forbidden: string[] = [];
  let cpuPolicy: CpuPolicy | undefined;
  for (const [key, value] of Object.entries(flavor.extraSpecs ?? {})) {
    if (key.startsWith('trait:')) {
      const name = key.slice('trait:'.length);
      if (!TRAIT.test(name)) return err(BadRequest(`extra spec ${key}: ${JSON.stringify(name)} is not a trait name`, { field: key }));
      if (value === 'required') required.push(name);
      else if (value === 'forbidden') forbidden.push(name);
      else return err(BadRequest(`extra spec ${key} must be 'required' or 'forbidden', not ${JSON.stringify(value)}`, { field: key }));
    } else if (key === 'hw:cpu_policy') {
      if (value !== 'shared' && value !== 'dedicated') return err(BadRequest(`extra spec hw:cpu_policy must be 'shared' or 'dedicated', not ${JSON.stringify(value)}`, { field: key }));
      cpuPolicy = value;
    }
  }
  // Root, ephemeral and swap disks all live on the host's local disk (Nova's DISK_GB).
  const diskGb = flavor.diskGb + (flavor.ephemeralGb ?? 0) + Math.ceil((flavor.swapMb ?? 0) / 1024);
  return ok({
    instanceId: extras.instanceId,
    resources: { vcpus: flavor.vcpus, ramMb: flavor.ramMb, diskGb },
    ...(extras.zone === undefined ? {} : { zone: extras.zone }),
    ...(required.length === 0 ? {} : { requiredTraits: required.sort() }),
    ...(forbidden.length === 0 ? {} : { forbiddenTraits: forbidden.sort() }),
    ...(cpuPolicy === undefined || cpuPolicy === 'shared' ? {} : { cpuPolicy }),
    ...(extras.group === undefined ? {} : { group: { id: extras.group.id, policy: extras.group.policy } }),
    ...(extras.excludeHosts === undefined || extras.excludeHosts.length === 0 ? {} : { excludeHosts: [...extras.excludeHosts] }),
  });
}
