// The inspection stream as pino log lines: one line per event at a level that fits it
// (failures warn, escalations error, a fatal escalation is fatal). Events carry message types,
// never bodies; error details whose names look secret are dropped before logging.
import type { Level, Logger } from 'pino';
import type { ErrorValue } from '../transports/errors.js';
import type { InspectionEvent, InspectionListener, InspectionType } from './inspection.js';

/** Per-message events are chatty; they log at trace (usually off). */
const LEVELS: Readonly<Record<InspectionType, Level>> = {
  spawned: 'debug',
  activated: 'debug',
  received: 'trace',
  'state-changed': 'trace',
  persisted: 'trace',
  failed: 'warn',
  restarted: 'warn',
  escalated: 'error',
  passivated: 'debug',
  stopped: 'info',
  'timer-fired': 'trace',
  'reminder-fired': 'debug',
  duplicate: 'debug',
  'dead-letter': 'info',
};

const SECRET = /token|secret|password|passwd|credential|authorization|cookie|key/i;

/** A copy of the error without detail fields that might carry a secret. */
function redacted(error: ErrorValue): ErrorValue {
  if (error.details === undefined) return error;
  const details: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(error.details)) details[name] = SECRET.test(name) ? '[redacted]' : value;
  return { ...error, details };
}

function fields(event: InspectionEvent): Record<string, unknown> {
  switch (event.type) {
    case 'failed':
      return { ...event, error: redacted(event.error) };
    case 'restarted':
    case 'escalated':
      return { ...event, reason: redacted(event.reason) };
    case 'dead-letter':
      return { ...event, reason: redacted(event.reason) };
    default:
      return { ...event };
  }
}

/** A listener that logs every event to `logger` (e.g. `system.inspect(logInspection(pino()))`). */
export function logInspection(logger: Logger): InspectionListener {
  return (event) => {
    const level: Level = event.type === 'escalated' && event.fatal ? 'fatal' : LEVELS[event.type];
    if (!logger.isLevelEnabled(level)) return;
    logger[level](fields(event), `actor ${event.type} ${event.path}`);
  };
}
