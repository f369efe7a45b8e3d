// Errors as values. A failure crosses threads, CBOR and MQTT as an ErrorValue with a stable
// string code; receivers decide by code, never by instanceof. Each module declares its own
// codes in its errors.ts with defineError(); docs/errors.md lists them all.

/** The wire form of every failure. */
export interface ErrorValue {
  readonly code: string;
  readonly message: string;
  /** The HTTP status the REST API answers with. */
  readonly status: number;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A thrown form for code paths that must throw (constructors, iterators); carries the value. */
export class FabricError extends Error {
  readonly value: ErrorValue;

  constructor(value: ErrorValue) {
    super(`${value.code}: ${value.message}`);
    this.name = 'FabricError';
    this.value = value;
  }

  get code(): string {
    return this.value.code;
  }
}

export interface ErrorKind {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  /** Builds the value with a message (and optional details). */
  (message: string, details?: Record<string, unknown>): ErrorValue;
  /** Whether some value carries this code. */
  is(value: unknown): value is ErrorValue;
}

const registry = new Map<string, ErrorKind>();

/** Every code declared so far (docs/errors.md must list each; a test checks it). */
export function registeredErrors(): ErrorKind[] {
  return [...registry.values()];
}

/** Declares one error code with its HTTP status and retry hint. Codes are unique fabric-wide. */
export function defineError(code: string, status: number, retryable = false): ErrorKind {
  const existing = registry.get(code);
  if (existing) {
    if (existing.status !== status || existing.retryable !== retryable) throw new Error(`error code ${code} declared twice, differently`);
    return existing;
  }
  const make = (message: string, details?: Record<string, unknown>): ErrorValue =>
    details === undefined ? { code, message, status, retryable } : { code, message, status, retryable, details };
  const kind: ErrorKind = Object.assign(make, {
    code,
    status,
    retryable,
    is: (value: unknown): value is ErrorValue => isErrorValue(value) && value.code === code,
  });
  registry.set(code, kind);
  return kind;
}

export function isErrorValue(value: unknown): value is ErrorValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && typeof v.status === 'number' && typeof v.retryable === 'boolean';
}

/** Turns anything caught into an ErrorValue (unknown throws become INTERNAL). */
export function toErrorValue(caught: unknown): ErrorValue {
  if (caught instanceof FabricError) return caught.value;
  if (isErrorValue(caught)) return caught;
  const message = caught instanceof Error ? caught.message : String(caught);
  return Internal(message);
}

/** Result of an operation that can fail: errors as values. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorValue };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const err = <T = never>(error: ErrorValue): Result<T> => ({ ok: false, error });

// Codes shared by every layer of the fabric.
export const Internal = defineError('INTERNAL', 500);
export const BadRequest = defineError('BAD_REQUEST', 400);
export const NotFound = defineError('NOT_FOUND', 404);
export const Unauthorized = defineError('UNAUTHORIZED', 401);
export const Forbidden = defineError('FORBIDDEN', 403);
export const Conflict = defineError('CONFLICT', 409);
export const Timeout = defineError('TIMEOUT', 504, true);
export const Unavailable = defineError('UNAVAILABLE', 503, true);
