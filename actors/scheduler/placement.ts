// What a placement asks for and what a host tells the scheduler about itself, as TypeBox
// schemas shared by the scheduler, the call for bids and the compute hosts (hosts/ imports these;
// actors/ never imports hosts/). One source for validation and types.
import { Type, type Static } from '@sinclair/typebox';

/** Actor ids: no leading `_`, so no id can be `__proto__` when used as a record key. */
export const ActorId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]*$' });

export const ZoneName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

/** os-traits style names: HW_CPU_X86_AVX2, COMPUTE_STATUS_DISABLED, CUSTOM_GPU. */
export const TraitName = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Z][A-Z0-9_]*$' });

export const Resources = Type.Object(
  {
    vcpus: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    ramMb: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
    diskGb: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  },
  { additionalProperties: false },
);
export type Resources = Static<typeof Resources>;

export const GroupPolicy = Type.Union([Type.Literal('affinity'), Type.Literal('anti-affinity'), Type.Literal('soft-affinity'), Type.Literal('soft-anti-affinity')]);
export type GroupPolicy = Static<typeof GroupPolicy>;

/** `shared` vCPUs float and are overcommitted; `dedicated` ones are pinned to host cores (ratio 1). */
export const CpuPolicy = Type.Union([Type.Literal('shared'), Type.Literal('dedicated')]);
export type CpuPolicy = Static<typeof CpuPolicy>;

export const PlacementRequest = Type.Object(
  {
    instanceId: ActorId,
    resources: Resources,
    zone: Type.Optional(ZoneName),
    requiredTraits: Type.Optional(Type.Array(TraitName, { maxItems: 64 })),
    forbiddenTraits: Type.Optional(Type.Array(TraitName, { maxItems: 64 })),
    cpuPolicy: Type.Optional(CpuPolicy),
    group: Type.Optional(Type.Object({ id: ActorId, policy: GroupPolicy }, { additionalProperties: false })),
    excludeHosts: Type.Optional(Type.Array(ActorId, { maxItems: 1024 })),
  },
  { additionalProperties: false },
);
export type PlacementRequest = Static<typeof PlacementRequest>;

/**
 * Multipliers of the RAM and CPU weighers (Nova's ram/cpu_weight_multiplier): positive spreads
 * (most free first), negative packs (least free that fits first).
 */
export const Weighers = Type.Object({ ram: Type.Number({ minimum: -1000, maximum: 1000 }), cpu: Type.Number({ minimum: -1000, maximum: 1000 }) }, { additionalProperties: false });
export type Weighers = Static<typeof Weighers>;

export const SPREAD: Weighers = { ram: 1, cpu: 1 };
export const PACK: Weighers = { ram: -1, cpu: -1 };

const Amount = Type.Number({ minimum: 0, maximum: 1e12 });

/** A host's usable capacity: inventory × allocation ratios, and its physical cores for pinning. */
export const Capacity = Type.Object(
  { vcpus: Amount, ramMb: Amount, diskGb: Amount, pcpus: Amount, cpuRatio: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }) },
  { additionalProperties: false },
);
export type Capacity = Static<typeof Capacity>;

/** What claims hold: vcpus counts a pinned core as cpuRatio shared vCPUs; pcpus counts pinned cores. */
export const Usage = Type.Object({ vcpus: Amount, ramMb: Amount, diskGb: Amount, pcpus: Amount }, { additionalProperties: false });
export type Usage = Static<typeof Usage>;

/** A host's state as it tells the scheduler (on register, claim, unclaim, enable/disable, heartbeat). */
export const HostReport = Type.Object(
  {
    hostId: ActorId,
    zone: ZoneName,
    traits: Type.Array(TraitName, { maxItems: 256 }),
    capacity: Capacity,
    used: Usage,
    enabled: Type.Boolean(),
    /** Clock time of the host's last heartbeat (register counts as one). */
    heartbeatAt: Type.Number(),
    /** Server groups with members on the host (policy hints for pre-selection). */
    groups: Type.Array(ActorId, { maxItems: 100_000 }),
    /** The host's state revision: an older report than the one held is dropped. */
    seq: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HostReport = Static<typeof HostReport>;

/** What a host's `bid` answers. */
export interface BidView {
  readonly hostId: string;
  readonly weight: number;
}

/** What a host's `claim` answers (the same for a repeated claim of the same instance). */
export interface ClaimView {
  readonly hostId: string;
  readonly instanceId: string;
  readonly resources: Resources;
}
