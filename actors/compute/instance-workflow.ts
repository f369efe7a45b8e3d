// The spawn workflow of a server (DESIGN.md "The provisioning workflow, as actors"), as steps the
// actor runs on `resume` messages to itself and on its durable reminder: placement by a call for
// bids, the build's task states, the host's spawn, rescheduling on failure, power actions, the
// end of a delete, and the obligations a settled server may still owe (claims to give back,
// quota to commit or release, a server group to leave). Every step re-runs safely after a crash.
import type { GrainContext } from '../../supervision/index.js';
import { err, Internal, type ErrorValue, type Result } from '../../transports/errors.js';
import type { EventSink } from '../events.js';
import { NO_VALID_HOST_MESSAGE, NoValidHost, placeInstance, requestFromFlavor, type PlaceOptions } from '../scheduler/index.js';
import { publishActionFailed, publishStatus } from './instance-events.js';
import type { InstanceMessage } from './instance-messages.js';
import {
  announcingClaims,
  commitQuota,
  destroyOn,
  leaveGroup,
  powerOn,
  putSummary,
  releaseQuota,
  removeSummary,
  reserveQuota,
  spawnOn,
  tellDestroy,
  unclaimOn,
  type PowerAction,
} from './instance-ports.js';
import { POWER, viewOf, type Fault, type InstanceRecord, type InstanceState } from './instance-record.js';
import { transition, type Transition } from './instance-status.js';
import type { ServerSummary } from './servers-index.js';

export type InstanceContext = GrainContext<InstanceState, InstanceMessage>;

/** The durable reminder that keeps a server with work under way (or owed) moving. */
export const RESUME = 'resume';

/**
 * Activations whose create was granted its quota reservation: the record still says
 * `reserving` (a crash before the build's first write asks again, idempotently), but in this
 * activation the build need not ask the quota actor a second time.
 */
export const reservedHere = new WeakSet<InstanceContext>();

export interface WorkflowSettings {
  readonly events: EventSink;
  /** Hosts a build may fail on before it ends in ERROR (Nova's max_attempts, default 3). */
  readonly maxAttempts: number;
  /** Period of the resume reminder while work is under way (default 30 s). */
  readonly resumeEveryMs: number;
  /** A boot not reported by then fails on its host (default 5 min). */
  readonly spawnTimeoutMs: number;
  /** Retryable placement failures (TIMEOUT, UNAVAILABLE) are retried until the server is this old (default 2 min). */
  readonly retryScheduleForMs: number;
  /** Passed to placeInstance (scheduler id, rounds, ask timeout). */
  readonly placement: PlaceOptions;
}

/** The record, which a workflow step only ever runs on; its absence is a bug. */
export function current(ctx: InstanceContext): InstanceRecord {
  const r = ctx.state;
  if (r === null) throw new Error(`${ctx.key}: workflow step on a server that does not exist`);
  return r;
}

function with_<T>(list: readonly T[], item: T): T[] {
  return list.includes(item) ? [...list] : [...list, item];
}

/** Build failures and deletes give everything back; a server that ran keeps its claim and quota. */
function gone(r: InstanceRecord): boolean {
  return r.status === 'DELETED' || (r.status === 'ERROR' && r.hostId === null);
}

function quotaDue(r: InstanceRecord): 'commit' | 'release' | null {
  if (gone(r)) return r.quota === 'released' ? null : 'release';
  if (r.status !== 'BUILD' && r.quota === 'reserved') return 'commit';
  return null;
}

/** Whether the server has work under way or owed: then its resume reminder must be set. */
export function needsWork(r: InstanceRecord): boolean {
  return r.taskState !== null || r.claimIntents.length > 0 || quotaDue(r) !== null || (r.inGroup && gone(r));
}

export function summaryOf(r: InstanceRecord, revision: number): ServerSummary {
  return { id: r.id, name: r.name, status: r.status, flavorId: r.flavor.id, createdAt: r.createdAt, updatedAt: r.updatedAt, revision, view: { ...viewOf(r) } };
}

/** Whether what a settled server shows changed (updatedAt aside): its index summary must follow. */
function shownChanged(prev: InstanceRecord, next: InstanceRecord): boolean {
  return (
    prev.taskState !== next.taskState ||
    prev.powerState !== next.powerState ||
    prev.hostId !== next.hostId ||
    prev.zone !== next.zone ||
    prev.keyName !== next.keyName ||
    prev.imageId !== next.imageId ||
    prev.flavor !== next.flavor ||
    prev.metadata !== next.metadata ||
    prev.fault !== next.fault ||
    prev.launchedAt !== next.launchedAt ||
    prev.terminatedAt !== next.terminatedAt ||
    (prev.group?.id ?? null) !== (next.group?.id ?? null)
  );
}

function remind(ctx: InstanceContext, s: WorkflowSettings): Promise<void> {
  return ctx.setReminder(RESUME, s.resumeEveryMs, { periodMs: s.resumeEveryMs });
}

/**
 * Persists the next record, keeping the reminder and the servers index in step: the reminder is
 * set in the same breath as the write that starts work (before it, in store order) and cancelled
 * only once the index shows the result, so a crash anywhere, or an index update that failed,
 * leaves a reminder to finish the job.
 */
export async function write(ctx: InstanceContext, s: WorkflowSettings, next: InstanceRecord, options: { readonly index?: boolean } = {}): Promise<InstanceRecord> {
  const prev = ctx.state;
  const stamped: InstanceRecord = { ...next, updatedAt: ctx.clock.now() };
  const busy = needsWork(stamped);
  const wasBusy = prev !== null && needsWork(prev);
  if (busy && !wasBusy) await Promise.all([remind(ctx, s), ctx.persist(stamped)]);
  else await ctx.persist(stamped);
  const indexed = options.index === false || (await syncIndex(ctx, prev, stamped));
  // Not awaited: whatever follows (an event) depends on the record and the index, not on the
  // reminder being gone (a reminder left by a crash finds nothing to do); the handler's reply
  // still waits for it, and its failure crashes the actor.
  if (!busy && wasBusy && indexed) void ctx.cancelReminder(RESUME);
  if (!busy && !wasBusy && !indexed) await remind(ctx, s);
  return stamped;
}

/** Whether the index shows the record now (no update needed, or the update was taken). */
async function syncIndex(ctx: InstanceContext, prev: InstanceState, next: InstanceRecord): Promise<boolean> {
  if (next.status === 'DELETED') return prev?.status === 'DELETED' || (await removeSummary(ctx, next.projectId, next.id)).ok;
  // Status and name changes always (plain listings and filters show them), a task starting or
  // ending, and what a settled server shows: a detail listing takes a settled server's view from
  // the index and asks the server itself only while a task is under way.
  if (prev !== null && prev.status === next.status && prev.name === next.name) {
    const settled = next.taskState === null;
    if (settled === (prev.taskState === null) && (!settled || !shownChanged(prev, next))) return true;
  }
  return (await putSummary(ctx, next.projectId, summaryOf(next, ctx.revision))).ok;
}

function moved(r: InstanceRecord, t: Transition): InstanceRecord {
  const to = transition(r, t);
  if (!to.ok) throw new Error(`instance/${r.id}: ${t} from ${r.status}/${r.taskState ?? '-'} is not in the table`);
  return { ...r, status: to.phase.status, taskState: to.phase.taskState };
}

function fault(ctx: InstanceContext, code: number, message: string): Fault {
  return { code, message, created: ctx.clock.now() };
}

/** Runs the next step of whatever the server has under way (or owes). */
export async function resume(ctx: InstanceContext, s: WorkflowSettings): Promise<void> {
  const r = ctx.state;
  if (r === null) {
    // A create that crashed before its record was written, or was refused: nothing to finish.
    await ctx.cancelReminder(RESUME);
    return;
  }
  switch (r.taskState) {
    case 'scheduling':
      return schedule(ctx, s);
    case 'networking':
      // No network service yet: ports are a later issue; the step is kept so the phases match Nova.
      // The next step follows in the same turn of the mailbox (it is persisted, so a crash resumes there).
      await write(ctx, s, moved(r, 'networked'));
      return resume(ctx, s);
    case 'block_device_mapping':
      return requestSpawn(ctx, s, await write(ctx, s, { ...moved(r, 'mapped'), spawnAt: ctx.clock.now() }));
    case 'spawning':
      if (r.spawnAt !== null && ctx.clock.now() - r.spawnAt >= s.spawnTimeoutMs) return hostFailed(ctx, s, r.hostId ?? '', `Timed out after ${s.spawnTimeoutMs} ms waiting for the host to spawn`);
      // Resumed (after a crash, or by the reminder): ask again; a host's spawn is idempotent.
      return requestSpawn(ctx, s, r);
    case 'deleting':
      await finishDelete(ctx, s);
      return;
    case 'powering-off':
      return power(ctx, s, 'stop');
    case 'powering-on':
      return power(ctx, s, 'start');
    case 'rebooting':
      return power(ctx, s, 'reboot-soft');
    case 'rebooting_hard':
      return power(ctx, s, 'reboot-hard');
    case null: {
      // Settled: pay what is owed, then repair an index update a crash (or a failure) lost.
      const after = await settleObligations(ctx, s);
      const repaired = after.status === 'DELETED' ? await removeSummary(ctx, after.projectId, after.id) : await putSummary(ctx, after.projectId, summaryOf(after, ctx.revision));
      if (!repaired.ok) await remind(ctx, s);
      else if (!needsWork(after)) await ctx.cancelReminder(RESUME);
      return;
    }
    default: {
      const never: never = r.taskState;
      throw new Error(`unknown task state ${String(never)}`);
    }
  }
}

/** Gives back stray claims and, once the server is settled, its quota and group membership. */
export async function settleObligations(ctx: InstanceContext, s: WorkflowSettings): Promise<InstanceRecord> {
  const r = current(ctx);
  const strays = r.claimIntents.filter((h) => h !== r.hostId);
  const unclaimed = await Promise.all(strays.map((h) => unclaimOn(ctx, h, r.id)));
  const claimIntents = strays.filter((_, i) => !unclaimed[i]!.ok);
  let quota = r.quota;
  const due = quotaDue(r);
  if (due === 'release' && (await releaseQuota(ctx, r.projectId, r.id)).ok) quota = 'released';
  if (due === 'commit' && (await commitQuota(ctx, r.projectId, r.id)).ok) quota = 'committed';
  let inGroup = r.inGroup;
  if (inGroup && gone(r) && r.group !== null && (await leaveGroup(ctx, r.group.id, r.id)).ok) inGroup = false;
  if (claimIntents.length === r.claimIntents.length && quota === r.quota && inGroup === r.inGroup) return r;
  return write(ctx, s, { ...r, claimIntents, quota, inGroup });
}

/** BUILD/scheduling: the call for bids, every claim announced (persisted) before it is sent. */
async function schedule(ctx: InstanceContext, s: WorkflowSettings): Promise<void> {
  let r = await settleObligations(ctx, s);
  let quota = r.quota;
  if (quota === 'reserving' && reservedHere.has(ctx)) quota = 'reserved';
  if (quota === 'reserving') {
    // Persisted before the reservation was asked for: ask again (reserve is idempotent per id).
    const reserved = await reserveQuota(ctx, r.projectId, r.id, r.flavor);
    if (!reserved.ok && retryLater(ctx, s, r, reserved.error)) return retrySoon(ctx, s, r);
    if (!reserved.ok) return buildFailed(ctx, s, fault(ctx, reserved.error.status, reserved.error.message));
    quota = 'reserved';
  }
  const request = requestFromFlavor(r.flavor, {
    instanceId: r.id,
    ...(r.zone === null ? {} : { zone: r.zone }),
    ...(r.group === null ? {} : { group: r.group }),
    excludeHosts: r.failedHosts,
  });
  if (!request.ok) return buildFailed(ctx, s, fault(ctx, 400, request.error.message), { quota });
  const intents = [...r.claimIntents];
  const refs = announcingClaims(ctx, async (hostId) => {
    if (intents.includes(hostId)) return;
    intents.push(hostId);
    await write(ctx, s, { ...current(ctx), quota, claimIntents: [...intents] });
  });
  const placed = await placeInstance(refs, request.value, s.placement);
  r = current(ctx);
  if (!placed.ok && retryLater(ctx, s, r, placed.error)) return retrySoon(ctx, s, r);
  if (!placed.ok) return buildFailed(ctx, s, placementFault(ctx, r, placed.error), { quota });
  const hostId = placed.value.hostId;
  const strays = intents.filter((h) => h !== hostId);
  await write(ctx, s, { ...moved(r, 'scheduled'), quota, hostId, claimIntents: strays, inGroup: r.group !== null });
  if (strays.length > 0) await settleObligations(ctx, s);
  // On to networking at once: a self-message would cost a mailbox hop per step.
  return resume(ctx, s);
}

/**
 * A failure that may pass (a timeout, a service restarting) leaves the build in scheduling for
 * the reminder to try again, while the server is younger than retryScheduleForMs.
 */
function retryLater(ctx: InstanceContext, s: WorkflowSettings, r: InstanceRecord, error: ErrorValue): boolean {
  return error.retryable && ctx.clock.now() - r.createdAt < s.retryScheduleForMs;
}

/**
 * Brings the next try forward: a failure that may pass (a service still starting after a restart)
 * is tried again after an eighth of the build's age (at least a quarter second, at most the
 * reminder's period), not a whole period later; the durable reminder keeps its period after it.
 */
function retrySoon(ctx: InstanceContext, s: WorkflowSettings, r: InstanceRecord): Promise<void> {
  const age = ctx.clock.now() - r.createdAt;
  const delay = Math.min(s.resumeEveryMs, Math.max(250, Math.round(age / 8)));
  return ctx.setReminder(RESUME, delay, { periodMs: s.resumeEveryMs });
}

function placementFault(ctx: InstanceContext, r: InstanceRecord, error: ErrorValue): Fault {
  if (error.code === NoValidHost.code) return fault(ctx, 500, NO_VALID_HOST_MESSAGE);
  return fault(ctx, 500, `Build of instance ${r.id} aborted: ${error.code}: ${error.message}`);
}

/** BUILD/spawning: asks the host to boot; the host tells spawned or spawnFailed when done. */
async function requestSpawn(ctx: InstanceContext, s: WorkflowSettings, r: InstanceRecord): Promise<void> {
  const hostId = r.hostId;
  if (hostId === null) throw new Error(`instance/${r.id}: spawning without a host`);
  const asked = await spawnOn(ctx, hostId, r.id, r.imageId === null ? null : { id: r.imageId, projectId: r.projectId });
  if (!asked.ok) await hostFailed(ctx, s, hostId, `${asked.error.code}: ${asked.error.message}`);
}

/** The host reported a finished boot. Late or stray reports (another host, a deleted server) are ignored. */
export async function spawned(ctx: InstanceContext, s: WorkflowSettings, hostId: string): Promise<void> {
  const r = ctx.state;
  if (r === null || r.status !== 'BUILD' || r.taskState !== 'spawning' || r.hostId !== hostId) return;
  // Commit first: a crash after it resumes in spawning and commits again (idempotent).
  const committed = (await commitQuota(ctx, r.projectId, r.id)).ok;
  const active = await write(ctx, s, {
    ...moved(r, 'spawned'),
    powerState: POWER.RUNNING,
    quota: committed ? 'committed' : 'reserved',
    launchedAt: ctx.clock.now(),
    spawnAt: null,
    fault: null,
  });
  publishStatus(s.events, active, r.status, ctx.clock.now());
}

/**
 * The boot failed on `hostId` (reported, refused or timed out): give the host back and try
 * another, or end in ERROR once maxAttempts hosts have failed.
 */
export async function hostFailed(ctx: InstanceContext, s: WorkflowSettings, hostId: string, reason: string): Promise<void> {
  const r = ctx.state;
  if (r === null || r.status !== 'BUILD' || r.taskState !== 'spawning' || r.hostId !== hostId) return;
  // The half-built domain: the host cleans it up (its answer does not change our course).
  tellDestroy(ctx, hostId, r.id);
  const failedHosts = with_(r.failedHosts, hostId);
  if (failedHosts.length >= s.maxAttempts) {
    const message = `Exceeded maximum number of retries. Exceeded max scheduling attempts ${s.maxAttempts} for instance ${r.id}. Last exception: ${reason}`;
    return buildFailed(ctx, s, fault(ctx, 500, message), { failedHosts });
  }
  await write(ctx, s, { ...moved(r, 'reschedule'), hostId: null, claimIntents: with_(r.claimIntents, hostId), failedHosts, spawnAt: null });
  ctx.self.tell({ type: 'resume' });
}

/** BUILD → ERROR with a fault: claims, quota and group membership are given back before the event. */
async function buildFailed(ctx: InstanceContext, s: WorkflowSettings, f: Fault, extra: Partial<InstanceRecord> = {}): Promise<void> {
  const r = { ...current(ctx), ...extra };
  await write(ctx, s, {
    ...moved(r, 'buildFailed'),
    hostId: null,
    claimIntents: r.hostId === null ? [...r.claimIntents] : with_(r.claimIntents, r.hostId),
    powerState: POWER.NOSTATE,
    spawnAt: null,
    fault: f,
  });
  const settled = await settleObligations(ctx, s);
  publishStatus(s.events, settled, 'BUILD', ctx.clock.now());
}

const DONE: Record<PowerAction, Transition> = { stop: 'stopped', start: 'started', 'reboot-soft': 'rebooted', 'reboot-hard': 'rebooted' };
const FAILED: Record<PowerAction, Transition> = { stop: 'powerFailed', start: 'powerFailed', 'reboot-soft': 'rebootFailed', 'reboot-hard': 'rebootFailed' };

/** powering-off, powering-on, rebooting, rebooting_hard: the host's hypervisor does it. */
async function power(ctx: InstanceContext, s: WorkflowSettings, action: PowerAction): Promise<void> {
  const r = current(ctx);
  const done: Result<unknown> = r.hostId === null ? err(Internal('the server has no host')) : await powerOn(ctx, r.hostId, r.id, action);
  if (done.ok) {
    const next = await write(ctx, s, { ...moved(r, DONE[action]), powerState: action === 'stop' ? POWER.SHUTDOWN : POWER.RUNNING, fault: null });
    if (next.status !== r.status) publishStatus(s.events, next, r.status, ctx.clock.now());
    return;
  }
  const message = `${done.error.code}: ${done.error.message}`;
  const failed = moved(r, FAILED[action]);
  const next = await write(ctx, s, failed.status === 'ERROR' ? { ...failed, fault: fault(ctx, 500, `Failed to ${action} instance ${r.id}: ${message}`) } : failed);
  if (next.status !== r.status) publishStatus(s.events, next, r.status, ctx.clock.now());
  publishActionFailed(s.events, next, action, message, ctx.clock.now());
}

/** X/deleting → DELETED: the host destroys the domain, then claims, quota and group are given back. */
export async function finishDelete(ctx: InstanceContext, s: WorkflowSettings): Promise<InstanceRecord> {
  const r = current(ctx);
  // A host that does not answer must not keep a server from being deleted (Nova's local delete);
  // its claim stays owed until it answers an unclaim.
  if (r.hostId !== null) await destroyOn(ctx, r.hostId, r.id);
  await write(ctx, s, {
    ...moved(r, 'deleted'),
    hostId: null,
    claimIntents: r.hostId === null ? [...r.claimIntents] : with_(r.claimIntents, r.hostId),
    powerState: POWER.NOSTATE,
    spawnAt: null,
    terminatedAt: ctx.clock.now(),
  });
  const settled = await settleObligations(ctx, s);
  publishStatus(s.events, settled, r.status, ctx.clock.now());
  return settled;
}
