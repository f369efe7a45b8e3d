// Messages of a compute host actor (`host/<id>`), as TypeBox schemas: the one source of their
// validation and types. Placement shapes (requests, resources, weighers) come from the scheduler,
// whose call for bids sends `bid` and `claim`; the instance actor sends `spawn`, `destroy`,
// `power` and `unclaim`. Every message carries the caller (admins and the fabric itself only).
import { Type, type Static } from '@sinclair/typebox';
import { ActorId, CpuPolicy, PlacementRequest, Resources, TraitName, Weighers, ZoneName, type Capacity, type Usage } from '../../actors/scheduler/index.js';

const Caller = Type.Optional(Type.Unknown());

const Ratio = Type.Number({ exclusiveMinimum: 0, maximum: 1000 });

export const AllocationRatiosInput = Type.Object({ cpu: Type.Optional(Ratio), ram: Type.Optional(Ratio), disk: Type.Optional(Ratio) }, { additionalProperties: false });

export const Inventory = Type.Object(
  {
    zone: ZoneName,
    vcpus: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    ramMb: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    diskGb: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    traits: Type.Optional(Type.Array(TraitName, { maxItems: 256 })),
    /** Nova's cpu/ram/disk_allocation_ratio; defaults 16, 1.5, 1.0. */
    allocationRatios: Type.Optional(AllocationRatiosInput),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;

/** `kind/id` of the actor told when a boot ends (the instance). */
export const Address = Type.String({ maxLength: 200, pattern: '^[a-z][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._:@-]*$' });

/** An instance's image: its id, and the project whose access to it the host checks when fetching. */
export const DomainImage = Type.Object({ id: ActorId, projectId: Type.Union([ActorId, Type.Null()]) }, { additionalProperties: false });

export const PowerActionSchema = Type.Union([Type.Literal('stop'), Type.Literal('start'), Type.Literal('reboot-soft'), Type.Literal('reboot-hard')]);

const object = { additionalProperties: false } as const;

export const HostMessage = Type.Union([
  Type.Object({ type: Type.Literal('register'), caller: Caller, inventory: Inventory }, object),
  Type.Object({ type: Type.Literal('heartbeat'), caller: Caller, agent: Type.Optional(ActorId) }, object),
  Type.Object({ type: Type.Literal('describe'), caller: Caller }, object),
  Type.Object({ type: Type.Literal('enable'), caller: Caller }, object),
  Type.Object({ type: Type.Literal('disable'), caller: Caller, reason: Type.Optional(Type.String({ maxLength: 255 })) }, object),
  Type.Object({ type: Type.Literal('fail'), caller: Caller }, object),
  Type.Object({ type: Type.Literal('bid'), caller: Caller, request: PlacementRequest, weighers: Type.Optional(Weighers) }, object),
  Type.Object(
    { type: Type.Literal('claim'), caller: Caller, instanceId: ActorId, resources: Resources, cpuPolicy: Type.Optional(CpuPolicy), groupId: Type.Optional(ActorId) },
    object,
  ),
  Type.Object({ type: Type.Literal('unclaim'), caller: Caller, instanceId: ActorId }, object),
  Type.Object(
    {
      type: Type.Literal('spawn'),
      caller: Caller,
      instanceId: ActorId,
      replyTo: Address,
      /** The image the VM boots from: the host fetches it (once, then from its cache) before the driver boots. */
      image: Type.Optional(DomainImage),
    },
    object,
  ),
  Type.Object({ type: Type.Literal('destroy'), caller: Caller, instanceId: ActorId }, object),
  Type.Object({ type: Type.Literal('power'), caller: Caller, instanceId: ActorId, action: PowerActionSchema }, object),
  /** The host's own note that a boot ended (the driver runs outside the mailbox). System only. */
  Type.Object(
    { type: Type.Literal('spawnDone'), caller: Caller, instanceId: ActorId, attempt: Type.Integer({ minimum: 1 }), ok: Type.Boolean(), reason: Type.Optional(Type.String({ maxLength: 1024 })) },
    object,
  ),
]);
export type HostMessage = Static<typeof HostMessage>;

export type DomainState = 'spawning' | 'running' | 'shutoff' | 'error';
export type DomainImage = Static<typeof DomainImage>;

/** The host-local domain of one VM. */
export interface Domain {
  readonly state: DomainState;
  /** Who is told when the boot ends. */
  readonly replyTo: string;
  /** Boots started for this instance on this host (a resumed or repeated spawn starts another). */
  readonly attempt: number;
  /** Clock time of the last state change. */
  readonly since: number;
  /** Why it is in error. */
  readonly reason: string | null;
  /** The image it boots from (kept, so a boot resumed after a crash fetches it too). */
  readonly image?: DomainImage;
}

export interface HostClaim {
  readonly resources: Static<typeof Resources>;
  readonly cpuPolicy: Static<typeof CpuPolicy>;
  readonly groupId: string | null;
}

/** What `describe` (and every change of the host itself) answers. */
export interface HostView {
  readonly id: string;
  readonly registered: boolean;
  readonly inventory: Inventory | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  /** Told `fail`: it sends no heartbeats and refuses bids and claims. */
  readonly failed: boolean;
  /** Registered, not failed, and heard from within serviceDownMs. */
  readonly up: boolean;
  /** Heartbeat messages received (the periodic agent's beats are not counted). */
  readonly heartbeats: number;
  readonly lastHeartbeatAt: number | null;
  /** Inventory × allocation ratios; null before register. */
  readonly capacity: Capacity | null;
  readonly used: Usage;
  readonly claims: Readonly<Record<string, HostClaim>>;
  readonly domains: Readonly<Record<string, Domain>>;
}

/** What `unclaim` answers: `released` is false when there was no such claim. */
export interface UnclaimView {
  readonly hostId: string;
  readonly instanceId: string;
  readonly released: boolean;
}

/** What `spawn`, `power` and `destroy` answer: the domain after the call (null once destroyed). */
export interface DomainView {
  readonly hostId: string;
  readonly instanceId: string;
  readonly domain: Domain | null;
}

/** What the host tells `replyTo` when a boot ends. */
export type SpawnOutcomeMessage =
  | { readonly type: 'spawned'; readonly caller: unknown; readonly hostId: string }
  | { readonly type: 'spawnFailed'; readonly caller: unknown; readonly hostId: string; readonly reason: string };
