// The report as one self-contained HTML page a person reads at a glance: headline cards, then
// charts (Chart.js, its UMD bundle inlined from node_modules when the page is written, so the
// page needs no network) of utilization, live instances, fragmentation, answers over time and
// the message and store-write mix, then the full figures as a table.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Report } from './report.js';
import { summaryRows } from './report-csv.js';

let chartJs: string | undefined;

/** Chart.js's UMD bundle, read once from the installed package. */
function chartBundle(): string {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJs = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  // Nothing in the bundle may close the script element early.
  return chartJs.replace(/<\/script/gi, '<\\/script');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function card(label: string, value: string, note = ''): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="note">${escapeHtml(note)}</div></div>`;
}

const CHARTS = `
const r = REPORT;
const t = r.timeline.map(p => p.t / 3600);
const hours = { type: 'linear', title: { display: true, text: 'simulated time (h)' } };
const percent = { min: 0, max: 100, title: { display: true, text: '%' } };
const line = (label, data, color, extra = {}) => ({ label, data: data.map((y, i) => ({ x: t[i], y })), borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, tension: 0.1, ...extra });
const chart = (id, config) => new Chart(document.getElementById(id), config);
chart('util', { type: 'line', data: { datasets: [
  line('vCPU', r.timeline.map(p => p.vcpu * 100), '#2563eb'),
  line('RAM', r.timeline.map(p => p.ram * 100), '#db2777')] },
  options: { animation: false, scales: { x: hours, y: percent } } });
chart('live', { type: 'line', data: { datasets: [
  line('live instances', r.timeline.map(p => p.liveInstances), '#059669'),
  line('hosts down', r.timeline.map(p => p.hostsDown), '#dc2626', { yAxisID: 'y2', stepped: true })] },
  options: { animation: false, scales: { x: hours, y: { min: 0, title: { display: true, text: 'instances' } }, y2: { min: 0, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'hosts down' } } } } });
chart('frag', { type: 'line', data: { datasets: [
  line('vCPU', r.timeline.map(p => p.fragmentationVcpu * 100), '#2563eb'),
  line('RAM', r.timeline.map(p => p.fragmentationRam * 100), '#db2777')] },
  options: { animation: false, scales: { x: hours, y: percent } } });
chart('answers', { type: 'line', data: { datasets: [
  line('accepted', r.timeline.map(p => p.accepted), '#059669'),
  line('rejected', r.timeline.map(p => p.rejected), '#dc2626')] },
  options: { animation: false, scales: { x: hours, y: { min: 0, title: { display: true, text: 'requests (cumulative)' } } } } });
const bars = (id, entries, color, label) => chart(id, { type: 'bar', data: { labels: entries.map(e => e[0]), datasets: [{ label, data: entries.map(e => e[1]), backgroundColor: color }] },
  options: { animation: false, indexAxis: 'y', plugins: { legend: { display: false } } } });
bars('messages', Object.entries(r.messages.byType).sort((a, b) => b[1] - a[1]), '#7c3aed', 'messages');
bars('writes', Object.entries(r.storeWrites.byKind).sort((a, b) => b[1] - a[1]), '#ea580c', 'store writes');
`;

export function reportHtml(report: Report): string {
  const r = report;
  const title = `cumulo simulation: ${r.scenario.name}`;
  const cards = [
    card('acceptance', pct(r.requests.acceptanceRate), `${r.requests.accepted.toLocaleString('en-US')} of ${r.requests.total.toLocaleString('en-US')} requests`),
    card('rejection', pct(r.requests.rejectionRate), Object.entries(r.requests.rejectedBy).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'),
    card('utilization vCPU / RAM', `${pct(r.utilization.vcpu)} / ${pct(r.utilization.ram)}`, `peaks ${pct(r.utilization.peakVcpu)} / ${pct(r.utilization.peakRam)}`),
    card('fragmentation vCPU / RAM', `${pct(r.fragmentation.vcpu)} / ${pct(r.fragmentation.ram)}`, `free capacity no ${r.fragmentation.largestFlavor} can use`),
    card('latency p50 / p99', `${r.latency.p50} / ${r.latency.p99} ms`, 'request to running, virtual time'),
    card('per boot', `${r.messages.perBoot} msgs · ${r.storeWrites.perBoot} writes`, 'create, placement, spawn, delete'),
    card('faults', `${r.faults.hostFailures} host failures`, `${r.faults.rescheduled} rescheduled, ${r.faults.lost} lost`),
  ].join('\n');
  const table = summaryRows(r)
    .map(([s, m, v]) => `<tr><td>${escapeHtml(s)}</td><td>${escapeHtml(m)}</td><td>${escapeHtml(String(v))}</td></tr>`)
    .join('\n');
  const sub = `${r.scenario.hosts.toLocaleString('en-US')} hosts in ${r.scenario.zones.join(', ')} · ${r.scenario.scheduler} · mode ${r.scenario.mode} · seed ${r.scenario.seed} · ${(r.scenario.durationS / 3600).toFixed(2)} h simulated`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; color: #111827; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 } .sub { color: #6b7280; margin: 4px 0 16px } p.desc { margin: 0 0 16px }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin-bottom: 20px }
.card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 12px } .label { color: #6b7280; font-size: 12px; text-transform: uppercase }
.value { font-size: 20px; font-weight: 600 } .note { color: #6b7280; font-size: 12px }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 20px }
figure { margin: 0; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px } figcaption { font-weight: 600; margin-bottom: 6px }
table { border-collapse: collapse; margin-top: 24px; width: 100% } td { border-bottom: 1px solid #f3f4f6; padding: 3px 8px; font-variant-numeric: tabular-nums }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<div class="sub">${escapeHtml(sub)}</div>
${r.scenario.description === '' ? '' : `<p class="desc">${escapeHtml(r.scenario.description)}</p>`}
<div class="cards">${cards}</div>
<div class="grid">
<figure><figcaption>Utilization over time</figcaption><canvas id="util"></canvas></figure>
<figure><figcaption>Live instances and hosts down</figcaption><canvas id="live"></canvas></figure>
<figure><figcaption>Fragmentation: free capacity the largest flavor (${escapeHtml(r.fragmentation.largestFlavor)}) cannot use</figcaption><canvas id="frag"></canvas></figure>
<figure><figcaption>Requests answered</figcaption><canvas id="answers"></canvas></figure>
<figure><figcaption>Messages by actor and type</figcaption><canvas id="messages"></canvas></figure>
<figure><figcaption>Store writes by actor kind</figcaption><canvas id="writes"></canvas></figure>
</div>
<table><tbody>${table}</tbody></table>
<script>${chartBundle()}</script>
<script>const REPORT = ${scriptJson(r)};${CHARTS}</script>
</body></html>
`;
}
