// The call for bids (DESIGN.md "scheduling"), run by the instance actor on its own behalf:
// ask the scheduler for a bounded set of candidates, ask each for a bid in parallel, then walk
// the bids best first: the server group admits the instance on that host, the host grants the
// claim atomically; a refusal moves on to the next bid, and one more round of candidates
// (excluding every host tried) follows before NO_VALID_HOST. Messages per boot are bounded by
// rounds × candidates, whatever the number of hosts.
import { SYSTEM_CALLER, type Caller } from '../identity/caller.js';
import type { ActorRef, Message } from '../../supervision/index.js';
import { err, isErrorValue, ok, type ErrorValue, type Result } from '../../transports/errors.js';
import { NO_VALID_HOST_MESSAGE, NoValidHost } from './errors.js';
import type { BidView, ClaimView, CpuPolicy, PlacementRequest, Resources, Weighers } from './placement.js';
import { DEFAULT_SCHEDULER, SCHEDULER_KIND } from './scheduler-actor.js';
import type { CandidatesView } from './scheduler-messages.js';

/** Anything that gives refs by kind name: an actor's context, or an ActorSystem. */
export interface PlacementContext {
  ref(kind: string, id: string): ActorRef<Message>;
}

export interface PlaceOptions {
  /** Who the asks run as (default SYSTEM_CALLER: the fabric on the instance's behalf). */
  readonly caller?: Caller;
  readonly schedulerId?: string;
  /** Rounds of candidates (default 2: the first, and one more excluding the hosts tried). */
  readonly rounds?: number;
  /** Time allowed for each ask (default: the system's ask timeout). */
  readonly timeoutMs?: number;
}

export interface Placement {
  readonly hostId: string;
  readonly weight: number;
  /** Messages this call sent (asks and tells), for the bounded-messages measurements. */
  readonly messages: number;
}

/** Host kind and group kind names, as their services register them. */
export const HOST_KIND = 'host';
export const SERVER_GROUP_KIND = 'server-group';
/** The code a server group's `admit` refuses with when its hard policy forbids the host. */
export const GROUP_POLICY_CODE = 'GROUP_POLICY';
/** The code a host's `claim` refuses with when it cannot take the instance. */
export const CLAIM_REFUSED_CODE = 'CLAIM_REFUSED';

// The messages sent, exactly (the hosts' and the server group's schemas accept these shapes).
/** scheduler/<id> → CandidatesView. */
export interface CandidatesAsk extends Message {
  readonly type: 'candidates';
  readonly caller: Caller;
  readonly request: PlacementRequest;
}
/** host/<h> → BidView, or NO_FIT. */
export interface BidAsk extends Message {
  readonly type: 'bid';
  readonly caller: Caller;
  readonly request: PlacementRequest;
  readonly weighers: Weighers;
}
/** server-group/<g> → ok (any value), or GROUP_POLICY when a hard policy forbids the host. */
export interface AdmitAsk extends Message {
  readonly type: 'admit';
  readonly caller: Caller;
  readonly instanceId: string;
  readonly hostId: string;
}
/** host/<h> → ClaimView, or CLAIM_REFUSED. */
export interface ClaimAsk extends Message {
  readonly type: 'claim';
  readonly caller: Caller;
  readonly instanceId: string;
  readonly resources: Resources;
  readonly cpuPolicy?: CpuPolicy;
  readonly groupId?: string;
}
/** server-group/<g>, told after an admit whose claim was then refused. */
export interface LeaveTell extends Message {
  readonly type: 'leave';
  readonly caller: Caller;
  readonly instanceId: string;
}
/** host/<h>, told after a claim that failed other than by refusal (TIMEOUT: it may have been granted). */
export interface UnclaimTell extends Message {
  readonly type: 'unclaim';
  readonly caller: Caller;
  readonly instanceId: string;
}

export async function placeInstance(ctx: PlacementContext, request: PlacementRequest, options: PlaceOptions = {}): Promise<Result<Placement>> {
  const caller = options.caller ?? SYSTEM_CALLER;
  const askOptions = options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs };
  const rounds = options.rounds ?? 2;
  const scheduler = ctx.ref(SCHEDULER_KIND, options.schedulerId ?? DEFAULT_SCHEDULER);
  const group = request.group === undefined ? undefined : ctx.ref(SERVER_GROUP_KIND, request.group.id);
  const tried = new Set(request.excludeHosts);
  let messages = 0;
  let asked = 0;

  for (let round = 0; round < rounds; round++) {
    const excludeHosts = [...tried];
    const candidates: CandidatesAsk = { type: 'candidates', caller, request: excludeHosts.length === 0 ? request : { ...request, excludeHosts } };
    messages++;
    const offered = await scheduler.ask(candidates, askOptions);
    if (!offered.ok) return err(offered.error);
    const { hosts, weighers } = offered.value as CandidatesView;
    const fresh = hosts.filter((h) => !tried.has(h));
    if (fresh.length === 0) break;
    for (const h of fresh) tried.add(h);

    asked += fresh.length;
    messages += fresh.length;
    const bid: BidAsk = { type: 'bid', caller, request, weighers };
    const answers = await Promise.all(fresh.map((h) => ctx.ref(HOST_KIND, h).ask(bid, askOptions)));
    const bids: BidView[] = [];
    for (const answer of answers) if (answer.ok) bids.push(answer.value as BidView);
    bids.sort((a, b) => b.weight - a.weight);

    for (const offer of bids) {
      if (group !== undefined) {
        messages++;
        const admit: AdmitAsk = { type: 'admit', caller, instanceId: request.instanceId, hostId: offer.hostId };
        const admitted = await group.ask(admit, askOptions);
        if (!admitted.ok) {
          if (admitted.error.code === GROUP_POLICY_CODE) continue;
          return err(admitted.error);
        }
      }
      const host = ctx.ref(HOST_KIND, offer.hostId);
      messages++;
      const claimed = await host.ask(claimMessage(caller, request), askOptions);
      if (claimed.ok) {
        const claim = claimed.value as ClaimView;
        return ok({ hostId: claim.hostId, weight: offer.weight, messages });
      }
      if (group !== undefined) {
        messages++;
        const leave: LeaveTell = { type: 'leave', caller, instanceId: request.instanceId };
        group.tell(leave);
      }
      if (!isRefusedClaim(claimed.error)) {
        // The claim may have been granted with its answer lost: give it back (unclaim is idempotent).
        messages++;
        const unclaim: UnclaimTell = { type: 'unclaim', caller, instanceId: request.instanceId };
        host.tell(unclaim);
      }
    }
  }
  return err(NoValidHost(NO_VALID_HOST_MESSAGE, { instanceId: request.instanceId, hostsAsked: asked }));
}

function claimMessage(caller: Caller, request: PlacementRequest): ClaimAsk {
  return {
    type: 'claim',
    caller,
    instanceId: request.instanceId,
    resources: request.resources,
    ...(request.cpuPolicy === undefined ? {} : { cpuPolicy: request.cpuPolicy }),
    ...(request.group === undefined ? {} : { groupId: request.group.id }),
  };
}

function isRefusedClaim(error: ErrorValue): boolean {
  return isErrorValue(error) && error.code === CLAIM_REFUSED_CODE;
}
