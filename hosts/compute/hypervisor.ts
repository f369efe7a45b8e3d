// The hypervisor driver interface of a compute host (Nova's virt driver, reduced to what the
// host actor needs): boot, destroy and power actions of one VM's domain. Drivers answer outcomes
// as values and never throw for an ordinary failure; a boot may take long, so the host actor
// starts it and is told the outcome later, never blocking its mailbox on it.
import type { Clock } from '../../transports/clock.js';
import type { Resources } from '../../actors/scheduler/index.js';
import type { DomainImage } from './host-messages.js';

export type PowerAction = 'stop' | 'start' | 'reboot-soft' | 'reboot-hard';

export interface DomainSpec {
  readonly hostId: string;
  readonly instanceId: string;
  readonly resources: Resources;
  /** The image to boot from, when the instance names one (see image-cache-driver.ts). */
  readonly image?: DomainImage;
}

export type DriverOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What the host gives a driver on each call: its actor's clock. */
export interface DriverContext {
  readonly clock: Clock;
}

export interface HypervisorDriver {
  readonly name: string;
  /** Boots the domain; resolves when it runs or failed (never rejects). */
  spawn(spec: DomainSpec, context: DriverContext): Promise<DriverOutcome>;
  /** Removes the domain; a missing one is already destroyed. */
  destroy(hostId: string, instanceId: string, context: DriverContext): Promise<DriverOutcome>;
  power(hostId: string, instanceId: string, action: PowerAction, context: DriverContext): Promise<DriverOutcome>;
}

export const DRIVER_OK: DriverOutcome = Object.freeze({ ok: true });
