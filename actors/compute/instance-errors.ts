// Error codes of the instance actor and the servers index. Statuses follow Nova: a server that
// is missing (or belongs to another project) is 404, an action in the wrong state 409.
import { defineError } from '../../transports/errors.js';

/** No such server for this caller: never created, deleted, or another project's (Nova: 404). */
export const InstanceNotFound = defineError('INSTANCE_NOT_FOUND', 404);
/** The action is not allowed in the server's vm_state or task_state (Nova: 409). */
export const InstanceInvalidState = defineError('INSTANCE_INVALID_STATE', 409);
/** `create` sent to an id that already names a server. */
export const InstanceExists = defineError('INSTANCE_EXISTS', 409);
