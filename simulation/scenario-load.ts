// Reads a scenario (YAML or JSON: JSON is YAML 1.2) and validates it with the TypeBox schema,
// then with the rules a schema cannot say (which fields a distribution takes, known flavors and
// zones, a run that ends). Every problem names the file, its line and column, and the field, as
// `file:line:col: hosts[0].vcpus: must be ...`; all problems are reported at once.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { DEFAULT_FLAVORS } from '../actors/compute/index.js';
import { FabricError, isErrorValue } from '../transports/errors.js';
import { parseAzureTrace } from './azure-trace.js';
import { toMs } from './durations.js';
import { ScenarioInvalid } from './errors.js';
import type { Distribution } from './random.js';
import { hintOf, ScenarioSpec, type DistributionSpec, type WorkloadSpec } from './scenario-schema.js';
import { traceFlavorName, type Flavor, type HostGroup, type Scenario, type Workload } from './scenario.js';

export interface Problem {
  readonly file: string;
  /** 1-based; 0 when the scenario came as an object. */
  readonly line: number;
  readonly column: number;
  /** `hosts[0].vcpus` */
  readonly field: string;
  readonly message: string;
}

type Path = ReadonlyArray<string | number>;

const checkSpec = TypeCompiler.Compile(ScenarioSpec);

/** Reads and validates a scenario file; throws a FabricError (SCENARIO_INVALID, or TRACE_INVALID) naming each problem. */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (caught) {
    throw invalid(path, [{ file: path, line: 0, column: 0, field: '', message: `cannot read the file: ${(caught as Error).message}` }]);
  }
  return parseScenario(text, path, dirname(resolve(path)));
}

/** Validates scenario text; `file` names it in messages, `baseDir` resolves trace files. */
export function parseScenario(text: string, file: string, baseDir: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      doc.errors.map((e) => ({ file, line: e.linePos?.[0].line ?? 0, column: e.linePos?.[0].col ?? 0, field: '', message: e.message.split('\n')[0]! })),
    );
  }
  const locate = (path: Path, key: boolean): { line: number; column: number } => locateIn(doc, lines, path, key);
  return validate(doc.toJS() as unknown, file, baseDir, locate);
}

/** Validates a scenario given as an object (the SDK's Simulation.run); problems have no line. */
export function scenarioFromObject(value: unknown, baseDir = process.cwd(), source = '<object>'): Scenario {
  return validate(value, source, baseDir, () => ({ line: 0, column: 0 }));
}

function invalid(file: string, problems: readonly Problem[]): FabricError {
  const lines = problems.map(formatProblem);
  const head = problems.length === 1 ? lines[0]! : `${file}: ${problems.length} problems:\n  ${lines.join('\n  ')}`;
  return new FabricError(ScenarioInvalid(head, { file, problems }));
}

export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  return p.field === '' ? `${where}: ${p.message}` : `${where}: ${p.field}: ${p.message}`;
}

function fieldName(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/** Line and column of the value at `path` (or of its key, for an unknown field). */
function locateIn(doc: Document, lines: LineCounter, path: Path, key: boolean): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    const last = prefix[prefix.length - 1];
    const parent = prefix.length === 0 ? doc.contents : doc.getIn(prefix.slice(0, -1), true);
    let offset: number | undefined;
    if (prefix.length === 0) offset = doc.contents?.range?.[0];
    else if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === last);
      const node = pair === undefined ? undefined : key || pair.value === null ? pair.key : pair.value;
      offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0];
    } else if (isSeq(parent) && typeof last === 'number') {
      offset = (parent.items[last] as { range?: [number, number, number] } | undefined)?.range?.[0];
    }
    if (offset !== undefined) {
      const pos = lines.linePos(offset);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

function pathOf(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ValueError): string {
  const hint = hintOf(e.schema);
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return 'unknown field';
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ArrayMinItems:
      return hint ?? 'must not be empty';
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `must be ≥ ${String((e.schema as { minimum?: number }).minimum)}${typeof e.value === 'number' && e.value < 0 ? ' (negative values make no sense here)' : ''}`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return hint ?? `must be > ${String((e.schema as { exclusiveMinimum?: number }).exclusiveMinimum)}`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `must be ≤ ${String((e.schema as { maximum?: number }).maximum)}`;
    case ValueErrorType.Integer:
      return 'must be a whole number';
    default:
      return hint ?? e.message.replace(/^Expected/, 'must be');
  }
}

/** The schema's errors, one per field (a union's members repeat the same place). */
function schemaProblems(value: unknown): Array<{ path: Path; key: boolean; message: string }> {
  const out: Array<{ path: Path; key: boolean; message: string }> = [];
  const seen = new Set<string>();
  for (const e of checkSpec.Errors(value)) {
    const path = pathOf(e.path);
    const id = e.path;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, key: e.type === ValueErrorType.ObjectAdditionalProperties, message: describe(e) });
    if (out.length >= 50) break;
  }
  // A union member's inner error and the union's own error name the same field: keep the one
  // with a hint (the union's), which says what is expected.
  return out;
}

type Locate = (path: Path, key: boolean) => { line: number; column: number };

function validate(value: unknown, file: string, baseDir: string, locate: Locate): Scenario {
  const problems: Problem[] = [];
  const report = (path: Path, message: string, key = false): void => {
    problems.push({ file, ...locate(path, key), field: fieldName(path), message });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report([], 'a scenario must be a mapping (name, hosts, workloads, ...)');
    throw invalid(file, problems);
  }
  for (const p of schemaProblems(value)) report(p.path, p.message, p.key);
  if (problems.length > 0) throw invalid(file, problems);
  const spec = value as ScenarioSpec;
  const scenario = resolveSpec(spec, file, baseDir, report);
  if (problems.length > 0) throw invalid(file, problems);
  return scenario;
}

type Report = (path: Path, message: string, key?: boolean) => void;

function ms(v: number | string): number {
  const out = toMs(v);
  if (out === undefined) throw new Error(`duration ${String(v)} passed the schema but does not parse`);
  return out;
}

function distribution(d: DistributionSpec, path: Path, report: Report, positive = true): Distribution | undefined {
  const needs: Record<DistributionSpec['distribution'], ReadonlyArray<keyof DistributionSpec>> = {
    fixed: ['value'],
    exponential: ['mean'],
    uniform: ['min', 'max'],
    lognormal: ['median', 'sigma'],
  };
  const wanted = needs[d.distribution];
  let ok = true;
  for (const k of ['value', 'mean', 'min', 'max', 'median', 'sigma'] as const) {
    if (d[k] !== undefined && !wanted.includes(k)) {
      report([...path, k], `does not apply to a ${d.distribution} distribution (it takes ${wanted.join(' and ')})`, true);
      ok = false;
    }
  }
  for (const k of wanted) {
    if (d[k] === undefined) {
      report([...path, 'distribution'], `a ${d.distribution} distribution needs \`${k}\``);
      ok = false;
    }
  }
  if (!ok) return undefined;
  switch (d.distribution) {
    case 'fixed':
      return { kind: 'fixed', value: ms(d.value!) };
    case 'exponential': {
      const mean = ms(d.mean!);
      if (positive && mean <= 0) {
        report([...path, 'mean'], 'must be above 0');
        return undefined;
      }
      return { kind: 'exponential', mean };
    }
    case 'uniform': {
      const min = ms(d.min!);
      const max = ms(d.max!);
      if (max < min) {
        report([...path, 'max'], 'must not be below min');
        return undefined;
      }
      return { kind: 'uniform', min, max };
    }
    case 'lognormal': {
      const median = ms(d.median!);
      if (median <= 0) {
        report([...path, 'median'], 'must be above 0');
        return undefined;
      }
      return { kind: 'lognormal', median, sigma: d.sigma! };
    }
    default: {
      const never: never = d.distribution;
      throw new Error(`unknown distribution ${String(never)}`);
    }
  }
}

function resolveSpec(spec: ScenarioSpec, file: string, baseDir: string, report: Report): Scenario {
  const mode = spec.mode ?? 'full';
  const hosts: HostGroup[] = spec.hosts.map((h) => ({
    prefix: h.name ?? 'host',
    count: h.count,
    zone: h.zone ?? 'nova',
    vcpus: h.vcpus,
    ramMb: h.ramMb,
    diskGb: h.diskGb,
    traits: h.traits ?? [],
    ratios: { cpu: h.allocationRatios?.cpu ?? 16, ram: h.allocationRatios?.ram ?? 1.5, disk: h.allocationRatios?.disk ?? 1 },
  }));
  const zones = new Set(hosts.map((h) => h.zone));

  const defaultFlavors = spec.flavors === undefined;
  const flavors: Flavor[] = defaultFlavors
    ? DEFAULT_FLAVORS.map((f) => ({ id: f.id, name: f.name, vcpus: f.vcpus, ramMb: f.ramMb, diskGb: f.diskGb, extraSpecs: {} }))
    : spec.flavors!.map((f) => ({ id: f.name, name: f.name, vcpus: f.vcpus, ramMb: f.ramMb, diskGb: f.diskGb ?? 0, extraSpecs: f.extraSpecs ?? {} }));
  const names = new Set<string>();
  spec.flavors?.forEach((f, i) => {
    if (names.has(f.name)) report(['flavors', i, 'name'], `flavor ${f.name} is listed twice`);
    names.add(f.name);
  });

  const workloads: Workload[] = [];
  const workloadNames = new Set<string>();
  spec.workloads.forEach((w, i) => {
    const path = ['workloads', i];
    if (workloadNames.has(w.name)) report([...path, 'name'], `workload ${w.name} is listed twice`);
    workloadNames.add(w.name);
    const resolved = w.trace !== undefined ? traceWorkload(w, path, baseDir, flavors, report) : poissonWorkload(w, path, flavors, zones, report);
    if (resolved !== undefined) workloads.push(resolved);
  });

  if (spec.duration === undefined) {
    spec.workloads.forEach((w, i) => {
      if (w.trace === undefined && w.count === undefined && w.end === undefined) {
        report(['workloads', i], 'this workload never stops: give the scenario a `duration`, or the workload a `count` or an `end`');
      }
    });
  }

  const faults = spec.faults;
  let hostFailures: Scenario['faults']['hostFailures'];
  if (faults?.hostFailures !== undefined) {
    const mtbfMs = ms(faults.hostFailures.mtbf);
    if (mtbfMs <= 0) report(['faults', 'hostFailures', 'mtbf'], 'must be above 0');
    const repair = distribution(faults.hostFailures.repair, ['faults', 'hostFailures', 'repair'], report);
    if (repair !== undefined && mtbfMs > 0) hostFailures = { mtbfMs, repair, evacuate: faults.hostFailures.evacuate ?? true };
  }
  const zoneOutages = (faults?.zoneOutages ?? []).map((z, i) => {
    if (!zones.has(z.zone)) report(['faults', 'zoneOutages', i, 'zone'], `no host is in zone ${z.zone} (zones: ${[...zones].join(', ')})`);
    return { zone: z.zone, atMs: ms(z.at), durationMs: ms(z.duration), evacuate: z.evacuate ?? true };
  });
  const restarts = (faults?.restarts ?? []).map((r, i) => {
    if (r.target === 'broker' && mode === 'placement') report(['faults', 'restarts', i, 'target'], 'a broker restart needs mode full (placement mode sends no requests through the broker)');
    if (r.target === 'scheduler' && r.duration !== undefined) report(['faults', 'restarts', i, 'duration'], 'does not apply to a scheduler restart (it restarts at once)', true);
    return { target: r.target, atMs: ms(r.at), durationMs: r.duration === undefined ? 30_000 : ms(r.duration) };
  });

  let bootTime: Scenario['hypervisor']['bootTime'] = { kind: 'fixed', ms: 0 };
  const boot = spec.hypervisor?.bootTime;
  if (boot !== undefined) {
    const d = distribution(boot, ['hypervisor', 'bootTime'], report, false);
    if (d?.kind === 'lognormal') report(['hypervisor', 'bootTime', 'distribution'], "the fake hypervisor's boot times are 'fixed', 'uniform' or 'exponential'");
    else if (d?.kind === 'fixed') bootTime = { kind: 'fixed', ms: d.value };
    else if (d?.kind === 'uniform') bootTime = { kind: 'uniform', minMs: d.min, maxMs: d.max };
    else if (d?.kind === 'exponential') bootTime = { kind: 'exponential', meanMs: d.mean };
  }

  const heartbeatMs = spec.heartbeat === undefined ? 10_000 : ms(spec.heartbeat);
  if (heartbeatMs <= 0) report(['heartbeat'], 'must be above 0');
  const serviceDownMs = spec.serviceDown === undefined ? Math.max(60_000, 6 * heartbeatMs) : ms(spec.serviceDown);
  if (serviceDownMs <= heartbeatMs) report(['serviceDown'], `must be longer than the heartbeat period (${heartbeatMs / 1000}s), or every host would look down`);
  const sampleEveryMs = spec.report?.sampleEvery === undefined ? undefined : ms(spec.report.sampleEvery);
  if (sampleEveryMs !== undefined && sampleEveryMs <= 0) report(['report', 'sampleEvery'], 'must be above 0');

  return {
    name: spec.name,
    description: spec.description ?? '',
    source: file,
    seed: spec.seed ?? 1,
    durationMs: spec.duration === undefined ? undefined : ms(spec.duration),
    mode,
    projects: spec.projects ?? 4,
    hosts,
    scheduler: { strategy: spec.scheduler?.policy ?? 'spread', weighers: spec.scheduler?.weights, candidates: spec.scheduler?.candidates },
    flavors,
    defaultFlavors,
    workloads,
    faults: { hostFailures, zoneOutages, restarts },
    hypervisor: { bootTime, failureRate: spec.hypervisor?.failureRate ?? 0 },
    heartbeatMs,
    serviceDownMs,
    sampleEveryMs,
    warmupMs: spec.report?.warmup === undefined ? 0 : ms(spec.report.warmup),
  };
}

function poissonWorkload(w: WorkloadSpec, path: Path, flavors: readonly Flavor[], zones: ReadonlySet<string>, report: Report): Workload | undefined {
  let ok = true;
  const need = (field: keyof WorkloadSpec): void => {
    report([...path], `a workload needs \`${field}\` (or a \`trace\` to replay)`);
    ok = false;
  };
  if (w.arrivals === undefined) need('arrivals');
  if (w.lifetime === undefined) need('lifetime');
  if (w.flavors === undefined) need('flavors');
  const a = w.arrivals;
  if (a !== undefined && (a.rate === undefined) === (a.targetLoad === undefined)) {
    report([...path, 'arrivals'], 'give exactly one of `rate` and `targetLoad`');
    ok = false;
  }
  if (a?.per !== undefined && a.rate === undefined) {
    report([...path, 'arrivals', 'per'], 'applies to `rate` only', true);
    ok = false;
  }
  const lifetime = w.lifetime === undefined ? undefined : distribution(w.lifetime, [...path, 'lifetime'], report);
  const mix: Array<{ name: string; weight: number }> = [];
  if (w.flavors !== undefined) {
    const entries = Object.entries(w.flavors);
    if (entries.length === 0) report([...path, 'flavors'], 'must name at least one flavor');
    for (const [name, weight] of entries) {
      if (!flavors.some((f) => f.name === name)) {
        report([...path, 'flavors', name], `no flavor ${name} (flavors: ${flavors.map((f) => f.name).join(', ')})`, true);
        ok = false;
      }
      mix.push({ name, weight });
    }
    if (entries.length > 0 && mix.every((m) => m.weight === 0)) report([...path, 'flavors'], 'the weights must not all be 0');
  }
  if (w.zone !== undefined && !zones.has(w.zone)) report([...path, 'zone'], `no host is in zone ${w.zone} (zones: ${[...zones].join(', ')})`);
  const startMs = w.start === undefined ? 0 : ms(w.start);
  const endMs = w.end === undefined ? undefined : ms(w.end);
  if (endMs !== undefined && endMs <= startMs) report([...path, 'end'], 'must be after start');
  if (!ok || lifetime === undefined || a === undefined) return undefined;
  const perMs = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[a.per ?? 'second'];
  return {
    kind: 'poisson',
    name: w.name,
    ratePerMs: a.rate === undefined ? undefined : a.rate / perMs,
    targetLoad: a.targetLoad,
    lifetime,
    flavors: mix,
    count: w.count,
    startMs,
    endMs,
    zone: w.zone,
    group: w.serverGroup,
  };
}

function traceWorkload(w: WorkloadSpec, path: Path, baseDir: string, flavors: Flavor[], report: Report): Workload | undefined {
  for (const field of ['arrivals', 'lifetime', 'flavors', 'serverGroup', 'count', 'start', 'end', 'zone'] as const) {
    if (w[field] !== undefined) report([...path, field], 'does not apply to a trace replay (the trace gives arrivals, lifetimes and sizes)', true);
  }
  const t = w.trace!;
  const file = resolve(baseDir, t.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (caught) {
    report([...path, 'trace', 'file'], `cannot read ${file}: ${(caught as Error).message}`);
    return undefined;
  }
  let vms;
  try {
    vms = parseAzureTrace(text, t.file, { ...(t.largestCores === undefined ? {} : { largestCores: t.largestCores }), ...(t.largestMemoryGb === undefined ? {} : { largestMemoryGb: t.largestMemoryGb }) });
  } catch (caught) {
    if (caught instanceof FabricError || isErrorValue(caught)) throw caught; // TRACE_INVALID names the trace's own line
    throw caught;
  }
  if (t.limit !== undefined) vms = vms.slice(0, t.limit);
  const diskGb = t.diskGb ?? 10;
  for (const vm of vms) {
    const name = traceFlavorName(vm.cores, vm.memoryGb);
    if (!flavors.some((f) => f.name === name)) flavors.push({ id: name, name, vcpus: vm.cores, ramMb: Math.round(vm.memoryGb * 1024), diskGb, extraSpecs: {} });
  }
  return { kind: 'trace', name: w.name, file: t.file, timeScale: t.timeScale ?? 1, vms, diskGb };
}
