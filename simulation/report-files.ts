// Writes a report's renderings into a directory: report.json, summary.csv, timeline.csv and
// report.html. Returns the paths written.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportJson, type Report } from './report.js';
import { summaryCsv, timelineCsv } from './report-csv.js';
import { reportHtml } from './report-html.js';

export interface ReportFiles {
  readonly json: string;
  readonly summaryCsv: string;
  readonly timelineCsv: string;
  readonly html: string;
}

export function writeReports(report: Report, dir: string): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const files: ReportFiles = {
    json: join(dir, 'report.json'),
    summaryCsv: join(dir, 'summary.csv'),
    timelineCsv: join(dir, 'timeline.csv'),
    html: join(dir, 'report.html'),
  };
  writeFileSync(files.json, reportJson(report));
  writeFileSync(files.summaryCsv, summaryCsv(report));
  writeFileSync(files.timelineCsv, timelineCsv(report));
  writeFileSync(files.html, reportHtml(report));
  return files;
}
