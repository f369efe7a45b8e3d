// The events a server publishes on its project's topic, always after the change is persisted:
// `instance.status` for every status change (in order, per server), `instance.updated` for a new
// name or metadata, `instance.actionFailed` when the hypervisor refused a power action.
import type { EventSink } from '../events.js';
import type { InstanceRecord } from './instance-record.js';
import type { InstanceStatus } from './instance-status.js';

export const INSTANCE_KIND = 'instance';

export const STATUS_EVENT = 'instance.status';
export const UPDATED_EVENT = 'instance.updated';
export const ACTION_FAILED_EVENT = 'instance.actionFailed';

export function publishStatus(events: EventSink, r: InstanceRecord, previous: InstanceStatus | null, at: number): void {
  events.publish({
    type: STATUS_EVENT,
    projectId: r.projectId,
    kind: INSTANCE_KIND,
    id: r.id,
    at,
    body: { status: r.status, previous, taskState: r.taskState, hostId: r.hostId, fault: r.fault },
  });
}

export function publishUpdated(events: EventSink, r: InstanceRecord, at: number): void {
  events.publish({ type: UPDATED_EVENT, projectId: r.projectId, kind: INSTANCE_KIND, id: r.id, at, body: { name: r.name, metadata: r.metadata } });
}

export function publishActionFailed(events: EventSink, r: InstanceRecord, action: string, message: string, at: number): void {
  events.publish({ type: ACTION_FAILED_EVENT, projectId: r.projectId, kind: INSTANCE_KIND, id: r.id, at, body: { action, message, status: r.status } });
}
