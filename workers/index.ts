// The worker pool's public face: the pool and its tasks' inputs and results, the image formats
// and readers/writers (usable in any thread for small jobs and tests), and the error codes.
export { WorkerPool, FileFollower, processPool, closeProcessPool, ownsBuffer } from './pool.js';
export type { RunOptions, TaskResult, WorkerPoolOptions } from './pool.js';
export type { ConvertInput, CreateInput, HashBytesInput, ProbeInput, TouchInput } from './tasks.js';
export { HASH_ALGORITHMS } from './hashing.js';
export type { Digests, HashAlgorithm, HashResult } from './hashing.js';
export { DEFAULT_LIMITS, DISK_FORMATS } from './image-formats.js';
export type { DetectedFormat, DiskFormat, GuestExtent, ImageLimits, ImageSink, ImageSource, ProbeResult, SinkOptions } from './image-formats.js';
export type { ConvertResult } from './convert.js';
export { convertImage, convertImageAsync, writeImage, openSource, createSink } from './convert.js';
export { probeImage } from './probe.js';
export { Qcow2Source } from './qcow2-reader.js';
export { Qcow2Sink, DEFAULT_CLUSTER_BITS } from './qcow2-writer.js';
export { RawSink, RawSource } from './raw-image.js';
export { parseQcow2Header, serializeQcow2Header, QCOW2_MAGIC } from './qcow2-header.js';
export type { Qcow2Header } from './qcow2-header.js';
export { task } from './task-protocol.js';
export type { TaskReply } from './task-protocol.js';
export {
  ImageError,
  ImageCorrupt,
  ImageIo,
  ImageTooLarge,
  ImageTruncated,
  ImageUnsupported,
  WorkerDied,
  WorkerPoolClosed,
  WorkerTaskFailed,
  WORKER_ERRORS,
} from './errors.js';
export type { WorkerErrorKind, WorkerErrorValue } from './errors.js';
