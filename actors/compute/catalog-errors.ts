// Error codes of the compute catalogs (flavors, key pairs, server groups). Statuses follow Nova: 404 missing
// (or hidden: a private flavor is "not found" to projects without access), 409 taken names.
import { defineError } from '../../transports/errors.js';

export const FlavorNotFound = defineError('FLAVOR_NOT_FOUND', 404);
/** A flavor id or name already taken. */
export const FlavorExists = defineError('FLAVOR_EXISTS', 409);
/** Access lists belong to private flavors only (Nova: "Can not add access to a public flavor."). */
export const FlavorIsPublic = defineError('FLAVOR_IS_PUBLIC', 409);
export const FlavorAccessExists = defineError('FLAVOR_ACCESS_EXISTS', 409);
export const FlavorAccessNotFound = defineError('FLAVOR_ACCESS_NOT_FOUND', 404);
export const FlavorExtraSpecNotFound = defineError('FLAVOR_EXTRA_SPEC_NOT_FOUND', 404);

export const KeypairNotFound = defineError('KEYPAIR_NOT_FOUND', 404);
export const KeypairExists = defineError('KEYPAIR_EXISTS', 409);
/** An imported public key that is not a well-formed OpenSSH key of a supported type. */
export const KeypairInvalid = defineError('KEYPAIR_INVALID', 400);

export const ServerGroupNotFound = defineError('SERVER_GROUP_NOT_FOUND', 404);
/** A server group id already used (by another group, or by a deleted one). */
export const ServerGroupExists = defineError('SERVER_GROUP_EXISTS', 409);
/** admit refused: the host would break the group's hard affinity or anti-affinity. */
export const GroupPolicy = defineError('GROUP_POLICY', 409);
