// The `fake` hypervisor driver (Nova's fake virt driver): no VM runs, a boot just takes time drawn
// from a configurable distribution and fails at a configurable rate. Randomness is seeded per
// host (seed and host id), so a host's boots draw the same times and failures on every run
// whatever other hosts do; time is the host's injected clock unless one is given here.
import { seededRandom } from '../../supervision/index.js';
import type { Clock } from '../../transports/clock.js';
import { DRIVER_OK, type DomainSpec, type DriverContext, type DriverOutcome, type HypervisorDriver } from './hypervisor.js';

export type BootTime =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number };

export interface FakeDriverOptions {
  /** Default: fixed 0 ms (the boot completes on the next microtask, no timer involved). */
  readonly bootTime?: BootTime;
  /** Probability in [0, 1] that a boot fails (default 0). */
  readonly failureRate?: number;
  readonly seed?: number;
  /** Default: the host actor's clock. */
  readonly clock?: Clock;
}

/** Draws one boot time from the distribution with `random()` in [0, 1). */
export function drawBootTime(bootTime: BootTime, random: () => number): number {
  switch (bootTime.kind) {
    case 'fixed':
      return Math.max(0, bootTime.ms);
    case 'uniform':
      return Math.max(0, bootTime.minMs + (bootTime.maxMs - bootTime.minMs) * random());
    case 'exponential':
      // Inverse transform; 1 - random() is in (0, 1], so the log is finite.
      return Math.max(0, -bootTime.meanMs * Math.log(1 - random()));
    default: {
      const never: never = bootTime;
      throw new Error(`unknown boot time distribution ${JSON.stringify(never)}`);
    }
  }
}

function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function createFakeDriver(options: FakeDriverOptions = {}): HypervisorDriver {
  const bootTime = options.bootTime ?? { kind: 'fixed', ms: 0 };
  const failureRate = options.failureRate ?? 0;
  if (!(failureRate >= 0 && failureRate <= 1)) throw new RangeError(`failureRate must be in [0, 1], got ${failureRate}`);
  const seed = options.seed ?? 1;
  const streams = new Map<string, () => number>();
  const randomOf = (hostId: string): (() => number) => {
    let random = streams.get(hostId);
    if (random === undefined) {
      random = seededRandom((seed ^ hash32(hostId)) >>> 0);
      streams.set(hostId, random);
    }
    return random;
  };
  return {
    name: 'fake',
    spawn(spec: DomainSpec, context: DriverContext): Promise<DriverOutcome> {
      const random = randomOf(spec.hostId);
      const fails = random() < failureRate;
      const ms = drawBootTime(bootTime, random);
      const outcome: DriverOutcome = fails ? { ok: false, reason: `fake driver: boot of ${spec.instanceId} failed` } : DRIVER_OK;
      if (ms <= 0) return Promise.resolve(outcome);
      return (options.clock ?? context.clock).sleep(ms).then(() => outcome);
    },
    destroy(): Promise<DriverOutcome> {
      return Promise.resolve(DRIVER_OK);
    },
    power(): Promise<DriverOutcome> {
      return Promise.resolve(DRIVER_OK);
    },
  };
}
