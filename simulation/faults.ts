// Fault injection on the simulated cloud: host failures and repairs at rates (each host fails
// after an exponential time with mean MTBF, comes back after a repair time), zone outages at a
// time, scheduler restarts (the actor crashes; its supervisor restarts it empty) and broker
// outages (the in-process bus fails: requests wait, then flow). What happens to the instances of
// a failed host is the simulator's part (run.ts): rebuilt elsewhere or lost.
import type { Message } from '../supervision/index.js';
import { SYSTEM_CALLER } from '../actors/identity/caller.js';
import type { EventEngine } from './engine.js';
import { exponential, sample, stream } from './random.js';
import type { Scenario } from './scenario.js';
import type { SimCloud } from './sim-cloud.js';

export interface FaultCounts {
  hostFailures: number;
  hostRepairs: number;
  zoneOutages: number;
  schedulerRestarts: number;
  brokerRestarts: number;
}

export interface FaultHooks {
  /** A host died: its instances must be accounted for (evacuate: try to rebuild them elsewhere). */
  hostFailed(hostId: string, evacuate: boolean): void;
  hostRepaired(hostId: string): void;
}

export function scheduleFaults(scenario: Scenario, cloud: SimCloud, engine: EventEngine, seed: number, end: number, hooks: FaultHooks): FaultCounts {
  const counts: FaultCounts = { hostFailures: 0, hostRepairs: 0, zoneOutages: 0, schedulerRestarts: 0, brokerRestarts: 0 };
  const down = new Set<string>();
  const host = (id: string, type: 'fail' | 'heartbeat'): void => {
    // The host actor's own hooks: `fail` stops its heartbeats and refuses bids and claims;
    // a `heartbeat` message revives it.
    void cloud.system.ref('host', id).ask({ type, caller: SYSTEM_CALLER } as Message);
  };
  const fail = (id: string, evacuate: boolean): boolean => {
    if (down.has(id)) return false;
    down.add(id);
    counts.hostFailures++;
    host(id, 'fail');
    hooks.hostFailed(id, evacuate);
    return true;
  };
  const repair = (id: string): void => {
    if (!down.delete(id)) return;
    counts.hostRepairs++;
    host(id, 'heartbeat');
    hooks.hostRepaired(id);
  };

  const f = scenario.faults.hostFailures;
  if (f !== undefined) {
    const random = stream(seed, 'faults:hosts');
    const life = (id: string, from: number): void => {
      const at = from + exponential(random, f.mtbfMs);
      if (at > end) return;
      engine.at(at, () => {
        // A host already down (a zone outage) does not fail again; its clock restarts when it is back.
        if (!fail(id, f.evacuate)) return life(id, at);
        const back = at + Math.max(0, sample(f.repair, random));
        engine.at(back, () => {
          repair(id);
          life(id, back);
        });
      });
    };
    for (const h of cloud.hosts) life(h.id, 0);
  }

  for (const z of scenario.faults.zoneOutages) {
    if (z.atMs > end) continue;
    const inZone = cloud.hosts.filter((h) => h.zone === z.zone).map((h) => h.id);
    engine.at(z.atMs, () => {
      counts.zoneOutages++;
      const failed = inZone.filter((id) => fail(id, z.evacuate));
      engine.at(z.atMs + z.durationMs, () => {
        for (const id of failed) repair(id);
      });
    });
  }

  for (const r of scenario.faults.restarts) {
    if (r.atMs > end) continue;
    engine.at(r.atMs, () => {
      if (r.target === 'scheduler') {
        counts.schedulerRestarts++;
        void cloud.restartScheduler();
        return;
      }
      counts.brokerRestarts++;
      cloud.bus.fail();
      engine.at(r.atMs + r.durationMs, () => cloud.bus.restore());
    });
  }
  return counts;
}
