// Error codes of the worker pool and of disk image handling. workers/ is leaf code (it imports no
// other folder), so the values are built here with the same shape as transports' ErrorValue;
// actors/image/errors.ts declares the same codes with defineError, which lists them fabric-wide.

/** The same shape as transports/errors.ts ErrorValue: it crosses threads as plain data. */
export interface WorkerErrorValue {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface WorkerErrorKind {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  (message: string, details?: Record<string, unknown>): WorkerErrorValue;
}

function kind(code: string, status: number, retryable = false): WorkerErrorKind {
  const make = (message: string, details?: Record<string, unknown>): WorkerErrorValue =>
    details === undefined ? { code, message, status, retryable } : { code, message, status, retryable, details };
  return Object.assign(make, { code, status, retryable });
}

/** A task threw something that is not a coded error (a bug in the task). */
export const WorkerTaskFailed = kind('WORKER_TASK_FAILED', 500);
/** The worker thread exited while running the task; the pool starts a new one. */
export const WorkerDied = kind('WORKER_DIED', 503, true);
/** The pool was closed before the task ran. */
export const WorkerPoolClosed = kind('WORKER_POOL_CLOSED', 503, true);

/** The file ends before a structure its header declares (a cut-off upload or copy). */
export const ImageTruncated = kind('IMAGE_TRUNCATED', 400);
/** A header field or table entry that no valid image has (bad magic, misaligned or overlapping tables, reserved bits). */
export const ImageCorrupt = kind('IMAGE_CORRUPT', 400);
/** A well-formed image using what cumulo refuses to follow: backing files, encryption, external data files, extended L2, zstd. */
export const ImageUnsupported = kind('IMAGE_UNSUPPORTED', 400);
/** A virtual size (or an L1 or refcount table) above the configured limits. */
export const ImageTooLarge = kind('IMAGE_TOO_LARGE', 400);
/** Reading or writing an image file failed (missing file, full disk). */
export const ImageIo = kind('IMAGE_IO', 500, true);

export const WORKER_ERRORS: readonly WorkerErrorKind[] = [
  WorkerTaskFailed,
  WorkerDied,
  WorkerPoolClosed,
  ImageTruncated,
  ImageCorrupt,
  ImageUnsupported,
  ImageTooLarge,
  ImageIo,
];

/** Thrown inside tasks (deep in synchronous parsing code); the task boundary turns it into a reply. */
export class ImageError extends Error {
  constructor(readonly value: WorkerErrorValue) {
    super(`${value.code}: ${value.message}`);
    this.name = 'ImageError';
  }
}

export function isWorkerErrorValue(value: unknown): value is WorkerErrorValue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && typeof v.status === 'number' && typeof v.retryable === 'boolean';
}

/** What a task's failure becomes: its coded value, an I/O error, or WORKER_TASK_FAILED. */
export function failureValue(caught: unknown): WorkerErrorValue {
  if (caught instanceof ImageError) return caught.value;
  if (isWorkerErrorValue(caught)) return caught;
  const errno = caught instanceof Error && 'code' in caught && typeof caught.code === 'string' && 'syscall' in caught ? caught.code : undefined;
  const message = caught instanceof Error ? caught.message : String(caught);
  if (errno !== undefined) return ImageIo(message, { errno });
  return WorkerTaskFailed(message);
}
