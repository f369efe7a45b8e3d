// `scheduler/default`: the capacity summary fed by host reports, and the bounded pre-selection
// of candidates for a call for bids. It never awaits: every message is answered from memory in
// one turn, so it stays cheap while the bids and claims run in the asking instance's own actor.
// The summary is soft state (never persisted): after a restart the hosts' reports rebuild it.
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { defineKind, refuse, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { isCaller, mustBeAdmin, mustBeSystem } from '../identity/caller.js';
import { CapacitySummary } from './capacity-summary.js';
import { PACK, SPREAD, type Weighers } from './placement.js';
import { SchedulerMessage, type SchedulerReply } from './scheduler-messages.js';

export const SCHEDULER_KIND = 'scheduler';
export const DEFAULT_SCHEDULER = 'default';

export interface SchedulerKindOptions {
  /** spread (default: most free first) or pack (least free that fits first). */
  readonly strategy?: 'spread' | 'pack';
  /** Explicit weigher multipliers; win over `strategy`. */
  readonly weighers?: Weighers;
  /** Hosts pre-selected per call for bids (default 5). */
  readonly candidates?: number;
  /** No heartbeat for this long means a host is down (default 60 000 ms, Nova's service_down_time). */
  readonly serviceDownMs?: number;
}

export const DEFAULT_CANDIDATES = 5;
export const DEFAULT_SERVICE_DOWN_MS = 60_000;

const checkMessage = TypeCompiler.Compile(SchedulerMessage);

function invalid(msg: { readonly type: string }): ErrorValue | undefined {
  const unchecked: unknown = msg;
  if (checkMessage.Check(unchecked)) return undefined;
  const first = checkMessage.Errors(unchecked).First();
  return BadRequest(`invalid ${msg.type} message: ${first ? `${first.path} ${first.message}` : 'malformed'}`, { field: first?.path ?? '' });
}

export function createSchedulerKind(options: SchedulerKindOptions = {}): KindDefinition<CapacitySummary, SchedulerMessage, SchedulerReply> {
  const weighers = options.weighers ?? (options.strategy === 'pack' ? PACK : SPREAD);
  const limit = options.candidates ?? DEFAULT_CANDIDATES;
  const serviceDownMs = options.serviceDownMs ?? DEFAULT_SERVICE_DOWN_MS;
  return defineKind<CapacitySummary, SchedulerMessage, SchedulerReply>({
    name: SCHEDULER_KIND,
    messageTypes: { report: true, candidates: true, zones: true, hosts: true },
    initialState: () => new CapacitySummary(serviceDownMs),
    // The summary lives only in memory: passivating it would forget every host until their
    // next heartbeats.
    idleAfterMs: Number.POSITIVE_INFINITY,
    handle(ctx, msg): SchedulerReply | Refusal {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const summary = ctx.state;
      switch (msg.type) {
        case 'report': {
          const denied = mustBeSystem(msg.caller);
          if (denied !== undefined) return refuse(denied);
          return { accepted: summary.update(msg.host) };
        }
        case 'candidates': {
          const denied = mustBeAdmin(msg.caller);
          if (denied !== undefined) return refuse(denied);
          const hosts = summary.select(msg.request, msg.limit ?? limit, weighers, ctx.clock.now());
          if (hosts[0] !== undefined) summary.reserve(hosts[0], msg.request);
          return { hosts, weighers };
        }
        case 'zones': {
          // Any user may list the zones (Nova's os-availability-zone); a token is still needed.
          if (!isCaller(msg.caller)) return refuse(Unauthorized('this request needs a token'));
          return { zones: summary.zoneList(ctx.clock.now()) };
        }
        case 'hosts': {
          const denied = mustBeAdmin(msg.caller);
          if (denied !== undefined) return refuse(denied);
          return { hosts: summary.list(ctx.clock.now()) };
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
