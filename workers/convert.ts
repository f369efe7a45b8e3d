// Conversion between raw and qcow2 (either way, or to the same format), as a stream of guest
// extents from a reader to a writer: memory stays at a few MiB whatever the image size. The
// target is written in full or removed.
import { rmSync, statSync } from 'node:fs';
import type { DiskFormat, GuestExtent, ImageLimits, ImageSink, ImageSource, SinkOptions } from './image-formats.js';
import { Qcow2Source } from './qcow2-reader.js';
import { Qcow2Sink } from './qcow2-writer.js';
import { RawSink, RawSource } from './raw-image.js';

export function openSource(path: string, format: DiskFormat, limits: ImageLimits): ImageSource {
  return format === 'qcow2' ? Qcow2Source.open(path, limits) : RawSource.open(path, limits);
}

export function createSink(path: string, format: DiskFormat, virtualSize: number, options: SinkOptions = {}): ImageSink {
  return format === 'qcow2' ? Qcow2Sink.create(path, virtualSize, options) : RawSink.create(path, virtualSize, options);
}

export interface ConvertResult {
  readonly virtualSize: number;
  /** Bytes of the target file (its apparent size). */
  readonly fileSize: number;
}

/** Writes extents to a new image file; on any failure the file is removed. */
export function writeImage(path: string, format: DiskFormat, virtualSize: number, extents: Iterable<GuestExtent>, options: SinkOptions = {}): ConvertResult {
  const sink = createSink(path, format, virtualSize, options);
  try {
    for (const extent of extents) sink.write(extent);
    sink.finish();
  } catch (e) {
    sink.abort();
    rmSync(path, { force: true });
    throw e;
  }
  return { virtualSize: sink.virtualSize, fileSize: statSync(path).size };
}

/** Extents a conversion may have in flight (read, not yet written) at once. */
const OUTSTANDING = 2;

/**
 * convertImage with reads and writes in flight on libuv's pool (what the pool's convert task
 * runs): reading the next batch overlaps writing this one, as QEMU's convert does.
 */
export async function convertImageAsync(source: string, sourceFormat: DiskFormat, target: string, targetFormat: DiskFormat, limits: ImageLimits, options: SinkOptions = {}): Promise<ConvertResult> {
  const input = openSource(source, sourceFormat, limits);
  try {
    const sink = createSink(target, targetFormat, input.virtualSize, { ...options, io: 'async' });
    try {
      const marks: Array<Promise<void>> = [];
      for await (const extent of input.extentsAsync(OUTSTANDING)) {
        sink.write(extent);
        const mark = sink.settled();
        mark.catch(() => undefined);
        marks.push(mark);
        while (marks.length > OUTSTANDING) await marks.shift();
      }
      await sink.finishAsync();
    } catch (e) {
      await sink.settled().catch(() => undefined);
      sink.abort();
      rmSync(target, { force: true });
      throw e;
    }
    return { virtualSize: sink.virtualSize, fileSize: statSync(target).size };
  } finally {
    input.close();
  }
}

export function convertImage(source: string, sourceFormat: DiskFormat, target: string, targetFormat: DiskFormat, limits: ImageLimits, options: SinkOptions = {}): ConvertResult {
  const input = openSource(source, sourceFormat, limits);
  try {
    return writeImage(target, targetFormat, input.virtualSize, input.extents(), options);
  } finally {
    input.close();
  }
}
