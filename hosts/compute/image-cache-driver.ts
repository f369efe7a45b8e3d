// A hypervisor driver that first puts the VM's image on the host: fetched from the image service
// once per host and content (converted in the worker pool to the format the driver wants), then
// served from the host's cache, as a Nova compute node caches Glance images in its _base dir.
// A boot whose image cannot be had (deleted, not visible to the instance's project, no data)
// fails with the reason, so the instance reschedules or ends in ERROR with it.
import type { Caller } from '../../actors/identity/caller.js';
import type { ImageService } from '../../actors/image/index.js';
import type { DiskFormat } from '../../workers/index.js';
import type { DomainImage } from './host-messages.js';
import type { DomainSpec, DriverContext, DriverOutcome, HypervisorDriver } from './hypervisor.js';

export interface ImageCacheOptions {
  /** The format the wrapped driver boots (default qcow2, as libvirt/KVM prefers). */
  readonly format?: DiskFormat;
  /** Told of every image put on a host, for metrics and tests. */
  readonly onFetched?: (hostId: string, imageId: string, fetched: boolean) => void;
}

/** The image is fetched with the rights of the instance's project, never the system's. */
function projectCaller(image: DomainImage): Caller {
  return { userId: 'compute-host', userName: 'compute-host', domainId: 'default', projectId: image.projectId, roles: ['reader'], expiresAt: Number.MAX_SAFE_INTEGER };
}

export function withImageCache(driver: HypervisorDriver, images: ImageService, options: ImageCacheOptions = {}): HypervisorDriver {
  const format = options.format ?? 'qcow2';
  return {
    name: driver.name,
    async spawn(spec: DomainSpec, context: DriverContext): Promise<DriverOutcome> {
      if (spec.image !== undefined) {
        const cached = await images.fetchForHost({ caller: projectCaller(spec.image), imageId: spec.image.id, hostId: spec.hostId, format });
        if (!cached.ok) return { ok: false, reason: `image ${spec.image.id}: ${cached.error.message}` };
        options.onFetched?.(spec.hostId, spec.image.id, cached.value.fetched);
      }
      return driver.spawn(spec, context);
    },
    destroy: (hostId, instanceId, context) => driver.destroy(hostId, instanceId, context),
    power: (hostId, instanceId, action, context) => driver.power(hostId, instanceId, action, context),
  };
}
