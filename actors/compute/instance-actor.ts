// `instance/<uuid>`, the Nova server: one actor per server, its status and task_state moved only
// through the transition table. Client messages are checked against the caller (another
// project's server is 404, as in Nova; a reader may look but not change); the workflow's own
// messages (resume, and the host's spawned/spawnFailed) only come from the fabric.
import { compileCheck } from '../schema-check.js';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, NotFound, type ErrorValue } from '../../transports/errors.js';
import type { EventSink } from '../events.js';
import { mayRead, mayWrite, mustBeSystem } from '../identity/caller.js';
import { QuotaExceeded } from '../quota/index.js';
import type { PlaceOptions } from '../scheduler/index.js';
import { create } from './instance-create.js';
import { InstanceInvalidState, InstanceNotFound } from './instance-errors.js';
import { INSTANCE_KIND, publishStatus, publishUpdated } from './instance-events.js';
import { InstanceMessage, MAX_METADATA_ITEMS } from './instance-messages.js';
import { viewOf, type InstanceRecord, type InstanceState, type InstanceView } from './instance-record.js';
import { invalidStateMessage, transition, type Transition } from './instance-status.js';
import { finishDelete, hostFailed, resume, RESUME, spawned, write, type InstanceContext, type WorkflowSettings } from './instance-workflow.js';

export interface InstanceKindOptions {
  /** Where status changes are published (the sdk wires it to the project's event topic). */
  readonly events: EventSink;
  /** Hosts a build may fail on before ERROR (default 3, Nova's max_attempts). */
  readonly maxAttempts?: number;
  /** Period of the resume reminder while work is under way (default 30 000 ms). */
  readonly resumeEveryMs?: number;
  /** A boot the host has not reported by then fails on that host (default 300 000 ms). */
  readonly spawnTimeoutMs?: number;
  /** Retryable placement failures (TIMEOUT, UNAVAILABLE) are retried on the reminder until the server is this old (default 120 000 ms). */
  readonly retryScheduleForMs?: number;
  /** Options of the call for bids (scheduler id, rounds, ask timeout). */
  readonly placement?: PlaceOptions;
}

export type InstanceKind = KindDefinition<InstanceState, InstanceMessage, InstanceView | null>;

const invalid = compileCheck(InstanceMessage);

function notFound(id: string): ErrorValue {
  return InstanceNotFound(`Instance ${id} could not be found.`, { id });
}

/** The server, if the caller may see it (and change it, for `change`). */
function access(ctx: InstanceContext, caller: unknown, change: boolean): InstanceRecord | ErrorValue {
  const r = ctx.state;
  if (r === null || r.status === 'DELETED') return notFound(ctx.id);
  const denied = mayRead(caller, r.projectId);
  // Another project's server does not exist for this caller (Nova answers 404, not 403).
  if (denied !== undefined) return denied.code === Forbidden.code ? notFound(ctx.id) : denied;
  if (change) {
    const refused = mayWrite(caller, r.projectId);
    if (refused !== undefined) return refused;
  }
  return r;
}

function isError(x: InstanceRecord | ErrorValue): x is ErrorValue {
  return 'code' in x;
}

/** The workflow's messages come from this fabric only: no caller (in process) or the system. */
function fromFabric(caller: unknown): ErrorValue | undefined {
  return caller === undefined ? undefined : mustBeSystem(caller);
}

export function createInstanceKind(options: InstanceKindOptions): InstanceKind {
  const s: WorkflowSettings = {
    events: options.events,
    maxAttempts: options.maxAttempts ?? 3,
    resumeEveryMs: options.resumeEveryMs ?? 30_000,
    spawnTimeoutMs: options.spawnTimeoutMs ?? 300_000,
    retryScheduleForMs: options.retryScheduleForMs ?? 120_000,
    placement: options.placement ?? {},
  };

  /** Starts a task from the table (stop, start, reboot); the host does it on the next resume. */
  async function begin(ctx: InstanceContext, r: InstanceRecord, action: string, t: Transition): Promise<InstanceView | Refusal> {
    const to = transition(r, t);
    if (!to.ok) return refuse(InstanceInvalidState(invalidStateMessage(action, r.id, to.invalid), { id: r.id, action, ...to.invalid }));
    // An ERROR server that never reached a host has nothing to power.
    if (r.hostId === null) return refuse(InstanceInvalidState(invalidStateMessage(action, r.id, { attr: 'vm_state', state: 'error' }), { id: r.id, action }));
    const next = await write(ctx, s, { ...r, status: to.phase.status, taskState: to.phase.taskState });
    if (next.status !== r.status) publishStatus(s.events, next, r.status, ctx.clock.now());
    ctx.self.tell({ type: 'resume' });
    return viewOf(next);
  }

  return defineKind<InstanceState, InstanceMessage, InstanceView | null>({
    name: INSTANCE_KIND,
    messageTypes: {
      create: true,
      show: true,
      delete: true,
      stop: true,
      start: true,
      reboot: true,
      rename: true,
      setMetadata: true,
      deleteMetadata: true,
      resume: true,
      spawned: true,
      spawnFailed: true,
    },
    initialState: null,
    async handle(ctx, msg): Promise<InstanceView | null | Refusal> {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      switch (msg.type) {
        case 'create':
          return create(ctx, s, msg);
        case 'show': {
          const r = access(ctx, msg.caller, false);
          return isError(r) ? refuse(r) : viewOf(r);
        }
        case 'delete': {
          const r = access(ctx, msg.caller, true);
          if (isError(r)) return refuse(r);
          // A second delete while the first is under way answers where it stands.
          if (r.taskState === 'deleting') return viewOf(r);
          const to = transition(r, 'delete');
          if (!to.ok) return refuse(InstanceInvalidState(invalidStateMessage('delete', r.id, to.invalid), { id: r.id, action: 'delete', ...to.invalid }));
          const deleting = await write(ctx, s, { ...r, status: to.phase.status, taskState: to.phase.taskState });
          // A delete during a reboot shows the server ACTIVE (Nova's vm_state) until it is gone.
          if (deleting.status !== r.status) publishStatus(s.events, deleting, r.status, ctx.clock.now());
          return viewOf(await finishDelete(ctx, s));
        }
        case 'stop':
        case 'start': {
          const r = access(ctx, msg.caller, true);
          return isError(r) ? refuse(r) : begin(ctx, r, msg.type, msg.type);
        }
        case 'reboot': {
          const r = access(ctx, msg.caller, true);
          return isError(r) ? refuse(r) : begin(ctx, r, 'reboot', msg.hard === true ? 'rebootHard' : 'rebootSoft');
        }
        case 'rename': {
          const r = access(ctx, msg.caller, true);
          if (isError(r)) return refuse(r);
          const next = await write(ctx, s, { ...r, name: msg.name });
          publishUpdated(s.events, next, ctx.clock.now());
          return viewOf(next);
        }
        case 'setMetadata': {
          const r = access(ctx, msg.caller, true);
          if (isError(r)) return refuse(r);
          const metadata = msg.replace === true ? { ...msg.metadata } : { ...r.metadata, ...msg.metadata };
          if (Object.keys(metadata).length > MAX_METADATA_ITEMS) return refuse(QuotaExceeded(`Quota exceeded for metadata_items: at most ${MAX_METADATA_ITEMS} items are allowed.`, { resource: 'metadataItems', limit: MAX_METADATA_ITEMS }));
          const next = await write(ctx, s, { ...r, metadata });
          publishUpdated(s.events, next, ctx.clock.now());
          return viewOf(next);
        }
        case 'deleteMetadata': {
          const r = access(ctx, msg.caller, true);
          if (isError(r)) return refuse(r);
          const missing = msg.keys.find((k) => !Object.hasOwn(r.metadata, k));
          if (missing !== undefined) return refuse(NotFound(`Metadata item was not found: ${missing}`, { key: missing }));
          const metadata = Object.fromEntries(Object.entries(r.metadata).filter(([k]) => !msg.keys.includes(k)));
          const next = await write(ctx, s, { ...r, metadata });
          publishUpdated(s.events, next, ctx.clock.now());
          return viewOf(next);
        }
        case 'resume': {
          const denied = fromFabric(msg.caller);
          if (denied !== undefined) return refuse(denied);
          await resume(ctx, s);
          return ctx.state === null ? null : viewOf(ctx.state);
        }
        case 'spawned': {
          const denied = fromFabric(msg.caller);
          if (denied !== undefined) return refuse(denied);
          await spawned(ctx, s, msg.hostId);
          return null;
        }
        case 'spawnFailed': {
          const denied = fromFabric(msg.caller);
          if (denied !== undefined) return refuse(denied);
          await hostFailed(ctx, s, msg.hostId, msg.reason);
          return null;
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
    async onReminder(ctx, name) {
      if (name === RESUME) await resume(ctx, s);
    },
  });
}
