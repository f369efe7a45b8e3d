// The actor runtime's error codes. Every failure an actor, a ref or the system reports crosses
// the fabric as one of these values (or a shared code from transports/errors.ts such as TIMEOUT),
// never as a thrown object.
import { defineError } from '../transports/errors.js';

/** Spawning or registering under a name already in use among its siblings. */
export const ActorNameTaken = defineError('ACTOR_NAME_TAKEN', 409, false);
/** A name, kind or id that is not a plain path segment ([A-Za-z0-9._:@-], 1..128 chars). */
export const ActorBadName = defineError('ACTOR_BAD_NAME', 400, false);
/** The actor was stopped (by its supervisor, by the user or with the system). */
export const ActorStopped = defineError('ACTOR_STOPPED', 410, false);
/** A message for a kind this system has not registered. */
export const UnknownKind = defineError('UNKNOWN_KIND', 404, false);
/** A second registration of the same kind name. */
export const KindTaken = defineError('KIND_TAKEN', 409, false);
/** Not an object with a string `type`, or a type the actor does not handle. Nothing changed. */
export const BadMessage = defineError('BAD_MESSAGE', 400, false);
/** A restart budget ran out: the supervisor stopped its children and reported upward. */
export const Escalated = defineError('ESCALATED', 503, true);
/**
 * A redelivered (inc, seq) that was applied before, whose reply is no longer kept (the actor
 * was passivated or the sender's slot was evicted). It was not applied a second time.
 */
export const AlreadyApplied = defineError('ALREADY_APPLIED', 409, false);
/** Virtual actors need an ActorStore; the system was created without one. */
export const NoStore = defineError('NO_STORE', 500, false);
/** The actor system is stopped: nothing more is delivered. */
export const SystemStopped = defineError('SYSTEM_STOPPED', 503, true);
