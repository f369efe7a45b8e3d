// How requests reach the simulated cloud. `full`: each request is a server — `create` and
// `delete` sent to `instance/<id>` through the bus with the project's token, the outcome read
// from the server's status events (ACTIVE, ERROR, DELETED), exactly as a client of a fabric sees
// it. `placement`: the simulator plays the server actor's part of the workflow and runs the
// production call for bids (placeInstance: candidates, bids, admit, claim), and unclaims at the end.
import { InstanceNotFound } from '../actors/compute/index.js';
import type { ResourceEvent } from '../actors/events.js';
import { SYSTEM_CALLER } from '../actors/identity/caller.js';
import { placeInstance, requestFromFlavor, type GroupPolicy } from '../actors/scheduler/index.js';
import type { Message } from '../supervision/index.js';
import type { Result } from '../transports/errors.js';
import { shardOf, topics } from '../transports/topics.js';
import type { Flavor } from './scenario.js';
import type { Project, SimCloud } from './sim-cloud.js';

/** One instance the workload asked for (a replacement after a host failure gets a new id). */
export interface InstanceRequest {
  readonly id: string;
  readonly workload: string;
  /** The request's number in the run, and how many times its server was rebuilt (its name says both). */
  readonly seq: number;
  readonly rebuilds: number;
  readonly flavor: Flavor;
  readonly project: Project;
  readonly zone: string | undefined;
  readonly group: { readonly id: string; readonly policy: GroupPolicy } | undefined;
}

/** What the cloud answered about an instance (by its id). */
export interface Outcomes {
  placed(id: string, hostId: string): void;
  rejected(id: string, reason: string): void;
  /** Deleted (full) or unclaimed (placement): its resources are free. */
  gone(id: string): void;
}

export interface Driver {
  createGroup(project: Project, groupId: string, policy: GroupPolicy): Promise<Result<unknown>>;
  create(request: InstanceRequest): void;
  remove(request: InstanceRequest, hostId: string | null): void;
  /** The servers' events (full mode reads outcomes from them). */
  onEvent(event: ResourceEvent): void;
}

/** Requests through the fabric node, as a client would send them; outcomes from the events. */
export function fullDriver(cloud: SimCloud, outcomes: Outcomes): Driver {
  const send = (kind: string, id: string, type: string, body: Record<string, unknown>, token: string): Promise<Result<unknown>> =>
    cloud.client.ask(topics.mailbox(shardOf(kind, id)), `${kind}/${id}`, type, body, { token, timeoutMs: 600_000 });
  return {
    createGroup: (project, groupId, policy) => send('server-group', groupId, 'create', { name: `group-${groupId.slice(0, 8)}`, policy }, project.token),
    create(request) {
      const body = {
        name: `${request.workload}-${request.seq}${request.rebuilds === 0 ? '' : `-r${request.rebuilds}`}`,
        flavorId: request.flavor.id,
        ...(request.zone === undefined ? {} : { zone: request.zone }),
        ...(request.group === undefined ? {} : { groupId: request.group.id }),
      };
      void send('instance', request.id, 'create', body, request.project.token).then((r) => {
        // A refused create never becomes a server (quota, bad input); an accepted one reports by events.
        if (!r.ok) outcomes.rejected(request.id, r.error.code);
      });
    },
    remove(request) {
      void send('instance', request.id, 'delete', {}, request.project.token).then((r) => {
        // Already gone (a build that ended in ERROR was deleted by the workload): nothing more to hear.
        if (!r.ok && InstanceNotFound.is(r.error)) outcomes.gone(request.id);
      });
    },
    onEvent(e) {
      if (e.type !== 'instance.status' || e.kind !== 'instance') return;
      const status = e.body.status;
      if (status === 'ACTIVE' && e.body.previous === 'BUILD') outcomes.placed(e.id, String(e.body.hostId));
      else if (status === 'ERROR' && e.body.previous === 'BUILD') {
        const fault = e.body.fault as { message?: string } | null;
        outcomes.rejected(e.id, fault?.message?.startsWith('No valid host') === true ? 'NO_VALID_HOST' : 'BUILD_FAILED');
      } else if (status === 'DELETED') outcomes.gone(e.id);
    },
  };
}

/** The production call for bids and host claims, driven by the simulator in the server's place. */
export function placementDriver(cloud: SimCloud, outcomes: Outcomes): Driver {
  const { system } = cloud;
  return {
    createGroup: (project, groupId, policy) => system.ref('server-group', groupId).ask({ type: 'create', caller: project.caller, name: `group-${groupId.slice(0, 8)}`, policy } as Message),
    create(request) {
      const placement = requestFromFlavor(request.flavor, {
        instanceId: request.id,
        ...(request.zone === undefined ? {} : { zone: request.zone }),
        ...(request.group === undefined ? {} : { group: request.group }),
      });
      if (!placement.ok) {
        outcomes.rejected(request.id, placement.error.code);
        return;
      }
      void placeInstance(system, placement.value, { caller: SYSTEM_CALLER }).then((r) => (r.ok ? outcomes.placed(request.id, r.value.hostId) : outcomes.rejected(request.id, r.error.code)));
    },
    remove(request, hostId) {
      if (request.group !== undefined) system.ref('server-group', request.group.id).tell({ type: 'leave', caller: SYSTEM_CALLER, instanceId: request.id } as Message);
      if (hostId === null) {
        outcomes.gone(request.id);
        return;
      }
      void system
        .ref('host', hostId)
        .ask({ type: 'unclaim', caller: SYSTEM_CALLER, instanceId: request.id } as Message)
        .then(() => outcomes.gone(request.id));
    },
    onEvent() {},
  };
}
