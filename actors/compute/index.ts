// The compute service's public face: the server actor (`instance/<uuid>`) with its messages,
// status table, views, events and error codes, the per-project servers index, and the catalogs
// (flavors, key pairs, server groups) from catalog.ts.
import type { ActorSystem } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { createInstanceKind, type InstanceKindOptions } from './instance-actor.js';
import { createServersIndexKind } from './servers-index.js';

export { createInstanceKind } from './instance-actor.js';
export type { InstanceKind, InstanceKindOptions } from './instance-actor.js';
export { InstanceMessage, Metadata, ServerName, MAX_METADATA_ITEMS, CLIENT_MESSAGES } from './instance-messages.js';
export type { CreateMessage } from './instance-messages.js';
export { POWER, viewOf } from './instance-record.js';
export type { Fault, FlavorSnapshot, InstanceRecord, InstanceState, InstanceView, PowerState, QuotaStanding, ServerGroupRef } from './instance-record.js';
export { CREATED, PHASES, STATUSES, TASK_STATES, TRANSITIONS, invalidStateMessage, isSettled, keyOf, phaseOf, transition, vmStateOf } from './instance-status.js';
export type { InstanceStatus, InvalidState, Phase, PhaseKey, TaskState, Transition, TransitionResult, VmState } from './instance-status.js';
export { ACTION_FAILED_EVENT, INSTANCE_KIND, STATUS_EVENT, UPDATED_EVENT } from './instance-events.js';
export { RESUME } from './instance-workflow.js';
export { InstanceExists, InstanceInvalidState, InstanceNotFound } from './instance-errors.js';
export { createServersIndexKind, ServerSummary, ServersIndexMessage, SERVERS_KIND } from './servers-index.js';
export type { ServersIndexKind, ServersIndexReply, ServersIndexState } from './servers-index.js';

export * from './catalog.js';

/** Registers `instance` and `servers` on a system. */
export function registerInstances(system: ActorSystem, options: InstanceKindOptions): Result<void> {
  const instances = system.register(createInstanceKind(options));
  if (!instances.ok) return instances;
  return system.register(createServersIndexKind());
}
