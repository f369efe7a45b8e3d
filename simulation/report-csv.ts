// CSV renderings of a report: summary.csv (one `section,metric,value` row per figure, counts by
// type and kind included) and timeline.csv (one row per sample), for spreadsheets and pandas.
import type { Report } from './report.js';

function cell(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every figure of the report but the timeline, flattened to `section,metric,value` rows. */
export function summaryRows(report: Report): Array<[section: string, metric: string, value: string | number]> {
  const rows: Array<[string, string, string | number]> = [];
  const walk = (section: string, prefix: string, value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(section, prefix === '' ? k : `${prefix}.${k}`, v);
      return;
    }
    rows.push([section, prefix, Array.isArray(value) ? value.join(' ') : (value as string | number)]);
  };
  for (const [section, value] of Object.entries(report)) {
    if (section === 'timeline') continue;
    walk(section, '', value);
  }
  return rows;
}

export function summaryCsv(report: Report): string {
  return `section,metric,value\n${summaryRows(report)
    .map((r) => r.map(cell).join(','))
    .join('\n')}\n`;
}

export const TIMELINE_COLUMNS = ['t', 'vcpu', 'ram', 'liveInstances', 'fragmentationVcpu', 'fragmentationRam', 'accepted', 'rejected', 'hostsDown'] as const;

export function timelineCsv(report: Report): string {
  const lines = report.timeline.map((p) => TIMELINE_COLUMNS.map((c) => cell(p[c])).join(','));
  return `${TIMELINE_COLUMNS.join(',')}\n${lines.join('\n')}\n`;
}
