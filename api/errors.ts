// Error codes of the HTTP face itself (the rest come from the actors and keep their codes), and
// how anything thrown in a route becomes an ErrorValue: Fastify's own errors (bad JSON, wrong
// media type, body too large, failed schema) by their status, a FabricError by its value.
import { BadRequest, defineError, FabricError, Internal, isErrorValue, NotFound, Unavailable, type ErrorValue } from '../transports/errors.js';
import { PayloadTooLarge } from '../transports/codec.js';

/** A compute microversion above the maximum (or below the minimum) the API implements (Nova: 406). */
export const VersionNotAcceptable = defineError('VERSION_NOT_ACCEPTABLE', 406);
/** A request body in a media type the route does not take (JSON only, and Glance's patch type). */
export const UnsupportedMediaType = defineError('UNSUPPORTED_MEDIA_TYPE', 415);

/** What Fastify attaches to the errors it raises itself. */
interface FastifyLikeError {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly validationContext?: unknown;
}

/** The ErrorValue of anything a route or Fastify threw; unexpected ones become INTERNAL. */
export function errorValueOf(caught: unknown): ErrorValue {
  if (caught instanceof FabricError) return caught.value;
  if (isErrorValue(caught)) return caught;
  if (typeof caught !== 'object' || caught === null) return Internal(String(caught));
  const e = caught as FastifyLikeError;
  const message = typeof e.message === 'string' ? e.message : 'request failed';
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (e.code === 'FST_ERR_VALIDATION') {
    return BadRequest(message, typeof e.validationContext === 'string' ? { field: e.validationContext } : undefined);
  }
  switch (status) {
    case 400:
      return BadRequest(message);
    case 404:
      return NotFound(message);
    case 413:
      return PayloadTooLarge(message);
    case 415:
      return UnsupportedMediaType(message);
    case 503:
      return Unavailable(message);
    default:
      return Internal(message);
  }
}

/** Throws the error value for Fastify's error handler to answer in the service's fault format. */
export function fail(value: ErrorValue): never {
  throw new FabricError(value);
}

/** The value of a Result, or the error thrown for the error handler. */
export function must<T>(result: { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorValue }): T {
  if (!result.ok) throw new FabricError(result.error);
  return result.value;
}
