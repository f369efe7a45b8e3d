// The scenario file's schema (TypeBox): the one source of its validation and of the raw types
// the loader resolves. Every object refuses unknown fields, so a misspelt key is an error with
// its line, never silently ignored. `hint` on a schema is the message shown when a value fails it.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DURATION_PATTERN } from './durations.js';

const strict = { additionalProperties: false } as const;

/** Seconds as a number, or a string with a unit. */
export const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: DURATION_PATTERN })], {
  hint: "must be a duration: seconds as a number, or a string such as '500ms', '30s', '5m', '2h', '1d'",
});

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', hint: 'must be a name of letters, digits, . _ - (starting with a letter or digit)' });
const PositiveInt = Type.Integer({ minimum: 1 });
const Fraction = Type.Number({ minimum: 0, maximum: 1 });
const Ratio = Type.Number({ exclusiveMinimum: 0, maximum: 1000 });
const Trait = Type.String({ pattern: '^[A-Z][A-Z0-9_]*$', hint: 'must be a trait name such as HW_CPU_X86_AVX2 or CUSTOM_GPU' });

/** A distribution of times; which fields apply depends on `distribution` (checked after the schema). */
export const DistributionSpec = Type.Object(
  {
    distribution: Type.Union([Type.Literal('fixed'), Type.Literal('exponential'), Type.Literal('uniform'), Type.Literal('lognormal')], {
      hint: "must be one of 'fixed', 'exponential', 'uniform', 'lognormal'",
    }),
    value: Type.Optional(Duration),
    mean: Type.Optional(Duration),
    min: Type.Optional(Duration),
    max: Type.Optional(Duration),
    median: Type.Optional(Duration),
    sigma: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
  },
  strict,
);
export type DistributionSpec = Static<typeof DistributionSpec>;

export const HostGroupSpec = Type.Object(
  {
    /** How many hosts of this shape. */
    count: PositiveInt,
    /** Host ids are `<name>-<n>` (default `host`; groups must not share a name). */
    name: Type.Optional(Name),
    zone: Type.Optional(Name),
    vcpus: PositiveInt,
    ramMb: PositiveInt,
    diskGb: PositiveInt,
    traits: Type.Optional(Type.Array(Trait, { maxItems: 64 })),
    /** Nova's allocation ratios (defaults cpu 16, ram 1.5, disk 1.0). */
    allocationRatios: Type.Optional(Type.Object({ cpu: Type.Optional(Ratio), ram: Type.Optional(Ratio), disk: Type.Optional(Ratio) }, strict)),
  },
  strict,
);
export type HostGroupSpec = Static<typeof HostGroupSpec>;

export const SchedulerSpec = Type.Object(
  {
    policy: Type.Optional(Type.Union([Type.Literal('spread'), Type.Literal('pack')], { hint: "must be 'spread' or 'pack'" })),
    /** Explicit weigher multipliers (positive spreads, negative packs); win over `policy`. */
    weights: Type.Optional(Type.Object({ ram: Type.Number({ minimum: -1000, maximum: 1000 }), cpu: Type.Number({ minimum: -1000, maximum: 1000 }) }, strict)),
    /** Hosts pre-selected per call for bids (default 5). */
    candidates: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  },
  strict,
);

export const FlavorSpec = Type.Object(
  {
    name: Name,
    vcpus: PositiveInt,
    ramMb: PositiveInt,
    diskGb: Type.Optional(Type.Integer({ minimum: 0 })),
    extraSpecs: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);
export type FlavorSpec = Static<typeof FlavorSpec>;

export const ArrivalsSpec = Type.Object(
  {
    process: Type.Optional(Type.Literal('poisson', { hint: "must be 'poisson'" })),
    /** Requests per `per` (default per second). */
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, hint: 'must be a number above 0' })),
    per: Type.Optional(Type.Union([Type.Literal('second'), Type.Literal('minute'), Type.Literal('hour'), Type.Literal('day')], { hint: "must be 'second', 'minute', 'hour' or 'day'" })),
    /** Instead of a rate: offered load as a fraction of the cluster's capacity (of its scarcest resource). */
    targetLoad: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, hint: 'must be a number above 0' })),
  },
  strict,
);

export const TraceSpec = Type.Object(
  {
    /** An Azure Public Dataset vmtable CSV, relative to the scenario file. */
    file: Type.String({ minLength: 1 }),
    format: Type.Optional(Type.Literal('azure-vmtable', { hint: "must be 'azure-vmtable'" })),
    /** Virtual seconds per trace second (default 1; 0.01 replays 100 times faster). */
    timeScale: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Replay at most this many VMs (in creation order). */
    limit: Type.Optional(PositiveInt),
    /** vCPUs of the `>24` core bucket and GB of the `>64` memory bucket (defaults 32 and 128). */
    largestCores: Type.Optional(PositiveInt),
    largestMemoryGb: Type.Optional(PositiveInt),
    /** Root disk of the trace's flavors (default 10 GB). */
    diskGb: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  strict,
);

export const WorkloadSpec = Type.Object(
  {
    name: Name,
    /** Poisson arrivals (with `lifetime` and `flavors`) ... */
    arrivals: Type.Optional(ArrivalsSpec),
    lifetime: Type.Optional(DistributionSpec),
    /** Flavor name → weight of the mix. */
    flavors: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Number({ minimum: 0 }))),
    /** Stop after this many requests. */
    count: Type.Optional(PositiveInt),
    start: Type.Optional(Duration),
    end: Type.Optional(Duration),
    zone: Type.Optional(Name),
    /** Requests come in groups of `size` members of a new server group, arriving together. */
    serverGroup: Type.Optional(
      Type.Object(
        {
          policy: Type.Union([Type.Literal('affinity'), Type.Literal('anti-affinity'), Type.Literal('soft-affinity'), Type.Literal('soft-anti-affinity')], {
            hint: "must be 'affinity', 'anti-affinity', 'soft-affinity' or 'soft-anti-affinity'",
          }),
          size: Type.Integer({ minimum: 2, maximum: 1000 }),
        },
        strict,
      ),
    ),
    /** ... or the replay of a VM trace. */
    trace: Type.Optional(TraceSpec),
  },
  strict,
);
export type WorkloadSpec = Static<typeof WorkloadSpec>;

export const FaultsSpec = Type.Object(
  {
    /** Each host fails after an exponential time with mean `mtbf` and comes back after `repair`. */
    hostFailures: Type.Optional(
      Type.Object(
        {
          mtbf: Duration,
          repair: DistributionSpec,
          /** Rebuild the instances of a failed host elsewhere (default true); otherwise they are lost. */
          evacuate: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    zoneOutages: Type.Optional(Type.Array(Type.Object({ zone: Name, at: Duration, duration: Duration, evacuate: Type.Optional(Type.Boolean()) }, strict))),
    restarts: Type.Optional(
      Type.Array(
        Type.Object(
          {
            target: Type.Union([Type.Literal('scheduler'), Type.Literal('broker')], { hint: "must be 'scheduler' or 'broker'" }),
            at: Duration,
            /** How long the broker stays down (default 30s); the scheduler restarts at once. */
            duration: Type.Optional(Duration),
          },
          strict,
        ),
      ),
    ),
  },
  strict,
);

export const ScenarioSpec = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1 })),
    /** Simulated time; default: until the last request has arrived. */
    duration: Type.Optional(Duration),
    /** `full`: each request is a server through actors/compute; `placement`: the call for bids and claims only. */
    mode: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('placement')], { hint: "must be 'full' or 'placement'" })),
    /** Projects the requests are spread over (each with unlimited quota; default 4). */
    projects: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    hosts: Type.Array(HostGroupSpec, { minItems: 1, hint: 'must list at least one host group' }),
    scheduler: Type.Optional(SchedulerSpec),
    /** Flavors of the cloud (default: DevStack's m1.tiny … m1.xlarge). */
    flavors: Type.Optional(Type.Array(FlavorSpec, { minItems: 1 })),
    workloads: Type.Array(WorkloadSpec, { minItems: 1, hint: 'must list at least one workload' }),
    faults: Type.Optional(FaultsSpec),
    hypervisor: Type.Optional(
      Type.Object({ bootTime: Type.Optional(DistributionSpec), failureRate: Type.Optional(Fraction) }, strict),
    ),
    /** Period of the hosts' heartbeats (default 10s) and the time without one after which a host is down (default 60s). */
    heartbeat: Type.Optional(Duration),
    serviceDown: Type.Optional(Duration),
    report: Type.Optional(Type.Object({ sampleEvery: Type.Optional(Duration), warmup: Type.Optional(Duration) }, strict)),
  },
  strict,
);
export type ScenarioSpec = Static<typeof ScenarioSpec>;

/** The hint of a schema, if it has one. */
export function hintOf(schema: TSchema): string | undefined {
  const hint: unknown = (schema as { hint?: unknown }).hint;
  return typeof hint === 'string' ? hint : undefined;
}
