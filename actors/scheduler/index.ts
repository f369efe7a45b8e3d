// The scheduler's public face: the `scheduler` kind (capacity summary and pre-selection), the
// call for bids run by instances (placeInstance), the placement request schemas shared with the
// compute hosts, the capacity arithmetic both sides judge by, and the NO_VALID_HOST code.
import type { ActorSystem } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { createSchedulerKind, type SchedulerKindOptions } from './scheduler-actor.js';

export { createSchedulerKind, DEFAULT_CANDIDATES, DEFAULT_SCHEDULER, DEFAULT_SERVICE_DOWN_MS, SCHEDULER_KIND } from './scheduler-actor.js';
export type { SchedulerKindOptions } from './scheduler-actor.js';
export { SchedulerMessage } from './scheduler-messages.js';
export type { CandidatesView, HostsView, ReportView, SchedulerReply, ZonesView } from './scheduler-messages.js';
export { CapacitySummary } from './capacity-summary.js';
export type { HostSummary, ZoneSummary } from './capacity-summary.js';
export { placeInstance, CLAIM_REFUSED_CODE, GROUP_POLICY_CODE, HOST_KIND, SERVER_GROUP_KIND } from './place.js';
export type { AdmitAsk, BidAsk, CandidatesAsk, ClaimAsk, LeaveTell, Placement, PlacementContext, PlaceOptions, UnclaimTell } from './place.js';
export { requestFromFlavor } from './flavor-request.js';
export type { FlavorShape, PlacementExtras } from './flavor-request.js';
export { ActorId, Capacity, CpuPolicy, GroupPolicy, HostReport, PACK, PlacementRequest, Resources, SPREAD, TraitName, Usage, Weighers, ZoneName } from './placement.js';
export type { BidView, ClaimView } from './placement.js';
export { addUsage, capacityOf, DEFAULT_RATIOS, demandOf, fits, NO_USAGE, traitsMatch, weigh } from './capacity.js';
export type { AllocationRatios } from './capacity.js';
export { NO_VALID_HOST_MESSAGE, NoValidHost } from './errors.js';

/** Registers `scheduler` on a system (`scheduler/default` is then the fabric's scheduler). */
export function registerScheduler(system: ActorSystem, options: SchedulerKindOptions = {}): Result<void> {
  return system.register(createSchedulerKind(options));
}
