// Every cloud service registered on one actor system: identity, quotas, the compute catalogs,
// the scheduler, compute hosts and instances. One place, so `cumulo up`, Cloud.start() and the
// benchmarks run the same cloud.
import type { EventSink } from '../actors/events.js';
import { registerComputeCatalogs, registerInstances } from '../actors/compute/index.js';
import { registerIdentity } from '../actors/identity/index.js';
import { registerQuota } from '../actors/quota/index.js';
import { createSchedulerKind, type SchedulerKindOptions } from '../actors/scheduler/index.js';
import { registerHostKind, type HostKindOptions } from '../hosts/compute/index.js';
import type { ActorSystem } from '../supervision/index.js';
import type { Result } from '../transports/errors.js';

export interface ServiceOptions {
  readonly events: EventSink;
  readonly tokenTtlMs?: number;
  /** scrypt cost of password hashes (tests and benchmarks may lower it). */
  readonly passwordCost?: number;
  readonly scheduler?: SchedulerKindOptions;
  readonly hosts?: HostKindOptions;
}

export function registerServices(system: ActorSystem, options: ServiceOptions): Result<void> {
  const { events } = options;
  const steps: Array<() => Result<void>> = [
    () =>
      registerIdentity(system, {
        events,
        ...(options.tokenTtlMs === undefined ? {} : { tokenTtlMs: options.tokenTtlMs }),
        ...(options.passwordCost === undefined ? {} : { passwordCost: options.passwordCost }),
      }),
    () => registerQuota(system),
    () => registerComputeCatalogs(system, { events }),
    () => system.register(createSchedulerKind(options.scheduler ?? {})),
    () => registerHostKind(system, options.hosts ?? {}),
    () => registerInstances(system, { events }),
  ];
  for (const step of steps) {
    const result = step();
    if (!result.ok) return result;
  }
  return { ok: true, value: undefined };
}
