// `server-groups/<projectId>`: the list of a project's server groups, kept by the groups
// themselves (add on create, remove on delete, as the fabric: SYSTEM caller only). It counts
// them against Nova's server_groups quota and never asks anyone, so no ask cycle can form.
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, Unauthorized } from '../../transports/errors.js';
import { mayRead, type Caller } from '../identity/caller.js';
import { QuotaExceeded } from '../quota/errors.js';
import { messageChecker } from '../schema-check.js';
import { ServerGroupIndexMessage, type ServerGroupIndexReply, type ServerGroupSummary } from './server-group-messages.js';

export const SERVER_GROUP_INDEX_KIND = 'server-groups';

export interface ServerGroupIndexState {
  readonly groups: readonly ServerGroupSummary[];
}

export interface ServerGroupIndexOptions {
  /** Groups per project (Nova's server_groups quota, default 10; -1 unlimited). */
  readonly maxPerProject?: number;
}

const invalidBody = messageChecker(ServerGroupIndexMessage);

export function createServerGroupIndexKind(options: ServerGroupIndexOptions = {}): KindDefinition<ServerGroupIndexState, ServerGroupIndexMessage, ServerGroupIndexReply> {
  const maxPerProject = options.maxPerProject ?? 10;
  return defineKind<ServerGroupIndexState, ServerGroupIndexMessage, ServerGroupIndexReply>({
    name: SERVER_GROUP_INDEX_KIND,
    messageTypes: { add: true, remove: true, list: true },
    initialState: { groups: [] },
    handle(ctx, msg): ServerGroupIndexReply | Refusal {
      const bad = invalidBody(msg);
      if (bad !== undefined) return refuse(bad);
      const caller = msg.caller as Caller | undefined;
      const groups = ctx.state.groups;
      if (msg.type !== 'list') {
        if (caller === undefined) return refuse(Unauthorized('this request needs a token'));
        if (caller.system !== true) return refuse(Forbidden('only the fabric keeps the server group index'));
      }
      switch (msg.type) {
        case 'add': {
          const existing = groups.find((g) => g.id === msg.id);
          if (existing !== undefined) return existing;
          if (maxPerProject >= 0 && groups.length >= maxPerProject) {
            return refuse(QuotaExceeded('Quota exceeded, too many server groups.', { resource: 'serverGroups', limit: maxPerProject, used: groups.length, requested: 1 }));
          }
          const summary: ServerGroupSummary = { id: msg.id, name: msg.name, policy: msg.policy, userId: msg.userId, createdAt: ctx.clock.now() };
          void ctx.persist({ groups: [...groups, summary] });
          return summary;
        }
        case 'remove': {
          if (!groups.some((g) => g.id === msg.id)) return { id: msg.id, removed: false };
          void ctx.persist({ groups: groups.filter((g) => g.id !== msg.id) });
          return { id: msg.id, removed: true };
        }
        case 'list': {
          const denied = mayRead(caller, ctx.id);
          if (denied !== undefined) return refuse(denied);
          return { projectId: ctx.id, serverGroups: groups };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
