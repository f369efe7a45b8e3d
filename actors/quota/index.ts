// The quota service's public face: the `quota/<projectId>` kind, its messages and error codes.
// Compute (and later block storage, networking) reserve through it; admins set the limits.
import type { ActorSystem } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { createQuotaKind, type QuotaKindOptions } from './quota-actor.js';

export { createQuotaKind, QUOTA_KIND } from './quota-actor.js';
export type { QuotaKindOptions } from './quota-actor.js';
export { DEFAULT_LIMITS } from './quota-books.js';
export type { Allocation, QuotaState } from './quota-books.js';
export { QuotaMessage } from './quota-messages.js';
export type { AllocationState, AllocationView, Deltas, QuotaReply, QuotaView, ReleaseView } from './quota-messages.js';
export { QuotaAllocationConflict, QuotaAllocationNotFound, QuotaExceeded, QuotaLimitBelowUsage } from './errors.js';

/** Registers `quota` on a system. */
export function registerQuota(system: ActorSystem, options: QuotaKindOptions = {}): Result<void> {
  return system.register(createQuotaKind(options));
}
