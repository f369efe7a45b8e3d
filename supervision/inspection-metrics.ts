// The inspection stream as Prometheus metrics (prom-client), registered in the Registry the
// caller passes (never the global one): messages, persists, failures, restarts, escalations,
// activations, passivations, dead letters and duplicates, plus the active actors per kind read
// from the system at scrape time. Labels are kinds and error codes: bounded, never ids.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { InspectionListener } from './inspection.js';

/** What the metrics read from a system: its stream and its live activations per kind. */
export interface MetricsSource {
  inspect(listener: InspectionListener): () => void;
  activeCounts(): ReadonlyMap<string, number>;
}

/** Spawned actors and supervisors have no kind; they are counted under this label. */
const SPAWNED = '(spawned)';

/** Registers the metrics in `registry` and feeds them from `system`; returns the detach function. */
export function attachMetrics(system: MetricsSource, registry: Registry, prefix = 'cumulo_actor_'): () => void {
  const registers = [registry];
  const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name: `${prefix}${name}`, help, labelNames, registers });
  const messages = counter('messages_total', 'Messages handled by actors', ['kind']);
  const persists = counter('persists_total', 'State records persisted', ['kind']);
  const failures = counter('failures_total', 'Handler and activation failures', ['kind', 'code']);
  const restarts = counter('restarts_total', 'Restarts decided by supervisors', ['kind']);
  const escalations = counter('escalations_total', 'Spent restart budgets', ['fatal']);
  const activations = counter('activations_total', 'Virtual actor activations', ['kind']);
  const passivations = counter('passivations_total', 'Virtual actors passivated when idle', ['kind']);
  const deadLetters = counter('dead_letters_total', 'Messages answered with an error instead of delivered', ['code']);
  const duplicates = counter('duplicates_total', 'Redelivered messages answered without applying them again', ['kind']);
  const reminders = counter('reminders_fired_total', 'Durable reminders fired', ['kind']);
  new Gauge({
    name: `${prefix}active`,
    help: 'Active virtual actors',
    labelNames: ['kind'],
    registers,
    collect() {
      this.reset();
      for (const [kind, n] of system.activeCounts()) this.set({ kind }, n);
    },
  });
  return system.inspect((event) => {
    switch (event.type) {
      case 'received':
        messages.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'persisted':
        persists.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'failed':
        failures.inc({ kind: event.kind ?? SPAWNED, code: event.error.code });
        break;
      case 'restarted':
        restarts.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'escalated':
        escalations.inc({ fatal: String(event.fatal) });
        break;
      case 'activated':
        activations.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'passivated':
        passivations.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'dead-letter':
        deadLetters.inc({ code: event.reason.code });
        break;
      case 'duplicate':
        duplicates.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'reminder-fired':
        reminders.inc({ kind: event.kind ?? SPAWNED });
        break;
      case 'spawned':
      case 'state-changed':
      case 'stopped':
      case 'timer-fired':
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown inspection event ${String((never as { type: unknown }).type)}`);
      }
    }
  });
}
