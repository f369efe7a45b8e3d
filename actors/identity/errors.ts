// Error codes of the identity service (Keystone v3's statuses). Authentication failures of any
// cause (unknown user, wrong password, disabled user, no role on the scope, bad token) are all
// the shared UNAUTHORIZED, so an answer never tells which names exist.
import { defineError } from '../../transports/errors.js';

/** No such domain (only `Default` exists unless more are created). */
export const DomainNotFound = defineError('DOMAIN_NOT_FOUND', 404);
/** No project with that id (or name) in the domain. */
export const ProjectNotFound = defineError('PROJECT_NOT_FOUND', 404);
/** No user with that id in the domain. */
export const UserNotFound = defineError('USER_NOT_FOUND', 404);
/** revoke of a role the user does not hold on that target. */
export const AssignmentNotFound = defineError('ASSIGNMENT_NOT_FOUND', 404);
/** Project names are unique per domain (Keystone answers 409). */
export const ProjectNameTaken = defineError('PROJECT_NAME_TAKEN', 409);
/** User names are unique per domain (Keystone answers 409). */
export const UserNameTaken = defineError('USER_NAME_TAKEN', 409);
