// Error codes of the cluster simulator. A scenario or trace that does not parse or validate is
// bad input (400) whose details list every problem with its file, line, column and field; a
// run that cannot build its cloud or breaks an accounting invariant is SIMULATION_FAILED.
import { defineError } from '../transports/errors.js';

/** The scenario file does not parse or does not validate; details.problems lists each one. */
export const ScenarioInvalid = defineError('SCENARIO_INVALID', 400);
/** A line of a VM trace (Azure vmtable CSV) is malformed; details name the file, line and column. */
export const TraceInvalid = defineError('TRACE_INVALID', 400);
/** The simulated cloud could not be set up, or a run broke one of its own accounting invariants. */
export const SimulationFailed = defineError('SIMULATION_FAILED', 500);
