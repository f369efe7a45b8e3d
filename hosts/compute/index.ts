// The compute hosts' public face: the `host` kind (createHostKind, or hostKind with defaults),
// its messages and views, the hypervisor driver interface with the fake driver, and the hosts'
// error codes.
import type { ActorSystem } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { createHostKind, type HostKindOptions } from './host-actor.js';

export { createHostKind, DEFAULT_HEARTBEAT_MS, HOST_KIND, hostKind } from './host-actor.js';
export type { HostKindOptions, HostReply } from './host-actor.js';
export { HostMessage, Inventory } from './host-messages.js';
export type { Domain, DomainImage, DomainState, DomainView, HostClaim, HostView, SpawnOutcomeMessage, UnclaimView } from './host-messages.js';
export type { HostState } from './host-state.js';
export { createFakeDriver, drawBootTime } from './fake-driver.js';
export type { BootTime, FakeDriverOptions } from './fake-driver.js';
export type { DomainSpec, DriverContext, DriverOutcome, HypervisorDriver, PowerAction } from './hypervisor.js';
export { withImageCache } from './image-cache-driver.js';
export type { ImageCacheOptions } from './image-cache-driver.js';
export { ClaimRefused, DomainNotFound, NoFit } from './errors.js';

/** Registers `host` on a system. */
export function registerHostKind(system: ActorSystem, options: HostKindOptions = {}): Result<void> {
  return system.register(createHostKind(options));
}
