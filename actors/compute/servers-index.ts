// The servers of one project, `servers/<projectId>`: a summary per server, kept by the server
// actors themselves (they put after every persisted change, and remove once DELETED), so that a
// listing (Nova's GET /servers) is one ask instead of one per server. Newest first, as in Nova.
// Each summary is one store entry, so a put writes one summary, not the whole project's list.
// A summary also carries the server's whole view as of its last settled state (no task under
// way), which is what a detail listing shows: GET /servers/detail asks only the servers whose
// task is under way, as Nova reads its instances table rather than each compute host.
import { Type, type Static } from '@sinclair/typebox';
import { compileCheck } from '../schema-check.js';
import { defineKind, refuse, type KindDefinition } from '../../supervision/index.js';
import { BadRequest } from '../../transports/errors.js';
import { mayRead, mustBeSystem } from '../identity/caller.js';
import { STATUSES } from './instance-status.js';

export const SERVERS_KIND = 'servers';

const CallerField = Type.Optional(Type.Unknown());
const Id = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._:@-]+$' });

export const ServerSummary = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 255 }),
    status: Type.Union(STATUSES.map((s) => Type.Literal(s))),
    flavorId: Id,
    createdAt: Type.Number(),
    updatedAt: Type.Number(),
    /** The server record's revision: an older summary never overwrites a newer one. */
    revision: Type.Integer({ minimum: 1 }),
    /**
     * The server's view (the instance actor's `show` answer) when this summary was put; exact for
     * a settled server, except `updatedAt`, which bookkeeping writes move without a new put.
     */
    view: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
export type ServerSummary = Static<typeof ServerSummary>;

export const ServersIndexMessage = Type.Union([
  Type.Object({ type: Type.Literal('put'), caller: CallerField, server: ServerSummary }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('remove'), caller: CallerField, id: Id }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('list'),
      caller: CallerField,
      status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
      /** Servers whose name contains this. */
      name: Type.Optional(Type.String({ maxLength: 255 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      /** The last id of the previous page. */
      marker: Type.Optional(Id),
      /** With each server's view (a detail listing); without, summaries only. */
      detail: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
]);
export type ServersIndexMessage = Static<typeof ServersIndexMessage>;

/** The summaries are the actor's entries (by server id); the state only counts them. */
export interface ServersIndexState {
  readonly count: number;
}

export type ServersIndexReply = { readonly servers: readonly ServerSummary[] } | { readonly done: true };

export type ServersIndexKind = KindDefinition<ServersIndexState, ServersIndexMessage, ServersIndexReply, ServerSummary>;

const invalid = compileCheck(ServersIndexMessage);

function withoutView(s: ServerSummary): ServerSummary {
  if (s.view === undefined) return s;
  const { view: _view, ...summary } = s;
  return summary;
}

/** Newest first; ties by id, so pages are stable. */
function newestFirst(a: ServerSummary, b: ServerSummary): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function createServersIndexKind(): ServersIndexKind {
  return defineKind<ServersIndexState, ServersIndexMessage, ServersIndexReply, ServerSummary>({
    name: SERVERS_KIND,
    messageTypes: { put: true, remove: true, list: true },
    initialState: { count: 0 },
    entries: true,
    handle(ctx, msg) {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const projectId = ctx.id;
      switch (msg.type) {
        case 'put': {
          const denied = mustBeSystem(msg.caller);
          if (denied !== undefined) return refuse(denied);
          const known = ctx.entries.get(msg.server.id);
          if (known !== undefined && known.revision >= msg.server.revision) return { done: true };
          void ctx.persist({ count: ctx.entries.size + (known === undefined ? 1 : 0) }, { put: [[msg.server.id, msg.server]] });
          return { done: true };
        }
        case 'remove': {
          const denied = mustBeSystem(msg.caller);
          if (denied !== undefined) return refuse(denied);
          if (!ctx.entries.has(msg.id)) return { done: true };
          void ctx.persist({ count: ctx.entries.size - 1 }, { remove: [msg.id] });
          return { done: true };
        }
        case 'list': {
          const denied = mayRead(msg.caller, projectId);
          if (denied !== undefined) return refuse(denied);
          let all = [...ctx.entries.values()].sort(newestFirst);
          if (msg.status !== undefined) all = all.filter((s) => s.status === msg.status);
          if (msg.name !== undefined) {
            const part = msg.name;
            all = all.filter((s) => s.name.includes(part));
          }
          if (msg.marker !== undefined) {
            const at = all.findIndex((s) => s.id === msg.marker);
            if (at < 0) return refuse(BadRequest(`marker ${msg.marker} not found`, { field: 'marker' }));
            all = all.slice(at + 1);
          }
          const page = msg.limit === undefined ? all : all.slice(0, msg.limit);
          return { servers: msg.detail === true ? page : page.map(withoutView) };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
