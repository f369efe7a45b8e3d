// What the cluster holds over time, from the simulator's own accounting of placements (every
// placement and end is known the moment the cloud reports it): used vCPU and RAM per host, their
// time integrals (mean utilization, carried load), and the fragmentation of the free capacity.
import type { SimHost } from './sim-cloud.js';

interface HostUse {
  readonly host: SimHost;
  usedVcpus: number;
  usedRamMb: number;
  failed: boolean;
}

export interface Shape {
  readonly vcpus: number;
  readonly ramMb: number;
}

export interface Fragmentation {
  /** Free vCPUs (of hosts that are up) that no instance of the largest flavor can use, as a fraction of the free vCPUs. */
  readonly vcpu: number;
  readonly ram: number;
  /** Instances of the largest flavor the free capacity still holds. */
  readonly largestFits: number;
}

export class Ledger {
  private readonly hosts = new Map<string, HostUse>();
  readonly capacityVcpus: number;
  readonly capacityRamMb: number;
  usedVcpus = 0;
  usedRamMb = 0;
  live = 0;
  private last = 0;
  /** Integrals over time (ms × amount) since `from`. */
  private areaVcpus = 0;
  private areaRamMb = 0;
  private areaLive = 0;

  constructor(
    hosts: readonly SimHost[],
    /** Integrals start here (the warm-up's end). */
    private readonly from: number,
  ) {
    let v = 0;
    let r = 0;
    for (const h of hosts) {
      this.hosts.set(h.id, { host: h, usedVcpus: 0, usedRamMb: 0, failed: false });
      v += h.vcpus;
      r += h.ramMb;
    }
    this.capacityVcpus = v;
    this.capacityRamMb = r;
    this.last = from;
  }

  /** Accumulates the integrals up to t. */
  private advance(t: number): void {
    if (t <= this.last) return;
    const dt = t - this.last;
    this.areaVcpus += dt * this.usedVcpus;
    this.areaRamMb += dt * this.usedRamMb;
    this.areaLive += dt * this.live;
    this.last = t;
  }

  private use(hostId: string): HostUse {
    const u = this.hosts.get(hostId);
    if (u === undefined) throw new Error(`ledger: unknown host ${hostId}`);
    return u;
  }

  add(hostId: string, shape: Shape, t: number): void {
    this.advance(t);
    const u = this.use(hostId);
    u.usedVcpus += shape.vcpus;
    u.usedRamMb += shape.ramMb;
    this.usedVcpus += shape.vcpus;
    this.usedRamMb += shape.ramMb;
    this.live++;
  }

  remove(hostId: string, shape: Shape, t: number): void {
    this.advance(t);
    const u = this.use(hostId);
    u.usedVcpus -= shape.vcpus;
    u.usedRamMb -= shape.ramMb;
    this.usedVcpus -= shape.vcpus;
    this.usedRamMb -= shape.ramMb;
    this.live--;
  }

  setFailed(hostId: string, failed: boolean): void {
    this.use(hostId).failed = failed;
  }

  /** Means over [from, t]: utilization of vCPU and RAM (fractions of capacity) and live instances. */
  means(t: number): { vcpu: number; ram: number; live: number } {
    this.advance(t);
    const span = t - this.from;
    if (span <= 0) return { vcpu: 0, ram: 0, live: 0 };
    return { vcpu: this.areaVcpus / span / this.capacityVcpus, ram: this.areaRamMb / span / this.capacityRamMb, live: this.areaLive / span };
  }

  /** Fragmentation of the free capacity of the hosts that are up, against the largest flavor. */
  fragmentation(largest: Shape): Fragmentation {
    let freeV = 0;
    let freeR = 0;
    let usableV = 0;
    let usableR = 0;
    let fits = 0;
    for (const u of this.hosts.values()) {
      if (u.failed) continue;
      const fv = Math.max(0, u.host.vcpus - u.usedVcpus);
      const fr = Math.max(0, u.host.ramMb - u.usedRamMb);
      freeV += fv;
      freeR += fr;
      const k = Math.floor(Math.min(largest.vcpus > 0 ? fv / largest.vcpus : Infinity, largest.ramMb > 0 ? fr / largest.ramMb : Infinity));
      fits += k;
      usableV += k * largest.vcpus;
      usableR += k * largest.ramMb;
    }
    return { vcpu: freeV > 0 ? (freeV - usableV) / freeV : 0, ram: freeR > 0 ? (freeR - usableR) / freeR : 0, largestFits: fits };
  }
}
