// Error codes of the quota service. Statuses follow Nova: going over a quota is 403 (never 413),
// an allocation id reused for something else is a 409 conflict, a limit below what is already
// used is bad input (400) unless the admin forces it.
import { defineError } from '../../transports/errors.js';

/** A reservation would take a resource over its limit; details name the resource, limit, used, requested. */
export const QuotaExceeded = defineError('QUOTA_EXCEEDED', 403);
/** commit of an allocation id the project never reserved (or forgot long ago). */
export const QuotaAllocationNotFound = defineError('QUOTA_ALLOCATION_NOT_FOUND', 404);
/** An allocation id reused with other deltas, or reserved or committed again after its release. */
export const QuotaAllocationConflict = defineError('QUOTA_ALLOCATION_CONFLICT', 409);
/** setLimits below what is in use and reserved, without `force`. */
export const QuotaLimitBelowUsage = defineError('QUOTA_LIMIT_BELOW_USAGE', 400);
