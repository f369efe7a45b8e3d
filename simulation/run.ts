// One simulation run: builds the simulated cloud, starts the workloads and the faults on the
// engine, follows every instance from its request to its end (placed, rejected, deleted; lost or
// rebuilt when its host fails), samples the cluster, and assembles the report. Every instance on
// a failed host is accounted for exactly once; a second account is a bug and fails the run.
import * as hdr from 'hdr-histogram-js';
import type { ResourceEvent } from '../actors/events.js';
import { SYSTEM_CALLER } from '../actors/identity/caller.js';
import type { Message } from '../supervision/index.js';
import { FabricError } from '../transports/errors.js';
import { fullDriver, placementDriver, type Driver, type InstanceRequest } from './drivers.js';
import { EventEngine, type RunProgress } from './engine.js';
import { SimulationFailed } from './errors.js';
import { scheduleFaults } from './faults.js';
import { Ledger } from './ledger.js';
import { stream, uuidSequence } from './random.js';
import { round, type Report, type TimelinePoint, type WorkloadCounts } from './report.js';
import type { Flavor, Scenario } from './scenario.js';
import { buildCloud, type SimCloud } from './sim-cloud.js';
import { sourcesOf, type Arrival, type ArrivalBatch } from './workload.js';

/** Virtual time of the run's start (2026-01-01T00:00:00Z): reports count from here. */
export const SIMULATION_EPOCH = Date.UTC(2026, 0, 1);

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Called every few thousand events (the CLI's progress bar). */
  readonly onProgress?: (p: RunProgress & { readonly end: number }) => void;
  /** Also return every placement, in request order (the fabric comparison test reads them). */
  readonly recordPlacements?: boolean;
  /**
   * At the end, ask every host actor for its claims and compare them with the instances the
   * simulator counts as running there; and return what became of each instance of a failed host.
   */
  readonly audit?: boolean;
}

/** What became of one instance running on a host when the host failed. */
export interface FaultRecord {
  readonly id: string;
  readonly hostId: string;
  /** Virtual ms of the failure. */
  readonly at: number;
  /** The rebuilt server (a new id) when evacuated. */
  readonly replacement: string | null;
  outcome: 'rescheduled' | 'lost' | 'unresolved';
  /** Where the replacement runs. */
  placedOn: string | null;
}

export interface Audit {
  /** Claims held by the host actors at the end, and instances the simulator counts as running. */
  readonly claims: number;
  readonly running: number;
  /**
   * Claims of builds still in flight when the run ended (the host granted the claim; the boot's
   * outcome falls after the end): held by the host alone, rightly, so no mismatch.
   */
  readonly inFlight: number;
  /** `host: instance` entries held by one side only. */
  readonly mismatches: readonly string[];
  readonly faults: readonly FaultRecord[];
}

export interface PlacementRecord {
  readonly id: string;
  readonly workload: string;
  readonly flavor: string;
  /** Virtual ms of the request. */
  readonly at: number;
  /** The host, or null when rejected (or not answered). */
  readonly hostId: string | null;
}

/** A request the simulator sent to the cloud, in the order sent (recordPlacements). */
export type Operation =
  | { readonly op: 'create'; readonly id: string; readonly flavor: string; readonly zone: string | null; readonly at: number }
  | { readonly op: 'delete'; readonly id: string; readonly at: number };

export interface RunResult {
  readonly report: Report;
  readonly placements?: readonly PlacementRecord[];
  readonly operations?: readonly Operation[];
  /** Live VMs at the end (the benchmark's anchor keeps as many timers pending). */
  readonly liveAtEnd: number;
  readonly audit?: Audit;
}

type VmState = 'pending' | 'active' | 'ending' | 'ended' | 'rejected' | 'lost';

/** One workload request followed to its end; `request` changes when it is rebuilt after a host failure. */
interface Vm {
  readonly seq: number;
  request: InstanceRequest;
  readonly arrival: Arrival;
  readonly arrivedAt: number;
  /** Counted in the statistics (arrived after the warm-up). */
  readonly counted: boolean;
  state: VmState;
  hostId: string | null;
  /** When its lifetime ends (set once it first runs). */
  endsAt: number | undefined;
  /** Being rebuilt after its host failed. */
  evacuating: boolean;
  record: { hostId: string | null } | undefined;
  /** Its fault record while it is being rebuilt. */
  fault: FaultRecord | undefined;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  return new Simulation(scenario, options).run();
}

class Simulation {
  private readonly seed: number;
  private readonly engine = new EventEngine(SIMULATION_EPOCH);
  private cloud!: SimCloud;
  private driver!: Driver;
  private ledger!: Ledger;
  private readonly byId = new Map<string, Vm>();
  private readonly onHost = new Map<string, Set<Vm>>();
  private seq = 0;
  private readonly newId: () => string;
  private readonly latency = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  private readonly counts = { total: 0, accepted: 0, rejected: 0 };
  private issued = 0;
  private readonly rejectedBy = new Map<string, number>();
  private readonly byWorkload = new Map<string, { requests: number; accepted: number; rejected: number }>();
  private readonly fault = { instancesOnFailedHosts: 0, rescheduled: 0, lost: 0 };
  private readonly timeline: TimelinePoint[] = [];
  private readonly placements: PlacementRecord[] = [];
  private readonly operations: Operation[] = [];
  private readonly hostsDown = new Set<string>();
  private readonly largest: Flavor;
  private readonly faultLog: FaultRecord[] = [];
  /** Set when an accounting invariant broke; the run then fails with SIMULATION_FAILED. */
  private broken: string | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: RunOptions,
  ) {
    this.seed = options.seed ?? scenario.seed;
    this.newId = uuidSequence(stream(this.seed, 'instance-ids'));
    // The largest flavor of the mix (by RAM, then vCPUs): fragmentation is measured against it.
    const used = new Set<string>();
    for (const w of scenario.workloads) {
      if (w.kind === 'poisson') for (const f of w.flavors) used.add(f.name);
      else for (const vm of w.vms) used.add(`azure-${vm.cores}c-${vm.memoryGb}g`);
    }
    const candidates = scenario.flavors.filter((f) => used.has(f.name));
    this.largest = (candidates.length > 0 ? candidates : scenario.flavors).reduce((a, b) => (b.ramMb > a.ramMb || (b.ramMb === a.ramMb && b.vcpus > a.vcpus) ? b : a));
  }

  async run(): Promise<RunResult> {
    const events = (e: ResourceEvent): void => this.driver.onEvent(e);
    this.cloud = await buildCloud(this.scenario, this.engine.clock, this.seed, { publish: events });
    try {
      return await this.simulate();
    } finally {
      await this.cloud.stop();
    }
  }

  private async simulate(): Promise<RunResult> {
    const { scenario, engine, cloud } = this;
    const outcomes = { placed: (id: string, h: string) => this.placed(id, h), rejected: (id: string, r: string) => this.rejected(id, r), gone: (id: string) => this.gone(id) };
    const driver = scenario.mode === 'full' ? fullDriver(cloud, outcomes) : placementDriver(cloud, outcomes);
    this.driver = this.options.recordPlacements === true ? this.recording(driver) : driver;
    this.ledger = new Ledger(cloud.hosts, scenario.warmupMs);
    const sources = sourcesOf(scenario, cloud.hosts, this.seed);
    const end = sources.end;

    // Setup (flavors, quotas, host registration) is not the run's: count from here.
    for (const types of cloud.messages.byKind.values()) types.clear();
    cloud.messages.heartbeats = 0;
    const writesBefore = new Map([...cloud.store.writes].map(([k, c]) => [k, c.records + c.reminders]));
    const heartbeatWritesBefore = cloud.store.reminderWrites.get('host heartbeat') ?? 0;

    sources.start(engine, (batch) => this.arrive(batch));
    const faults = scheduleFaults(scenario, cloud, engine, this.seed, end, {
      hostFailed: (id, evacuate) => this.hostFailed(id, evacuate),
      hostRepaired: (id) => {
        this.hostsDown.delete(id);
        this.ledger.setFailed(id, false);
      },
    });
    const every = scenario.sampleEveryMs ?? Math.max(1000, end / 200);
    const sample = (t: number): void => {
      this.sample();
      if (t + every <= end) engine.at(t + every, () => sample(t + every));
    };
    engine.at(0, () => sample(0));

    const onProgress = this.options.onProgress;
    await engine.run(end, onProgress === undefined ? undefined : (p) => onProgress({ ...p, end }));
    if (this.timeline[this.timeline.length - 1]?.t !== round(end / 1000)) this.sample();

    const writes = new Map<string, number>();
    let totalWrites = 0;
    for (const [kind, c] of cloud.store.writes) {
      const n = c.records + c.reminders - (writesBefore.get(kind) ?? 0);
      if (n > 0) writes.set(kind, n);
      totalWrites += n;
    }
    const heartbeatWrites = (cloud.store.reminderWrites.get('host heartbeat') ?? 0) - heartbeatWritesBefore;
    const report = this.report(end, faults, writes, totalWrites, heartbeatWrites);
    const audit = this.options.audit === true ? await this.audit() : undefined;
    return {
      report,
      ...(this.options.recordPlacements === true ? { placements: this.placements, operations: this.operations } : {}),
      ...(audit === undefined ? {} : { audit }),
      liveAtEnd: this.ledger.live,
    };
  }

  /** The driver, with every create and delete it is asked for written to the operations log. */
  private recording(driver: Driver): Driver {
    return {
      ...driver,
      create: (request) => {
        this.operations.push({ op: 'create', id: request.id, flavor: request.flavor.name, zone: request.zone ?? null, at: this.engine.now() });
        driver.create(request);
      },
      remove: (request, hostId) => {
        this.operations.push({ op: 'delete', id: request.id, at: this.engine.now() });
        driver.remove(request, hostId);
      },
    };
  }

  private workloadCounts(name: string): { requests: number; accepted: number; rejected: number } {
    let c = this.byWorkload.get(name);
    if (c === undefined) {
      c = { requests: 0, accepted: 0, rejected: 0 };
      this.byWorkload.set(name, c);
    }
    return c;
  }

  private arrive(batch: ArrivalBatch): void {
    const now = this.engine.now();
    const project = this.cloud.projects[batch.project]!;
    const group = batch.group === undefined ? undefined : { id: this.newId(), policy: batch.group.policy };
    const vms = batch.members.map((arrival) => {
      const seq = ++this.seq;
      const request: InstanceRequest = { id: this.newId(), workload: batch.workload, seq, rebuilds: 0, flavor: arrival.flavor, project, zone: arrival.zone, group };
      const counted = now >= this.scenario.warmupMs;
      const vm: Vm = { seq, request, arrival, arrivedAt: now, counted, state: 'pending', hostId: null, endsAt: undefined, evacuating: false, record: undefined, fault: undefined };
      if (this.options.recordPlacements === true) {
        const record = { id: request.id, workload: batch.workload, flavor: arrival.flavor.name, at: now, hostId: null };
        this.placements.push(record);
        vm.record = record;
      }
      this.byId.set(request.id, vm);
      this.issued++;
      if (counted) {
        this.counts.total++;
        this.workloadCounts(batch.workload).requests++;
      }
      return vm;
    });
    if (group === undefined) {
      for (const vm of vms) this.driver.create(vm.request);
      return;
    }
    void this.driver.createGroup(project, group.id, group.policy).then((made) => {
      if (!made.ok) {
        for (const vm of vms) this.rejected(vm.request.id, made.error.code);
        return;
      }
      for (const vm of vms) this.driver.create(vm.request);
    });
  }

  private placed(id: string, hostId: string): void {
    const vm = this.byId.get(id);
    if (vm === undefined || vm.state !== 'pending') return;
    const now = this.engine.now();
    vm.state = 'active';
    vm.hostId = hostId;
    this.attach(vm, hostId, now);
    if (vm.evacuating) {
      vm.evacuating = false;
      this.fault.rescheduled++;
      this.resolve(vm, 'rescheduled', hostId);
      // Its lifetime ran out while it was being rebuilt: it ends now.
      if (vm.endsAt !== undefined && vm.endsAt <= now) this.end(vm);
      return;
    }
    if (vm.record !== undefined) vm.record.hostId = hostId;
    if (vm.counted) {
      this.counts.accepted++;
      this.workloadCounts(vm.arrival.workload).accepted++;
      this.latency.recordValue(Math.round((now - vm.arrivedAt) * 1000));
    }
    vm.endsAt = now + vm.arrival.lifetime;
    this.engine.at(vm.endsAt, () => {
      if (vm.state === 'active') this.end(vm);
      // pending: being rebuilt; placed() or rejected() ends it.
    });
  }

  private rejected(id: string, reason: string): void {
    const vm = this.byId.get(id);
    if (vm === undefined || vm.state !== 'pending') return;
    if (vm.evacuating) {
      vm.evacuating = false;
      vm.state = 'lost';
      this.fault.lost++;
      this.resolve(vm, 'lost', null);
    } else {
      vm.state = 'rejected';
      if (vm.counted) {
        this.counts.rejected++;
        this.workloadCounts(vm.arrival.workload).rejected++;
        this.rejectedBy.set(reason, (this.rejectedBy.get(reason) ?? 0) + 1);
      }
    }
    // A build that ended in ERROR is still a server: the workload deletes it (its claims and
    // quota are already given back); a refused create left none, and its delete finds nothing.
    if (this.scenario.mode === 'full') this.driver.remove(vm.request, null);
    else this.byId.delete(id);
  }

  private end(vm: Vm): void {
    vm.state = 'ending';
    this.driver.remove(vm.request, vm.hostId);
  }

  private gone(id: string): void {
    const vm = this.byId.get(id);
    if (vm === undefined) return;
    this.byId.delete(id);
    if (vm.request.id !== id) return; // the old server of a rebuilt instance
    if (vm.state === 'ending' || vm.state === 'active') {
      this.detach(vm, this.engine.now());
      vm.state = 'ended';
    }
  }

  private attach(vm: Vm, hostId: string, now: number): void {
    this.ledger.add(hostId, vm.request.flavor, now);
    let set = this.onHost.get(hostId);
    if (set === undefined) {
      set = new Set();
      this.onHost.set(hostId, set);
    }
    set.add(vm);
  }

  private detach(vm: Vm, now: number): void {
    if (vm.hostId === null) return;
    this.ledger.remove(vm.hostId, vm.request.flavor, now);
    this.onHost.get(vm.hostId)?.delete(vm);
    vm.hostId = null;
  }

  /** A host died: each instance running on it is rebuilt elsewhere (a new server) or lost. */
  private hostFailed(hostId: string, evacuate: boolean): void {
    const now = this.engine.now();
    this.hostsDown.add(hostId);
    this.ledger.setFailed(hostId, true);
    // Instances already being deleted when the host died are ending anyway: not the failure's.
    const victims = [...(this.onHost.get(hostId) ?? [])].filter((vm) => vm.state === 'active');
    for (const vm of victims) {
      const old = vm.request;
      this.detach(vm, now);
      this.fault.instancesOnFailedHosts++;
      // The dead server is deleted (its claim on the dead host given back).
      this.driver.remove(old, hostId);
      const request: InstanceRequest = { ...old, id: this.newId(), rebuilds: old.rebuilds + 1 };
      vm.fault = { id: old.id, hostId, at: now, replacement: evacuate ? request.id : null, outcome: 'unresolved', placedOn: null };
      if (this.options.audit === true) this.faultLog.push(vm.fault);
      if (!evacuate) {
        vm.state = 'lost';
        this.fault.lost++;
        this.resolve(vm, 'lost', null);
        continue;
      }
      vm.request = request;
      vm.state = 'pending';
      vm.evacuating = true;
      this.byId.set(request.id, vm);
      this.driver.create(request);
    }
  }

  /** Settles an instance of a failed host: exactly once, or the run is broken. */
  private resolve(vm: Vm, outcome: 'rescheduled' | 'lost', placedOn: string | null): void {
    const f = vm.fault;
    if (f === undefined || f.outcome !== 'unresolved') {
      // Thrown from the report: this runs in a callback of the cloud's answers.
      this.broken ??= `instance ${f?.id ?? vm.request.id} of a failed host was accounted for twice (${f?.outcome ?? 'no record'}, then ${outcome})`;
      return;
    }
    f.outcome = outcome;
    f.placedOn = placedOn;
    vm.fault = undefined;
  }

  /** The host actors' claims against the instances the simulator counts as running on them. */
  private async audit(): Promise<Audit> {
    const mismatches: string[] = [];
    let claims = 0;
    let running = 0;
    let inFlight = 0;
    for (const h of this.cloud.hosts) {
      const view = await this.cloud.system.ref('host', h.id).ask({ type: 'describe', caller: SYSTEM_CALLER } as Message, { timeoutMs: 600_000 });
      if (!view.ok) throw new FabricError(view.error);
      const held = new Set(Object.keys((view.value as { claims: Record<string, unknown> }).claims));
      const mine = new Set([...(this.onHost.get(h.id) ?? [])].map((vm) => vm.request.id));
      claims += held.size;
      running += mine.size;
      for (const id of held) {
        if (mine.has(id)) continue;
        if (this.byId.get(id)?.state === 'pending') inFlight++;
        else mismatches.push(`${h.id}: ${id} claimed, not counted`);
      }
      for (const id of mine) if (!held.has(id)) mismatches.push(`${h.id}: ${id} counted, not claimed`);
    }
    return { claims, running, inFlight, mismatches, faults: this.faultLog };
  }

  private sample(): void {
    const now = this.engine.now();
    const f = this.ledger.fragmentation(this.largest);
    this.timeline.push({
      t: round(now / 1000),
      vcpu: round(this.ledger.usedVcpus / this.ledger.capacityVcpus),
      ram: round(this.ledger.usedRamMb / this.ledger.capacityRamMb),
      liveInstances: this.ledger.live,
      fragmentationVcpu: round(f.vcpu),
      fragmentationRam: round(f.ram),
      accepted: this.counts.accepted,
      rejected: this.counts.rejected,
      hostsDown: this.hostsDown.size,
    });
  }

  private report(end: number, faults: ReturnType<typeof scheduleFaults>, writes: Map<string, number>, totalWrites: number, heartbeatWrites: number): Report {
    const { scenario, cloud, ledger } = this;
    if (this.broken !== undefined) throw new FabricError(SimulationFailed(this.broken));
    const unresolved = this.fault.instancesOnFailedHosts - this.fault.rescheduled - this.fault.lost;
    const stillEvacuating = [...this.byId.values()].filter((vm) => vm.evacuating).length;
    if (unresolved !== stillEvacuating || unresolved < 0) {
      throw new FabricError(SimulationFailed(`fault accounting broke: ${this.fault.instancesOnFailedHosts} instances on failed hosts, ${this.fault.rescheduled} rescheduled, ${this.fault.lost} lost, ${stillEvacuating} still being rebuilt`));
    }
    const means = ledger.means(end);
    const after = this.timeline.filter((p) => p.t * 1000 >= scenario.warmupMs);
    const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
    const last = this.timeline[this.timeline.length - 1];
    const endFrag = ledger.fragmentation(this.largest);
    let totalMessages = 0;
    const byType = new Map<string, number>();
    for (const [kind, types] of cloud.messages.byKind) {
      for (const [type, n] of types) {
        byType.set(`${kind} ${type}`, n);
        totalMessages += n;
      }
    }
    const sorted = <T>(m: Map<string, T>): Record<string, T> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const requests = Math.max(1, this.issued);
    const h = this.latency;
    const total = this.counts.total;
    const byWorkload: Record<string, WorkloadCounts> = {};
    for (const [name, c] of [...this.byWorkload].sort(([a], [b]) => (a < b ? -1 : 1))) byWorkload[name] = { ...c };
    return {
      scenario: {
        name: scenario.name,
        description: scenario.description,
        source: scenario.source,
        seed: this.seed,
        mode: scenario.mode,
        scheduler: scenario.scheduler.weighers === undefined ? scenario.scheduler.strategy : `weights ram ${scenario.scheduler.weighers.ram}, cpu ${scenario.scheduler.weighers.cpu}`,
        hosts: cloud.hosts.length,
        zones: [...new Set(cloud.hosts.map((x) => x.zone))].sort(),
        capacity: { vcpus: ledger.capacityVcpus, ramMb: ledger.capacityRamMb },
        durationS: round(end / 1000),
        warmupS: round(scenario.warmupMs / 1000),
      },
      requests: {
        total,
        accepted: this.counts.accepted,
        rejected: this.counts.rejected,
        pending: total - this.counts.accepted - this.counts.rejected,
        acceptanceRate: total === 0 ? 0 : round(this.counts.accepted / total),
        rejectionRate: total === 0 ? 0 : round(this.counts.rejected / total),
        rejectedBy: sorted(this.rejectedBy),
        byWorkload,
      },
      utilization: {
        vcpu: round(means.vcpu),
        ram: round(means.ram),
        meanLiveInstances: round(means.live),
        peakVcpu: round(Math.max(0, ...this.timeline.map((p) => p.vcpu))),
        peakRam: round(Math.max(0, ...this.timeline.map((p) => p.ram))),
        liveAtEnd: ledger.live,
      },
      fragmentation: {
        largestFlavor: this.largest.name,
        vcpu: round(mean(after.map((p) => p.fragmentationVcpu))),
        ram: round(mean(after.map((p) => p.fragmentationRam))),
        endVcpu: round(last?.fragmentationVcpu ?? endFrag.vcpu),
        endRam: round(last?.fragmentationRam ?? endFrag.ram),
        largestFitsAtEnd: endFrag.largestFits,
      },
      latency: {
        unit: 'ms',
        count: h.totalCount,
        mean: round(h.totalCount === 0 ? 0 : h.mean / 1000),
        p50: round(h.getValueAtPercentile(50) / 1000),
        p90: round(h.getValueAtPercentile(90) / 1000),
        p99: round(h.getValueAtPercentile(99) / 1000),
        max: round(h.maxValue / 1000),
      },
      messages: {
        total: totalMessages,
        heartbeats: cloud.messages.heartbeats,
        perBoot: round((totalMessages - cloud.messages.heartbeats) / requests),
        byType: sorted(byType),
      },
      storeWrites: { total: totalWrites, heartbeats: heartbeatWrites, perBoot: round((totalWrites - heartbeatWrites) / requests), byKind: sorted(writes) },
      faults: { ...faults, instancesOnFailedHosts: this.fault.instancesOnFailedHosts, rescheduled: this.fault.rescheduled, lost: this.fault.lost, unresolved },
      run: { events: this.engine.events, requestsIssued: this.issued },
      timeline: this.timeline,
    };
  }
}
