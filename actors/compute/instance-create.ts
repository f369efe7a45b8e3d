// Intake of a new server (Nova's POST /servers): the caller may write in its project, the flavor
// exists for it, the key pair and server group are the caller's, the quota holds; the record is
// persisted BUILD/scheduling (with its resume reminder) before the answer, like Nova's 202.
import { refuse, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, type ErrorValue } from '../../transports/errors.js';
import { isCaller, mayWrite, type Caller } from '../identity/caller.js';
import { requestFromFlavor } from '../scheduler/index.js';
import { FlavorNotFound, KeypairNotFound, ServerGroupNotFound } from './catalog-errors.js';
import { InstanceExists } from './instance-errors.js';
import { publishStatus } from './instance-events.js';
import type { CreateMessage } from './instance-messages.js';
import { getFlavor, getKeypair, getServerGroup, putSummary, releaseQuota, reserveQuota } from './instance-ports.js';
import { POWER, viewOf, type InstanceRecord, type InstanceView, type ServerGroupRef } from './instance-record.js';
import { CREATED } from './instance-status.js';
import { current, RESUME, reservedHere, summaryOf, write, type InstanceContext, type WorkflowSettings } from './instance-workflow.js';

/** Nova answers a missing flavor, key pair or group in a create as bad input (400); another project's group is missing too. */
function asBadInput(error: ErrorValue, missing: boolean, message: string): ErrorValue {
  return missing ? BadRequest(message, { cause: error.code }) : error;
}

export async function create(ctx: InstanceContext, s: WorkflowSettings, msg: CreateMessage): Promise<InstanceView | Refusal> {
  if (ctx.state !== null) return refuse(InstanceExists(`Instance ${ctx.id} already exists.`, { id: ctx.id }));
  const caller: unknown = msg.caller;
  const denied = checkCreator(caller);
  if (denied !== undefined) return refuse(denied);
  const who = caller as Caller & { readonly projectId: string };

  const flavor = await getFlavor(ctx, who, msg.flavorId);
  if (!flavor.ok) return refuse(asBadInput(flavor.error, flavor.error.code === FlavorNotFound.code, `Flavor ${msg.flavorId} could not be found.`));
  // Bad extra specs fail here rather than at scheduling.
  const placement = requestFromFlavor(flavor.value, { instanceId: ctx.id });
  if (!placement.ok) return refuse(placement.error);
  if (msg.keyName !== undefined) {
    const key = await getKeypair(ctx, who, msg.keyName);
    if (!key.ok) return refuse(asBadInput(key.error, key.error.code === KeypairNotFound.code, 'Invalid key_name provided.'));
  }
  let group: ServerGroupRef | null = null;
  if (msg.groupId !== undefined) {
    const found = await getServerGroup(ctx, who, msg.groupId);
    if (!found.ok) return refuse(asBadInput(found.error, found.error.code === ServerGroupNotFound.code || found.error.code === Forbidden.code, `Invalid server group ${msg.groupId}: not found.`));
    group = found.value;
  }

  const now = ctx.clock.now();
  const record: InstanceRecord = {
    id: ctx.id,
    projectId: who.projectId,
    userId: who.userId,
    name: msg.name,
    ...CREATED,
    powerState: POWER.NOSTATE,
    flavor: flavor.value,
    imageId: msg.imageId ?? null,
    keyName: msg.keyName ?? null,
    group,
    zone: msg.zone ?? null,
    hostId: null,
    metadata: msg.metadata ?? {},
    fault: null,
    failedHosts: [],
    claimIntents: [],
    quota: 'reserving',
    // Conservatively a member from the start: the group may admit it before any write of ours
    // records the placement, and `leave` is idempotent.
    inGroup: group !== null,
    spawnAt: null,
    createdAt: now,
    updatedAt: now,
    launchedAt: null,
    terminatedAt: null,
  };
  // Written (with its reminder) before the reservation: a crash between the two cannot leave a
  // reservation that no server knows of; the resumed build reserves again (idempotent per id).
  await write(ctx, s, record, { index: false });
  const reserved = await reserveQuota(ctx, record.projectId, record.id, record.flavor);
  if (!reserved.ok) {
    // Never created: no record, no reminder, and a reservation whose answer was lost given back.
    await Promise.all([ctx.persist(null), ctx.cancelReminder(RESUME)]);
    void releaseQuota(ctx, record.projectId, record.id); // idempotent; its answer changes nothing
    return refuse(reserved.error);
  }
  // Granted (and durable at the quota actor): the build's first step need not ask again.
  reservedHere.add(ctx);
  const written = current(ctx);
  await putSummary(ctx, written.projectId, summaryOf(written, ctx.revision));
  publishStatus(s.events, written, null, now);
  ctx.self.tell({ type: 'resume' });
  return viewOf(written);
}

/** A member (or admin) of the project the token is scoped to: servers belong to a project. */
function checkCreator(caller: unknown): ErrorValue | undefined {
  if (!isCaller(caller)) return mayWrite(caller, ''); // UNAUTHORIZED, absent or malformed
  if (caller.projectId === null) return BadRequest('a server belongs to a project: use a project-scoped token');
  return mayWrite(caller, caller.projectId);
}
