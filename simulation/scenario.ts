// A scenario as the simulator runs it: every default applied, every time in milliseconds,
// traces loaded, flavors listed. scenario-load.ts builds it from a file (or an object) and is
// the only place that knows the file's shape.
import type { GroupPolicy } from '../actors/scheduler/index.js';
import type { BootTime } from '../hosts/compute/index.js';
import type { TraceVm } from './azure-trace.js';
import type { Distribution } from './random.js';

export type Mode = 'full' | 'placement';

export interface HostGroup {
  readonly prefix: string;
  readonly count: number;
  readonly zone: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly traits: readonly string[];
  readonly ratios: { readonly cpu: number; readonly ram: number; readonly disk: number };
}

export interface Flavor {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

export interface PoissonWorkload {
  readonly kind: 'poisson';
  readonly name: string;
  /** Requests per millisecond, or undefined when given as a target load (resolved at run time). */
  readonly ratePerMs: number | undefined;
  readonly targetLoad: number | undefined;
  readonly lifetime: Distribution;
  readonly flavors: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  readonly count: number | undefined;
  readonly startMs: number;
  readonly endMs: number | undefined;
  readonly zone: string | undefined;
  readonly group: { readonly policy: GroupPolicy; readonly size: number } | undefined;
}

export interface TraceWorkload {
  readonly kind: 'trace';
  readonly name: string;
  readonly file: string;
  readonly timeScale: number;
  readonly vms: readonly TraceVm[];
  readonly diskGb: number;
}

export type Workload = PoissonWorkload | TraceWorkload;

export interface Restart {
  readonly target: 'scheduler' | 'broker';
  readonly atMs: number;
  readonly durationMs: number;
}

export interface Faults {
  readonly hostFailures: { readonly mtbfMs: number; readonly repair: Distribution; readonly evacuate: boolean } | undefined;
  readonly zoneOutages: ReadonlyArray<{ readonly zone: string; readonly atMs: number; readonly durationMs: number; readonly evacuate: boolean }>;
  readonly restarts: readonly Restart[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Where it came from (a path, or `<object>`), for messages. */
  readonly source: string;
  readonly seed: number;
  readonly durationMs: number | undefined;
  readonly mode: Mode;
  readonly projects: number;
  readonly hosts: readonly HostGroup[];
  readonly scheduler: { readonly strategy: 'spread' | 'pack'; readonly weighers: { readonly ram: number; readonly cpu: number } | undefined; readonly candidates: number | undefined };
  readonly flavors: readonly Flavor[];
  /** True when `flavors` are DevStack's defaults (the catalog's ensureDefaults creates them). */
  readonly defaultFlavors: boolean;
  readonly workloads: readonly Workload[];
  readonly faults: Faults;
  readonly hypervisor: { readonly bootTime: BootTime; readonly failureRate: number };
  readonly heartbeatMs: number;
  readonly serviceDownMs: number;
  readonly sampleEveryMs: number | undefined;
  readonly warmupMs: number;
}

/** The flavor a trace VM of that shape boots with (created in the catalog for the run). */
export function traceFlavorName(cores: number, memoryGb: number): string {
  return `azure-${cores}c-${memoryGb}g`;
}
