// The simulator's report: one plain JSON value, the same bytes for the same scenario and seed
// (no wall-clock figure is in it). CSV and HTML are renderings of it (report-csv.ts,
// report-html.ts); the CLI prints wall time and events per second beside it, not in it.

export interface TimelinePoint {
  /** Virtual seconds since the start. */
  readonly t: number;
  /** Fractions of the cluster's capacity in use. */
  readonly vcpu: number;
  readonly ram: number;
  readonly liveInstances: number;
  readonly fragmentationVcpu: number;
  readonly fragmentationRam: number;
  /** Requests answered so far. */
  readonly accepted: number;
  readonly rejected: number;
  readonly hostsDown: number;
}

export interface WorkloadCounts {
  readonly requests: number;
  readonly accepted: number;
  readonly rejected: number;
}

export interface Report {
  readonly scenario: {
    readonly name: string;
    readonly description: string;
    readonly source: string;
    readonly seed: number;
    readonly mode: 'full' | 'placement';
    readonly scheduler: string;
    readonly hosts: number;
    readonly zones: readonly string[];
    readonly capacity: { readonly vcpus: number; readonly ramMb: number };
    /** Virtual seconds simulated, and the warm-up left out of the statistics. */
    readonly durationS: number;
    readonly warmupS: number;
  };
  readonly requests: {
    /** Arrivals after the warm-up (the statistics' population), answered or not. */
    readonly total: number;
    readonly accepted: number;
    readonly rejected: number;
    /** Not answered when the run ended. */
    readonly pending: number;
    readonly acceptanceRate: number;
    readonly rejectionRate: number;
    readonly rejectedBy: Readonly<Record<string, number>>;
    readonly byWorkload: Readonly<Record<string, WorkloadCounts>>;
  };
  readonly utilization: {
    /** Time-averaged fractions of capacity in use after the warm-up. */
    readonly vcpu: number;
    readonly ram: number;
    /** Time-averaged instances running (the carried load, in Erlangs, for one-slot instances). */
    readonly meanLiveInstances: number;
    readonly peakVcpu: number;
    readonly peakRam: number;
    readonly liveAtEnd: number;
  };
  readonly fragmentation: {
    readonly largestFlavor: string;
    /** Means over the samples after the warm-up, and at the end. */
    readonly vcpu: number;
    readonly ram: number;
    readonly endVcpu: number;
    readonly endRam: number;
    readonly largestFitsAtEnd: number;
  };
  readonly latency: {
    /** From a request's arrival to its instance running (full) or its claim (placement), virtual ms. */
    readonly unit: 'ms';
    readonly count: number;
    readonly mean: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly messages: {
    /** Messages the actors handled during the run. */
    readonly total: number;
    /** Of which the hosts' periodic heartbeat reports. */
    readonly heartbeats: number;
    /** (total − heartbeats) ÷ requests: create, placement, spawn and delete of one instance. */
    readonly perBoot: number;
    readonly byType: Readonly<Record<string, number>>;
  };
  readonly storeWrites: {
    readonly total: number;
    /** Of which the heartbeat reminders' re-arming. */
    readonly heartbeats: number;
    readonly perBoot: number;
    readonly byKind: Readonly<Record<string, number>>;
  };
  readonly faults: {
    readonly hostFailures: number;
    readonly hostRepairs: number;
    readonly zoneOutages: number;
    readonly schedulerRestarts: number;
    readonly brokerRestarts: number;
    /** Running instances on hosts when they failed; each is rescheduled, lost, or unresolved at the end. */
    readonly instancesOnFailedHosts: number;
    readonly rescheduled: number;
    readonly lost: number;
    readonly unresolved: number;
  };
  readonly run: {
    /** Events the engine processed (the actors' timers and reminders included). */
    readonly events: number;
    readonly requestsIssued: number;
  };
  readonly timeline: readonly TimelinePoint[];
}

/** Rounds to 6 significant digits: reports read better and compare exactly. */
export function round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(6));
}

/** The report as the bytes written to report.json. */
export function reportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
