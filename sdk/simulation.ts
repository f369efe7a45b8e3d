// `Simulation` in the SDK, for notebooks and tests: run a scenario (a file path, YAML/JSON text,
// or an object of the scenario file's shape) through the production scheduler, host and compute
// actors on a virtual clock, and get the report back as a value.
import {
  compareReports,
  loadScenario,
  parseScenario,
  reportHtml,
  runScenario,
  scenarioFromObject,
  writeReports,
  type Report,
  type ReportFiles,
  type RunResult,
  type Scenario,
} from '../simulation/index.js';

export type { Report, ReportFiles, RunResult, Scenario } from '../simulation/index.js';

export interface SimulationRunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Where relative trace files of an object or text scenario are found (default: the working directory). */
  readonly baseDir?: string;
}

/** A scenario: a path to a .yaml/.yml/.json file, scenario text, an object of the file's shape, or a loaded Scenario. */
export type ScenarioInput = string | Record<string, unknown> | Scenario;

function isLoaded(x: ScenarioInput): x is Scenario {
  return typeof x === 'object' && 'workloads' in x && 'hosts' in x && 'source' in x && 'defaultFlavors' in x;
}

function toScenario(input: ScenarioInput, baseDir: string): Scenario {
  if (typeof input === 'string') {
    // One line ending in .yaml/.yml/.json is a path; anything else is the scenario's text.
    if (!input.includes('\n') && /\.(ya?ml|json)$/i.test(input.trim())) return loadScenario(input.trim());
    return parseScenario(input, '<text>', baseDir);
  }
  return isLoaded(input) ? input : scenarioFromObject(input, baseDir);
}

export const Simulation = {
  /** Validates a scenario (throws a FabricError SCENARIO_INVALID naming each problem's line and field). */
  load(input: ScenarioInput, options: Pick<SimulationRunOptions, 'baseDir'> = {}): Scenario {
    return toScenario(input, options.baseDir ?? process.cwd());
  },

  /** Runs the scenario and returns its report (byte-identical for the same scenario and seed). */
  async run(input: ScenarioInput, options: SimulationRunOptions = {}): Promise<Report> {
    const scenario = toScenario(input, options.baseDir ?? process.cwd());
    const result: RunResult = await runScenario(scenario, options.seed === undefined ? {} : { seed: options.seed });
    return result.report;
  },

  /** Two reports side by side, as text. */
  compare(a: Report, b: Report): string {
    return compareReports(a, b);
  },

  /** The self-contained HTML page of a report. */
  html(report: Report): string {
    return reportHtml(report);
  },

  /** Writes report.json, summary.csv, timeline.csv and report.html into dir. */
  write(report: Report, dir: string): ReportFiles {
    return writeReports(report, dir);
  },
};
