// The host's side of the call for bids: `bid` filters the host on its real state (registered,
// up, enabled, zone, traits, capacity × ratios − claims) and answers its weight; `claim` grants
// or refuses atomically (the actor is serial, so two racing claims are judged one after the
// other) and is idempotent per instance; `unclaim` gives the room back, idempotently.
import { demandOf, fits, SPREAD, traitsMatch, weigh, type BidView, type ClaimView } from '../../actors/scheduler/index.js';
import { refuse, type Refusal } from '../../supervision/index.js';
import { commit, type HostContext, type HostDeps } from './host-context.js';
import type { HostClaim, HostMessage, UnclaimView } from './host-messages.js';
import { ClaimRefused, NoFit } from './errors.js';
import { claimKey, claimOf, hostCapacity, withClaim, withoutClaim } from './host-state.js';

type Msg<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;

/** An instance already claimed here outbids everyone: a resumed placement keeps its host. */
const OWN_CLAIM_WEIGHT = Number.MAX_SAFE_INTEGER;

export function bid(ctx: HostContext, msg: Msg<'bid'>): BidView | Refusal {
  const state = ctx.state;
  const request = msg.request;
  const hostId = ctx.id;
  const inventory = state.inventory;
  if (!state.registered || inventory === null) return refuse(NoFit(`host ${hostId} is not registered`, { hostId }));
  if (state.failed) return refuse(NoFit(`host ${hostId} is down`, { hostId }));
  if (!state.enabled) return refuse(NoFit(`host ${hostId} is disabled`, { hostId }));
  if (claimOf(ctx.entries, request.instanceId) !== undefined) return { hostId, weight: OWN_CLAIM_WEIGHT };
  if (request.excludeHosts?.includes(hostId) === true) return refuse(NoFit(`host ${hostId} is excluded`, { hostId }));
  if (request.zone !== undefined && request.zone !== inventory.zone) return refuse(NoFit(`host ${hostId} is in zone ${inventory.zone}`, { hostId }));
  if (!traitsMatch(inventory.traits ?? [], request.requiredTraits, request.forbiddenTraits)) return refuse(NoFit(`host ${hostId} lacks a required trait or has a forbidden one`, { hostId }));
  const capacity = hostCapacity(inventory);
  const demand = demandOf(request.resources, request.cpuPolicy, capacity.cpuRatio);
  if (!fits(capacity, state.used, demand)) return refuse(NoFit(`host ${hostId} has not enough free capacity`, { hostId }));
  return { hostId, weight: weigh(capacity, state.used, demand, msg.weighers ?? SPREAD) };
}

export function claim(ctx: HostContext, deps: HostDeps, msg: Msg<'claim'>): ClaimView | Refusal {
  const state = ctx.state;
  const hostId = ctx.id;
  const cpuPolicy = msg.cpuPolicy ?? 'shared';
  const granted: ClaimView = { hostId, instanceId: msg.instanceId, resources: msg.resources };
  const existing = claimOf(ctx.entries, msg.instanceId);
  if (existing !== undefined) {
    const same =
      existing.cpuPolicy === cpuPolicy &&
      existing.resources.vcpus === msg.resources.vcpus &&
      existing.resources.ramMb === msg.resources.ramMb &&
      existing.resources.diskGb === msg.resources.diskGb;
    return same ? granted : refuse(ClaimRefused(`instance ${msg.instanceId} holds another claim on host ${hostId}`, { hostId }));
  }
  const inventory = state.inventory;
  if (!state.registered || inventory === null) return refuse(ClaimRefused(`host ${hostId} is not registered`, { hostId }));
  if (state.failed) return refuse(ClaimRefused(`host ${hostId} is down`, { hostId }));
  if (!state.enabled) return refuse(ClaimRefused(`host ${hostId} is disabled`, { hostId }));
  const capacity = hostCapacity(inventory);
  const demand = demandOf(msg.resources, cpuPolicy, capacity.cpuRatio);
  if (!fits(capacity, state.used, demand)) return refuse(ClaimRefused(`host ${hostId} has not enough free capacity`, { hostId }));
  // Checked and taken in one synchronous step (persist shows it at once): a racing claim is
  // judged after this one. The reply waits until the claim is durable.
  const held: HostClaim = { resources: msg.resources, cpuPolicy, groupId: msg.groupId ?? null };
  commit(ctx, deps, withClaim(state, held), { put: [[claimKey(msg.instanceId), held]] });
  return granted;
}

export function unclaim(ctx: HostContext, deps: HostDeps, msg: Msg<'unclaim'>): UnclaimView {
  const held = claimOf(ctx.entries, msg.instanceId);
  if (held !== undefined) commit(ctx, deps, withoutClaim(ctx.state, held), { remove: [claimKey(msg.instanceId)] });
  return { hostId: ctx.id, instanceId: msg.instanceId, released: held !== undefined };
}
