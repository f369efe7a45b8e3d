// Wiring of the image service into an actor system: the image, index and blob kinds, the data
// store in the data dir, and the ImageService that routes, the SDK and compute hosts use.
import { randomUUID } from 'node:crypto';
import type { ActorSystem } from '../../supervision/index.js';
import { err, ok, Internal, type Result } from '../../transports/errors.js';
import { DEFAULT_LIMITS, type ImageLimits, type WorkerPool } from '../../workers/index.js';
import { noEvents, type EventSink } from '../events.js';
import { ImageDataStore } from './data-store.js';
import { createImageKind } from './image-actor.js';
import { createImageBlobKind } from './image-blob-actor.js';
import { createImageIndexKind, type ImageQuotaLimits } from './image-index.js';
import { ImageService } from './image-service.js';

export interface ImageServiceOptions {
  /** The fabric's data dir: image data goes under <dataDir>/images. */
  readonly dataDir: string;
  /** The process's worker pool (workers' processPool()). */
  readonly pool: WorkerPool;
  readonly events?: EventSink;
  /** Per-project defaults (DevStack's: 100 images, 100 concurrent uploads, 2000 MiB). */
  readonly defaultLimits?: ImageQuotaLimits;
  /** Largest upload (Glance image_size_cap, default 1 TiB). */
  readonly maxImageBytes?: number;
  /** Limits on what uploaded images declare (default: 16 TiB virtual size). */
  readonly imageLimits?: ImageLimits;
  readonly newId?: () => string;
}

/** Registers `image`, `image-index` and `image-blob`; the service for data paths. */
export function registerImages(system: ActorSystem, options: ImageServiceOptions): Result<ImageService> {
  const store = new ImageDataStore(options.dataDir);
  try {
    store.prepare();
  } catch (e) {
    return err(Internal(`cannot prepare the image data store in ${options.dataDir}: ${e instanceof Error ? e.message : String(e)}`));
  }
  const registered = [
    () =>
      system.register(
        createImageKind({
          incarnation: randomUUID(),
          events: options.events ?? noEvents,
          ...(options.maxImageBytes === undefined ? {} : { maxImageBytes: options.maxImageBytes }),
        }),
      ),
    () => system.register(createImageIndexKind(options.defaultLimits === undefined ? {} : { defaultLimits: options.defaultLimits })),
    () => system.register(createImageBlobKind(store)),
  ];
  for (const step of registered) {
    const result = step();
    if (!result.ok) return result;
  }
  return ok(new ImageService(system, options.pool, store, options.imageLimits ?? DEFAULT_LIMITS, options.newId ?? randomUUID));
}
