// Error codes of the scheduler. NO_VALID_HOST is what an instance's fault carries when the call
// for bids finds nowhere to go (Nova's NoValidHost: fault code 500); it is not retried by the
// instance, so it is not marked retryable.
import { defineError } from '../../transports/errors.js';

/** No candidate host bid, was admitted by the server group and granted the claim. */
export const NoValidHost = defineError('NO_VALID_HOST', 500);

/** Nova's wording, which clients and tests match on. */
export const NO_VALID_HOST_MESSAGE = 'No valid host was found. There are not enough hosts available.';
