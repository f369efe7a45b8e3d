// Two reports side by side (`cumulo simulate --compare A B`): the headline figures of each, and
// the difference, as a plain-text table for a terminal.
import type { Report } from './report.js';

type Row = readonly [label: string, a: number | string, b: number | string, kind: 'pct' | 'num' | 'text'];

function rows(a: Report, b: Report): Row[] {
  return [
    ['scenario', a.scenario.name, b.scenario.name, 'text'],
    ['mode', a.scenario.mode, b.scenario.mode, 'text'],
    ['scheduler', a.scenario.scheduler, b.scenario.scheduler, 'text'],
    ['hosts', a.scenario.hosts, b.scenario.hosts, 'num'],
    ['simulated time (s)', a.scenario.durationS, b.scenario.durationS, 'num'],
    ['requests', a.requests.total, b.requests.total, 'num'],
    ['acceptance rate', a.requests.acceptanceRate, b.requests.acceptanceRate, 'pct'],
    ['rejection rate', a.requests.rejectionRate, b.requests.rejectionRate, 'pct'],
    ['vCPU utilization (mean)', a.utilization.vcpu, b.utilization.vcpu, 'pct'],
    ['RAM utilization (mean)', a.utilization.ram, b.utilization.ram, 'pct'],
    ['vCPU utilization (peak)', a.utilization.peakVcpu, b.utilization.peakVcpu, 'pct'],
    ['RAM utilization (peak)', a.utilization.peakRam, b.utilization.peakRam, 'pct'],
    ['live instances (mean)', a.utilization.meanLiveInstances, b.utilization.meanLiveInstances, 'num'],
    [`fragmentation vCPU (vs ${a.fragmentation.largestFlavor} | ${b.fragmentation.largestFlavor})`, a.fragmentation.vcpu, b.fragmentation.vcpu, 'pct'],
    ['fragmentation RAM', a.fragmentation.ram, b.fragmentation.ram, 'pct'],
    ['largest flavor still fits (end)', a.fragmentation.largestFitsAtEnd, b.fragmentation.largestFitsAtEnd, 'num'],
    ['latency p50 (ms)', a.latency.p50, b.latency.p50, 'num'],
    ['latency p99 (ms)', a.latency.p99, b.latency.p99, 'num'],
    ['messages per boot', a.messages.perBoot, b.messages.perBoot, 'num'],
    ['store writes per boot', a.storeWrites.perBoot, b.storeWrites.perBoot, 'num'],
    ['host failures', a.faults.hostFailures, b.faults.hostFailures, 'num'],
    ['instances rescheduled', a.faults.rescheduled, b.faults.rescheduled, 'num'],
    ['instances lost', a.faults.lost, b.faults.lost, 'num'],
  ];
}

function show(v: number | string, kind: Row[3]): string {
  if (typeof v === 'string') return v;
  if (kind === 'pct') return `${(v * 100).toFixed(2)}%`;
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2);
}

function delta(a: number | string, b: number | string, kind: Row[3]): string {
  if (typeof a !== 'number' || typeof b !== 'number') return a === b ? '' : '≠';
  const d = b - a;
  if (d === 0) return '=';
  const sign = d > 0 ? '+' : '−';
  return kind === 'pct' ? `${sign}${(Math.abs(d) * 100).toFixed(2)} pp` : `${sign}${show(Math.abs(d), kind)}`;
}

/** A text table: metric | A | B | B − A. */
export function compareReports(a: Report, b: Report, labels: readonly [string, string] = ['A', 'B']): string {
  const table = rows(a, b).map(([label, x, y, kind]) => [label, show(x, kind), show(y, kind), delta(x, y, kind)]);
  const head = ['', labels[0], labels[1], 'B − A'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...table.map(line)].join('\n');
}
