// Error codes of the SDK's typed clients (the fabric's own codes come back unchanged), and the
// one rule every client method follows: it answers the value, or throws a FabricError carrying
// the ErrorValue (code, status, retryable), as openstacksdk raises its exceptions.
import { defineError, FabricError, type Result } from '../transports/errors.js';

/** waitForServer: the server went to ERROR (or was deleted) instead of the status waited for. */
export const ServerFailed = defineError('SERVER_FAILED', 409);

/** The value of a result, or a FabricError with its error. */
export function must<T>(result: Result<T>): T {
  if (!result.ok) throw new FabricError(result.error);
  return result.value;
}
