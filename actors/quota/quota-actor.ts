// `quota/<projectId>`: one project's quota, reserved on intake, committed on success, released
// on failure or delete (Nova's quota model). The actor is serial, so two racing requests are
// checked one after the other against the same books: no interleaving can overcommit. Writes are
// not awaited: the runtime holds each reply until its write is durable, while the next request
// is already checked against the books that include it.
import { messageChecker } from '../schema-check.js';
import { defineKind, refuse, type GrainContext, type KindDefinition, type Refusal } from '../../supervision/index.js';
import { BadRequest } from '../../transports/errors.js';
import { mayRead, mayWrite, mustBeAdmin, type Caller } from '../identity/caller.js';
import { QuotaAllocationConflict, QuotaAllocationNotFound, QuotaExceeded, QuotaLimitBelowUsage } from './errors.js';
import {
  allocationOf,
  allocationView,
  committed,
  type Allocation,
  type Booking,
  DEFAULT_LIMITS,
  EMPTY_QUOTA,
  nonZero,
  overMessage,
  oversOf,
  quotaView,
  releasedFrom,
  reserved,
  sameDeltas,
  usedOf,
  type QuotaState,
} from './quota-books.js';
import { QuotaMessage, type QuotaReply } from './quota-messages.js';

export const QUOTA_KIND = 'quota';

export interface QuotaKindOptions {
  /** Default limits by resource, over Nova's compute defaults (instances 10, cores 20, ramMb 51200). */
  readonly defaults?: Readonly<Record<string, number>>;
  /** How many released allocation ids each project remembers, to refuse their late reuse (default 256). */
  readonly keepReleased?: number;
}

// Each body is checked against the schema of its own type, so the error names the bad field.
const invalid = messageChecker(QuotaMessage);

type QuotaContext = GrainContext<QuotaState, QuotaMessage, Allocation>;

/** Writes a booking: the totals and the one allocation it changed. Not awaited (see above). */
function book(ctx: QuotaContext, booking: Booking): Allocation {
  const { state, allocation } = booking;
  void ctx.persist(state, booking.removed ? { remove: [allocation.id] } : { put: [[allocation.id, allocation]] });
  return allocation;
}

export function createQuotaKind(options: QuotaKindOptions = {}): KindDefinition<QuotaState, QuotaMessage, QuotaReply, Allocation> {
  const defaults: Readonly<Record<string, number>> = { ...DEFAULT_LIMITS, ...options.defaults };
  const keepReleased = options.keepReleased ?? 256;
  return defineKind<QuotaState, QuotaMessage, QuotaReply, Allocation>({
    name: QUOTA_KIND,
    messageTypes: { reserve: true, commit: true, release: true, show: true, setLimits: true },
    initialState: EMPTY_QUOTA,
    entries: true,
    handle(ctx, msg): QuotaReply | Refusal {
      const bad = invalid(msg);
      if (bad !== undefined) return refuse(bad);
      const projectId = ctx.id;
      const caller = msg.caller as Caller | undefined;
      const state = ctx.state;
      switch (msg.type) {
        case 'reserve': {
          const denied = mayWrite(caller, projectId);
          if (denied !== undefined) return refuse(denied);
          const deltas = nonZero(msg.deltas);
          const held = allocationOf(ctx.entries, msg.allocationId);
          if (held !== undefined) {
            // The same request again (a retry, a resumed workflow): answer what it got.
            if (sameDeltas(held.deltas, deltas)) return allocationView(held);
            return refuse(QuotaAllocationConflict(`allocation ${msg.allocationId} is already held with other amounts`, { allocationId: msg.allocationId }));
          }
          if (state.released.includes(msg.allocationId)) {
            return refuse(QuotaAllocationConflict(`allocation ${msg.allocationId} was released and cannot be reserved again`, { allocationId: msg.allocationId }));
          }
          const overs = oversOf(state, defaults, deltas);
          if (overs.length > 0) {
            const first = overs[0]!;
            return refuse(QuotaExceeded(overMessage(overs), { ...first, overs }));
          }
          return allocationView(book(ctx, reserved(state, msg.allocationId, deltas, ctx.clock.now())));
        }
        case 'commit': {
          const denied = mayWrite(caller, projectId);
          if (denied !== undefined) return refuse(denied);
          const held = allocationOf(ctx.entries, msg.allocationId);
          if (held === undefined) {
            if (state.released.includes(msg.allocationId)) {
              return refuse(QuotaAllocationConflict(`allocation ${msg.allocationId} was released and cannot be committed`, { allocationId: msg.allocationId }));
            }
            return refuse(QuotaAllocationNotFound(`no allocation ${msg.allocationId} in project ${projectId}`, { allocationId: msg.allocationId }));
          }
          if (held.state === 'committed') return allocationView(held);
          return allocationView(book(ctx, committed(state, held)));
        }
        case 'release': {
          const denied = mayWrite(caller, projectId);
          if (denied !== undefined) return refuse(denied);
          const held = allocationOf(ctx.entries, msg.allocationId);
          if (held === undefined) return { allocationId: msg.allocationId, released: false };
          book(ctx, releasedFrom(state, held, keepReleased));
          return { allocationId: msg.allocationId, released: true };
        }
        case 'show': {
          const denied = mayRead(caller, projectId);
          if (denied !== undefined) return refuse(denied);
          return quotaView(projectId, state, defaults);
        }
        case 'setLimits': {
          const denied = mustBeAdmin(caller);
          if (denied !== undefined) return refuse(denied);
          const limits = new Map(Object.entries(state.limits));
          for (const [resource, limit] of Object.entries(msg.limits)) {
            if (limit === null) {
              limits.delete(resource);
              continue;
            }
            const used = usedOf(state, resource);
            if (limit >= 0 && limit < used && msg.force !== true) {
              return refuse(
                QuotaLimitBelowUsage(`Quota limit ${limit} for ${resource} must be greater than or equal to already used and reserved ${used}.`, { resource, limit, used }),
              );
            }
            limits.set(resource, limit);
          }
          const next: QuotaState = { ...state, limits: Object.fromEntries(limits) };
          void ctx.persist(next);
          return quotaView(projectId, next, defaults);
        }
        default: {
          const never: never = msg;
          return refuse(BadRequest(`unknown message ${JSON.stringify(never)}`));
        }
      }
    },
  });
}
