// VM traces in the format of the Azure Public Dataset's vmtable.csv (V1 2017, V2 2019): no
// header, eleven columns — vm id, subscription id, deployment id, timestamp created, timestamp
// deleted (seconds from the trace's start), max, avg and p95 CPU, VM category, core count bucket
// (2, 4, 8, 24, >24) and memory bucket in GB (2, 4, 8, 32, 64, >64). A malformed line is an
// error naming the file, the line and the column. Also writes traces in that format (the sample).
import { TraceInvalid } from './errors.js';
import { exponential, weighted, type Random } from './random.js';
import { FabricError } from '../transports/errors.js';

export const AZURE_COLUMNS = [
  'vmid',
  'subscriptionid',
  'deploymentid',
  'vmcreated',
  'vmdeleted',
  'maxcpu',
  'avgcpu',
  'p95maxcpu',
  'vmcategory',
  'vmcorecountbucket',
  'vmmemorybucket',
] as const;

export interface TraceVm {
  /** 1-based line in the file. */
  readonly line: number;
  readonly vmId: string;
  readonly createdS: number;
  readonly deletedS: number;
  readonly cores: number;
  readonly memoryGb: number;
}

export interface TraceOptions {
  /** vCPUs of the `>24` bucket (default 32) and GB of the `>64` bucket (default 128). */
  readonly largestCores?: number;
  readonly largestMemoryGb?: number;
}

function problem(file: string, line: number, column: string, message: string): FabricError {
  return new FabricError(TraceInvalid(`${file}:${line}: column ${column}: ${message}`, { file, line, field: column }));
}

/** A bucket: a positive number, or `>N` for the open top bucket. */
function bucket(text: string, largest: number): number | undefined {
  if (/^>\d+(\.\d+)?$/.test(text)) return largest;
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const n = parseFloat(text);
  return n > 0 ? n : undefined;
}

/** Parses a whole vmtable CSV; throws a FabricError (TRACE_INVALID) at the first malformed line. */
export function parseAzureTrace(text: string, file: string, options: TraceOptions = {}): TraceVm[] {
  const largestCores = options.largestCores ?? 32;
  const largestMemoryGb = options.largestMemoryGb ?? 128;
  const vms: TraceVm[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const line = i + 1;
    if (raw.trim() === '') continue;
    if (i === 0 && raw.startsWith('vmid,')) continue; // a header some copies carry
    const cells = raw.split(',');
    if (cells.length !== AZURE_COLUMNS.length) {
      throw problem(file, line, cells.length < AZURE_COLUMNS.length ? AZURE_COLUMNS[cells.length]! : 'vmmemorybucket', `expected ${AZURE_COLUMNS.length} comma-separated columns (${AZURE_COLUMNS.join(', ')}), found ${cells.length}`);
    }
    const cell = (name: (typeof AZURE_COLUMNS)[number]): string => cells[AZURE_COLUMNS.indexOf(name)]!.trim();
    if (cell('vmid') === '') throw problem(file, line, 'vmid', 'is empty');
    const created = Number(cell('vmcreated'));
    if (cell('vmcreated') === '' || !Number.isInteger(created) || created < 0) throw problem(file, line, 'vmcreated', `${JSON.stringify(cell('vmcreated'))} is not a timestamp (whole seconds ≥ 0)`);
    const deleted = Number(cell('vmdeleted'));
    if (cell('vmdeleted') === '' || !Number.isInteger(deleted) || deleted < 0) throw problem(file, line, 'vmdeleted', `${JSON.stringify(cell('vmdeleted'))} is not a timestamp (whole seconds ≥ 0)`);
    if (deleted < created) throw problem(file, line, 'vmdeleted', `${deleted} is before vmcreated ${created}`);
    for (const name of ['maxcpu', 'avgcpu', 'p95maxcpu'] as const) {
      const v = cell(name);
      if (v === '' || !Number.isFinite(Number(v))) throw problem(file, line, name, `${JSON.stringify(v)} is not a number`);
    }
    const cores = bucket(cell('vmcorecountbucket'), largestCores);
    if (cores === undefined) throw problem(file, line, 'vmcorecountbucket', `${JSON.stringify(cell('vmcorecountbucket'))} is not a core count bucket (2, 4, 8, 24 or >24)`);
    const memoryGb = bucket(cell('vmmemorybucket'), largestMemoryGb);
    if (memoryGb === undefined) throw problem(file, line, 'vmmemorybucket', `${JSON.stringify(cell('vmmemorybucket'))} is not a memory bucket in GB (2, 4, 8, 32, 64 or >64)`);
    vms.push({ line, vmId: cell('vmid'), createdS: created, deletedS: deleted, cores: Math.ceil(cores), memoryGb });
  }
  // Replayed in creation order (the dataset's files are not sorted); the line breaks ties.
  return vms.sort((a, b) => a.createdS - b.createdS || a.line - b.line);
}

/** The (cores, memory) shapes of VMs of the 2019 trace, roughly weighted as its analysis shows. */
const SHAPES: ReadonlyArray<readonly [cores: string, memoryGb: string, weight: number]> = [
  ['2', '4', 38],
  ['2', '8', 8],
  ['4', '8', 18],
  ['4', '32', 4],
  ['8', '32', 14],
  ['8', '64', 4],
  ['24', '64', 6],
  ['24', '>64', 3],
  ['>24', '>64', 5],
];
const CATEGORIES = ['Delay-insensitive', 'Interactive', 'Unknown'];
const TRACE_END_S = 30 * 86_400;

function base64ish(random: Random, bytes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < Math.ceil((bytes * 4) / 3); i++) s += alphabet[Math.floor(random() * 64)];
  return `${s}=`;
}

/**
 * A synthetic trace in vmtable format: Poisson creations at `perHour`, lifetimes mostly short
 * with a long tail (as the dataset's: most VMs live under an hour), timestamps on the dataset's
 * 5-minute grid, VMs still alive at the end deleted at the trace's end.
 */
export function generateAzureTrace(random: Random, count: number, perHour: number): string {
  const rows: string[] = [];
  let t = 0;
  const subscriptions = Array.from({ length: 12 }, () => base64ish(random, 32));
  for (let i = 0; i < count; i++) {
    t += exponential(random, 3600 / perHour);
    const created = Math.floor(t / 300) * 300;
    // A mixture: 60% short (mean 20 min), 30% medium (mean 4 h), 10% long (mean 3 days).
    const kind = weighted([60, 30, 10], random);
    const life = exponential(random, [1200, 14_400, 259_200][kind]!);
    const deleted = Math.min(TRACE_END_S, created + Math.max(300, Math.ceil(life / 300) * 300));
    const [cores, memory] = SHAPES[weighted(SHAPES.map((s) => s[2]), random)]!;
    const avg = random() * 40;
    const max = Math.min(100, avg + random() * 60);
    const p95 = Math.min(max, avg + (max - avg) * 0.8);
    const sub = subscriptions[Math.floor(random() * subscriptions.length)]!;
    rows.push([base64ish(random, 32), sub, base64ish(random, 32), created, deleted, max.toFixed(6), avg.toFixed(6), p95.toFixed(6), CATEGORIES[Math.floor(random() * 3)]!, cores, memory].join(','));
  }
  return `${rows.join('\n')}\n`;
}
