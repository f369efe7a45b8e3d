// `server-group/<id>`: a Nova server group (os-server-groups) and the one place its hard policy
// is decided. The scheduler asks `admit` before claiming a host; the actor is serial, so two
// racing boots of one anti-affinity group cannot both be admitted on the same host. Soft
// policies always admit: they only steer the weighers (`hint`).
import { defineKind, refuse, type GrainContext, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Unauthorized, type ErrorValue, type Result } from '../../transports/errors.js';
import { noEvents, type EventSink } from '../events.js';
import { mayRead, mayWrite, SYSTEM_CALLER, type Caller } from '../identity/caller.js';
import { QuotaExceeded } from '../quota/errors.js';
import { GroupPolicy, ServerGroupExists, ServerGroupNotFound } from './catalog-errors.js';
import { messageChecker } from '../schema-check.js';
import { SERVER_GROUP_INDEX_KIND } from './server-group-index.js';
import {
  ServerGroupMessage,
  type GroupHint,
  type GroupPolicyName,
  type GroupRules,
  type Placement,
  type ServerGroupIndexMessage,
  type ServerGroupReply,
  type ServerGroupView,
} from './server-group-messages.js';

export const SERVER_GROUP_KIND = 'server-group';

interface GroupRecord {
  readonly name: string;
  readonly policy: GroupPolicyName;
  readonly rules: GroupRules;
  readonly projectId: string;
  readonly userId: string;
  readonly placements: readonly Placement[];
  readonly createdAt: number;
}

/** A never-created id, a live group, or a deleted one (its id is never reused). */
export type ServerGroupState = { readonly status: 'absent' } | ({ readonly status: 'active' } & GroupRecord) | ({ readonly status: 'deleted' } & GroupRecord);

export interface ServerGroupKindOptions {
  readonly events?: EventSink;
  /** Members per group (Nova's server_group_members quota, default 10; -1 unlimited). */
  readonly maxMembers?: number;
}

type Ctx = GrainContext<ServerGroupState, ServerGroupMessage>;

const invalidBody = messageChecker(ServerGroupMessage);

function view(id: string, g: GroupRecord): ServerGroupView {
  return {
    id,
    name: g.name,
    policy: g.policy,
    rules: g.rules,
    projectId: g.projectId,
    userId: g.userId,
    members: g.placements.map((p) => p.instanceId),
    placements: g.placements,
    createdAt: g.createdAt,
  };
}

function hint(g: GroupRecord): GroupHint {
  const counts = new Map<string, number>();
  for (const p of g.placements) counts.set(p.hostId, (counts.get(p.hostId) ?? 0) + 1);
  const hosts = [...counts.keys()].sort();
  return { policy: g.policy, rules: g.rules, hosts, hostMembers: hosts.map((hostId) => ({ hostId, members: counts.get(hostId)! })) };
}

/** Why `hostId` breaks the group's hard policy for `instanceId`, or undefined. */
function policyProblem(g: GroupRecord, instanceId: string, hostId: string): string | undefined {
  const others = g.placements.filter((p) => p.instanceId !== instanceId);
  switch (g.policy) {
    case 'affinity': {
      const elsewhere = others.find((p) => p.hostId !== hostId);
      return elsewhere === undefined ? undefined : `affinity: the group's members are on host ${elsewhere.hostId}`;
    }
    case 'anti-affinity': {
      const max = g.rules.maxServerPerHost ?? 1;
      const here = others.filter((p) => p.hostId === hostId).length;
      return here < max ? undefined : `anti-affinity: host ${hostId} already has ${here} member(s) of the group (at most ${max})`;
    }
    case 'soft-affinity':
    case 'soft-anti-affinity':
      return undefined;
    default: {
      const never: never = g.policy;
      throw new Error(`unknown policy ${String(never)}`);
    }
  }
}

function askIndex(ctx: Ctx, projectId: string, msg: ServerGroupIndexMessage): Promise<Result<unknown>> {
  return ctx.ref(SERVER_GROUP_INDEX_KIND, projectId).ask(msg);
}

function sameRequest(g: GroupRecord, name: string, policy: GroupPolicyName, rules: GroupRules, projectId: string): boolean {
  return g.name === name && g.policy === policy && g.projectId === projectId && JSON.stringify(g.rules) === JSON.stringify(rules);
}

export function createServerGroupKind(options: ServerGroupKindOptions = {}): KindDefinition<ServerGroupState, ServerGroupMessage, ServerGroupReply> {
  const events = options.events ?? noEvents;
  const maxMembers = options.maxMembers ?? 10;
  const publish = (ctx: Ctx, type: string, g: GroupRecord): void =>
    events.publish({ type, projectId: g.projectId, kind: SERVER_GROUP_KIND, id: ctx.id, at: ctx.clock.now(), body: { name: g.name, policy: g.policy } });

  async function create(ctx: Ctx, msg: Extract<ServerGroupMessage, { type: 'create' }>, caller: Caller | undefined): Promise<ServerGroupReply | Refusal> {
    if (caller === undefined) return refuse(Unauthorized('this request needs a token'));
    const projectId = msg.projectId ?? caller.projectId;
    if (projectId === null) return refuse(BadRequest('a server group belongs to a project: use a project-scoped token'));
    const denied = mayWrite(caller, projectId);
    if (denied !== undefined) return refuse(denied);
    const rules = msg.rules ?? {};
    if (msg.policy !== 'anti-affinity' && Object.keys(rules).length > 0) return refuse(BadRequest('Only anti-affinity policy supports rules.'));
    const state = ctx.state;
    if (state.status !== 'absent') {
      if (state.status === 'deleted' || !sameRequest(state, msg.name, msg.policy, rules, projectId)) {
        return refuse(ServerGroupExists(`server group id ${ctx.id} is already used`, { id: ctx.id }));
      }
    }
    // The index first: it counts the project's groups (Nova's server_groups quota), and
    // re-adding is idempotent, so a retried create also repairs an index write that was lost.
    const userId = state.status === 'active' ? state.userId : caller.userId;
    const added = await askIndex(ctx, projectId, { type: 'add', caller: SYSTEM_CALLER, id: ctx.id, name: msg.name, policy: msg.policy, userId });
    if (!added.ok) return refuse(added.error);
    if (state.status === 'active') return view(ctx.id, state);
    const group: GroupRecord = { name: msg.name, policy: msg.policy, rules, projectId, userId, placements: [], createdAt: ctx.clock.now() };
    await ctx.persist({ status: 'active', ...group });
    publish(ctx, 'server_group.created', group);
    return view(ctx.id, group);
  }

  async function remove(ctx: Ctx, caller: Caller | undefined): Promise<ServerGroupReply | Refusal> {
    const state = ctx.state;
    if (state.status === 'absent') return notFound(ctx, caller);
    const denied = mayWrite(caller, state.projectId);
    if (denied !== undefined) return refuse(denied);
    if (state.status === 'active') {
      await ctx.persist({ ...state, status: 'deleted', placements: [] });
      publish(ctx, 'server_group.deleted', state);
    }
    // Also after an earlier delete, so a retry repairs an index removal that was lost.
    const removed = await askIndex(ctx, state.projectId, { type: 'remove', caller: SYSTEM_CALLER, id: ctx.id });
    if (!removed.ok) return refuse(removed.error);
    return state.status === 'active' ? { id: ctx.id } : notFound(ctx, caller);
  }

  async function admit(ctx: Ctx, caller: Caller | undefined, instanceId: string, hostId: string): Promise<ServerGroupReply | Refusal> {
    const state = ctx.state;
    if (state.status !== 'active') return notFound(ctx, caller);
    const denied = mayWrite(caller, state.projectId);
    if (denied !== undefined) return refuse(denied);
    const current = state.placements.find((p) => p.instanceId === instanceId);
    if (current?.hostId === hostId) return {};
    const problem = policyProblem(state, instanceId, hostId);
    if (problem !== undefined) return refuse(GroupPolicy(problem, { groupId: ctx.id, policy: state.policy, instanceId, hostId }));
    if (current === undefined && maxMembers >= 0 && state.placements.length >= maxMembers) {
      return refuse(QuotaExceeded('Quota exceeded, too many servers in group', { resource: 'serverGroupMembers', limit: maxMembers, used: state.placements.length, requested: 1 }));
    }
    // A member admitted again elsewhere (a reschedule) moves; its old host no longer counts.
    const placements = [...state.placements.filter((p) => p.instanceId !== instanceId), { instanceId, hostId }];
    void ctx.persist({ ...state, placements });
    return {};
  }

  return defineKind<ServerGroupState, ServerGroupMessage, ServerGroupReply>({
    name: SERVER_GROUP_KIND,
    messageTypes: { create: true, get: true, delete: true, admit: true, leave: true, hint: true },
    initialState: { status: 'absent' },
    async handle(ctx, msg): Promise<ServerGroupReply | Refusal> {
      const bad = invalidBody(msg);
      if (bad !== undefined) return refuse(bad);
      const caller = msg.caller as Caller | undefined;
      const state = ctx.state;
      switch (msg.type) {
        case 'create':
          return create(ctx, msg, caller);
        case 'get':
        case 'hint': {
          if (state.status !== 'active') return notFound(ctx, caller);
          const denied = mayRead(caller, state.projectId);
          if (denied !== undefined) return refuse(denied);
          return msg.type === 'get' ? view(ctx.id, state) : hint(state);
        }
        case 'delete':
          return remove(ctx, caller);
        case 'admit':
          return admit(ctx, caller, msg.instanceId, msg.hostId);
        case 'leave': {
          if (caller === undefined) return refuse(Unauthorized('this request needs a token'));
          // Idempotent, and fine on a deleted group (its members were dropped with it).
          if (state.status !== 'active') return {};
          const denied = mayWrite(caller, state.projectId);
          if (denied !== undefined) return refuse(denied);
          if (!state.placements.some((p) => p.instanceId === msg.instanceId)) return {};
          void ctx.persist({ ...state, placements: state.placements.filter((p) => p.instanceId !== msg.instanceId) });
          return {};
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}

function notFound(ctx: Ctx, caller: Caller | undefined): Refusal {
  const error: ErrorValue = caller === undefined ? Unauthorized('this request needs a token') : ServerGroupNotFound(`Instance group ${ctx.id} could not be found.`, { id: ctx.id });
  return refuse(error);
}
