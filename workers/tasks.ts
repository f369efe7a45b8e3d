// The pool's task file: Piscina loads this compiled module in each worker thread and calls the
// export named by each run. Every task answers a TaskReply (task-protocol.ts). Importing it in
// the main thread does nothing but define functions.
import { convertImageAsync, writeImage, type ConvertResult } from './convert.js';
import { hashBytes as digestBytes, hashFile as digestFile, type HashAlgorithm, type HashFileInput, type HashResult } from './hashing.js';
import { DEFAULT_LIMITS, type DiskFormat, type GuestExtent, type ImageLimits, type ProbeResult } from './image-formats.js';
import { probeImage } from './probe.js';
import { task } from './task-protocol.js';

export interface HashBytesInput {
  readonly bytes: Uint8Array;
  readonly algorithms: readonly HashAlgorithm[];
}

export interface ProbeInput {
  readonly path: string;
  readonly limits?: ImageLimits;
}

export interface ConvertInput {
  readonly source: string;
  readonly sourceFormat: DiskFormat;
  readonly target: string;
  readonly targetFormat: DiskFormat;
  readonly limits?: ImageLimits;
  /** fdatasync the target before answering (default true). */
  readonly sync?: boolean;
}

export interface CreateInput {
  readonly path: string;
  readonly format: DiskFormat;
  readonly virtualSize: number;
  /** Guest bytes at offsets; everything else reads as zeros. */
  readonly data: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
}

export const hashFile = task<HashFileInput, HashResult>(digestFile);

export const hashBytes = task<HashBytesInput, HashResult>((input) => digestBytes(input.bytes, input.algorithms));

export const probe = task<ProbeInput, ProbeResult>((input) => probeImage(input.path, input.limits ?? DEFAULT_LIMITS));

export const convert = task<ConvertInput, ConvertResult>((input) =>
  convertImageAsync(input.source, input.sourceFormat, input.target, input.targetFormat, input.limits ?? DEFAULT_LIMITS, input.sync === undefined ? {} : { sync: input.sync }),
);

export const create = task<CreateInput, ConvertResult>((input) => {
  const pieces = [...input.data].sort((a, b) => a.offset - b.offset);
  const extents: GuestExtent[] = pieces.map((p) => ({ kind: 'data', offset: p.offset, bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength) }));
  return writeImage(input.path, input.format, input.virtualSize, extents);
});

/** The pool's own cost per task (bench/pool.ts): answers its input at once. */
export const echo = task<unknown, unknown>((input) => input);

export interface TouchInput {
  readonly bytes: Uint8Array;
}

/** The cost of moving a buffer to a thread (bench/pool.ts): reads one byte, answers the length. */
export const touch = task<TouchInput, number>((input) => input.bytes.byteLength + (input.bytes[0] ?? 0) * 0);
