// One typed inspection stream: every lifecycle step of every actor as a discriminated union.
// Logs (inspection-log.ts), metrics (inspection-metrics.ts), the dashboard and the simulator
// read this one stream. Events carry message types, never bodies: bodies may carry secrets.
import type { ErrorValue } from '../transports/errors.js';

interface Base {
  /** `/parent/child` for spawned actors and supervisors, `kind/id` for virtual actors. */
  readonly path: string;
  /** Clock time of the event. */
  readonly at: number;
}

/** Kind of the virtual actor, or undefined for spawned actors and supervisors. */
interface Grain {
  readonly kind?: string;
}

export type InspectionEvent =
  | (Base & { readonly type: 'spawned'; readonly supervisor: boolean })
  | (Base & Grain & { readonly type: 'activated'; readonly revision: number })
  | (Base & Grain & { readonly type: 'received'; readonly messageType: string })
  | (Base & { readonly type: 'state-changed' })
  | (Base & Grain & { readonly type: 'persisted'; readonly revision: number; readonly epoch: number })
  | (Base & Grain & { readonly type: 'failed'; readonly error: ErrorValue; readonly messageType: string | undefined })
  | (Base & Grain & { readonly type: 'restarted'; readonly reason: ErrorValue; readonly attempt: number; readonly backoffMs: number })
  | (Base & Grain & { readonly type: 'escalated'; readonly reason: ErrorValue; readonly fatal: boolean })
  | (Base & Grain & { readonly type: 'passivated' })
  | (Base & Grain & { readonly type: 'stopped'; readonly reason: string })
  | (Base & Grain & { readonly type: 'timer-fired'; readonly name: string })
  | (Base & Grain & { readonly type: 'reminder-fired'; readonly name: string })
  | (Base & Grain & { readonly type: 'duplicate'; readonly inc: string; readonly seq: number })
  | (Base & Grain & { readonly type: 'dead-letter'; readonly messageType: string; readonly reason: ErrorValue });

export type InspectionType = InspectionEvent['type'];
export type InspectionListener = (event: InspectionEvent) => void;

/** Fans events out to listeners; `active` lets hot paths skip building events nobody reads. */
export class Inspector {
  private listeners: InspectionListener[] = [];
  active = false;

  subscribe(listener: InspectionListener): () => void {
    this.listeners = [...this.listeners, listener];
    this.active = true;
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
      this.active = this.listeners.length > 0;
    };
  }

  emit(event: InspectionEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (caught) {
        // A broken listener must not break the actor that emitted; it is reported, not hidden.
        process.emitWarning(`inspection listener threw on ${event.type}: ${String(caught)}`, 'CumuloInspectionWarning');
      }
    }
  }
}
