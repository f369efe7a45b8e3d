// The cluster simulator's public face: scenarios (load, parse, validate), runs of the production
// scheduler, host and compute actors on a virtual clock, reports (JSON, CSV, HTML, side-by-side
// comparison), the Azure vmtable trace format, and the simulator's error codes.
export { loadScenario, parseScenario, scenarioFromObject, formatProblem } from './scenario-load.js';
export type { Problem } from './scenario-load.js';
export type { Scenario, Mode, HostGroup, Flavor, Workload, PoissonWorkload, TraceWorkload, Faults } from './scenario.js';
export { ScenarioSpec } from './scenario-schema.js';
export { runScenario, SIMULATION_EPOCH } from './run.js';
export type { Audit, FaultRecord, Operation, RunOptions, RunResult, PlacementRecord } from './run.js';
export { EventEngine, bareEventLoop, quiesce } from './engine.js';
export type { RunProgress } from './engine.js';
export { reportJson, round } from './report.js';
export type { Report, TimelinePoint, WorkloadCounts } from './report.js';
export { summaryCsv, timelineCsv } from './report-csv.js';
export { reportHtml } from './report-html.js';
export { compareReports } from './report-compare.js';
export { writeReports } from './report-files.js';
export type { ReportFiles } from './report-files.js';
export { parseAzureTrace, generateAzureTrace, AZURE_COLUMNS } from './azure-trace.js';
export type { TraceVm } from './azure-trace.js';
export { stream as randomStream } from './random.js';
export { formatMs, toMs } from './durations.js';
export { ScenarioInvalid, SimulationFailed, TraceInvalid } from './errors.js';
