// The workloads' arrivals: Poisson processes (exponential gaps at the workload's rate, or at
// the rate that offers `targetLoad` of the cluster's scarcest resource) with lifetimes and
// flavors drawn from their own seeded streams, and trace replays in creation order. Arrivals are
// scheduled one at a time (each schedules the next), so a million requests cost one timer each.
import type { EventEngine } from './engine.js';
import { exponential, meanOf, sample, stream, weighted, type Random } from './random.js';
import { traceFlavorName, type Flavor, type PoissonWorkload, type Scenario, type TraceWorkload } from './scenario.js';
import type { SimHost } from './sim-cloud.js';

export interface Arrival {
  readonly workload: string;
  readonly flavor: Flavor;
  readonly lifetime: number;
  readonly zone: string | undefined;
}

/** A batch arriving at one instant: one request, or the members of a new server group. */
export interface ArrivalBatch {
  readonly workload: string;
  readonly members: readonly Arrival[];
  readonly group: PoissonWorkload['group'];
  /** Which project asks (index into the scenario's projects). */
  readonly project: number;
}

/** Instances per virtual ms of a Poisson workload (its rate, or the one its target load implies). */
export function ratePerMs(w: PoissonWorkload, flavors: readonly Flavor[], hosts: readonly SimHost[]): number {
  if (w.ratePerMs !== undefined) return w.ratePerMs;
  const inZone = hosts.filter((h) => w.zone === undefined || h.zone === w.zone);
  const capV = inZone.reduce((s, h) => s + h.vcpus, 0);
  const capR = inZone.reduce((s, h) => s + h.ramMb, 0);
  const total = w.flavors.reduce((s, f) => s + f.weight, 0);
  let v = 0;
  let r = 0;
  for (const m of w.flavors) {
    const f = flavors.find((x) => x.name === m.name)!;
    v += (m.weight / total) * f.vcpus;
    r += (m.weight / total) * f.ramMb;
  }
  const life = meanOf(w.lifetime);
  // Offered load of a resource = rate × mean lifetime × mean demand ÷ capacity; the scarcest one sets the rate.
  return (w.targetLoad ?? 1) * Math.min(capV / (life * v), capR / (life * r));
}

class PoissonSource {
  private readonly gaps: Random;
  private readonly draws: Random;
  private issued = 0;
  private readonly perEvent: number;
  private readonly meanGap: number;
  /** The mix's weights and flavors, resolved once (a million arrivals draw from them). */
  private readonly weights: readonly number[];
  private readonly mix: readonly Flavor[];

  constructor(
    private readonly w: PoissonWorkload,
    flavors: readonly Flavor[],
    private readonly projects: number,
    seed: number,
    rate: number,
    private readonly end: number,
  ) {
    this.gaps = stream(seed, `arrivals:${w.name}`);
    this.draws = stream(seed, `requests:${w.name}`);
    this.perEvent = w.group?.size ?? 1;
    this.meanGap = this.perEvent / rate;
    this.weights = w.flavors.map((f) => f.weight);
    this.mix = w.flavors.map((m) => flavors.find((f) => f.name === m.name)!);
  }

  /** The time of the last arrival (drawn from a copy of the same stream). */
  static lastArrival(w: PoissonWorkload, seed: number, rate: number, end: number): number {
    const gaps = stream(seed, `arrivals:${w.name}`);
    const per = w.group?.size ?? 1;
    let t = w.startMs;
    let last = t;
    for (let n = 0; w.count === undefined || n < w.count; n += per) {
      t += exponential(gaps, per / rate);
      if (t > end || (w.endMs !== undefined && t > w.endMs)) break;
      last = t;
    }
    return last;
  }

  start(engine: EventEngine, issue: (batch: ArrivalBatch) => void): void {
    const next = (from: number): void => {
      const at = from + exponential(this.gaps, this.meanGap);
      if (at > this.end || (this.w.endMs !== undefined && at > this.w.endMs)) return;
      if (this.w.count !== undefined && this.issued >= this.w.count) return;
      engine.at(at, () => {
        issue(this.batch());
        next(at);
      });
    };
    next(this.w.startMs);
  }

  private batch(): ArrivalBatch {
    const n = this.w.count === undefined ? this.perEvent : Math.min(this.perEvent, this.w.count - this.issued);
    this.issued += n;
    const members: Arrival[] = [];
    for (let i = 0; i < n; i++) {
      const flavor = this.mix[weighted(this.weights, this.draws)]!;
      members.push({ workload: this.w.name, flavor, lifetime: Math.max(0, sample(this.w.lifetime, this.draws)), zone: this.w.zone });
    }
    return { workload: this.w.name, members, group: n > 1 ? this.w.group : undefined, project: Math.floor(this.draws() * this.projects) };
  }
}

class TraceSource {
  private readonly draws: Random;

  constructor(
    private readonly w: TraceWorkload,
    private readonly flavors: readonly Flavor[],
    private readonly projects: number,
    seed: number,
    private readonly end: number,
  ) {
    this.draws = stream(seed, `requests:${w.name}`);
  }

  static lastArrival(w: TraceWorkload): number {
    const last = w.vms[w.vms.length - 1];
    return last === undefined ? 0 : last.createdS * 1000 * w.timeScale;
  }

  start(engine: EventEngine, issue: (batch: ArrivalBatch) => void): void {
    const scale = 1000 * this.w.timeScale;
    const next = (i: number): void => {
      const vm = this.w.vms[i];
      if (vm === undefined || vm.createdS * scale > this.end) return;
      engine.at(vm.createdS * scale, () => {
        const name = traceFlavorName(vm.cores, vm.memoryGb);
        const flavor = this.flavors.find((f) => f.name === name)!;
        issue({ workload: this.w.name, members: [{ workload: this.w.name, flavor, lifetime: (vm.deletedS - vm.createdS) * scale, zone: undefined }], group: undefined, project: Math.floor(this.draws() * this.projects) });
        next(i + 1);
      });
    };
    next(0);
  }
}

export interface Sources {
  /** When the run ends: the scenario's duration, or the last arrival. */
  readonly end: number;
  start(engine: EventEngine, issue: (batch: ArrivalBatch) => void): void;
}

export function sourcesOf(scenario: Scenario, hosts: readonly SimHost[], seed: number): Sources {
  const horizon = scenario.durationMs ?? Number.POSITIVE_INFINITY;
  const rates = new Map<string, number>();
  let last = 0;
  for (const w of scenario.workloads) {
    if (w.kind === 'poisson') {
      const rate = ratePerMs(w, scenario.flavors, hosts);
      rates.set(w.name, rate);
      if (scenario.durationMs === undefined) last = Math.max(last, PoissonSource.lastArrival(w, seed, rate, horizon));
    } else if (scenario.durationMs === undefined) last = Math.max(last, TraceSource.lastArrival(w));
  }
  const end = scenario.durationMs ?? last;
  return {
    end,
    start(engine, issue) {
      for (const w of scenario.workloads) {
        if (w.kind === 'poisson') new PoissonSource(w, scenario.flavors, scenario.projects, seed, rates.get(w.name)!, end).start(engine, issue);
        else new TraceSource(w, scenario.flavors, scenario.projects, seed, end).start(engine, issue);
      }
    },
  };
}
