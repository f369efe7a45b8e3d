// The simulated cloud: the production kinds (quota, compute catalogs, scheduler, compute hosts
// with the fake hypervisor, servers) on one actor system whose clock is the engine's virtual
// clock and whose store is the counting SimulationStore; a fabric node serving every mailbox
// shard over an in-process bus; and a client endpoint on that bus through which the workload
// sends its requests with project tokens, like any client of a real fabric.
import {
  createFlavorKind,
  createInstanceKind,
  createKeypairKind,
  createServerGroupIndexKind,
  createServerGroupKind,
  createServersIndexKind,
} from '../actors/compute/index.js';
import type { EventSink } from '../actors/events.js';
import { SYSTEM_CALLER, type Caller } from '../actors/identity/caller.js';
import { createQuotaKind } from '../actors/quota/index.js';
import { createSchedulerKind } from '../actors/scheduler/index.js';
import { createFakeDriver, createHostKind, type Inventory } from '../hosts/compute/index.js';
import { FabricNode } from '../supervision/fabric-node.js';
import { createActorSystem, type ActorSystem, type KindDefinition, type Message } from '../supervision/index.js';
import type { VirtualClock } from '../transports/clock.js';
import { createEndpoint, type Endpoint } from '../transports/endpoint.js';
import { err, FabricError, ok, Unauthorized, type Result } from '../transports/errors.js';
import { createInProcessTransport, InProcessBus } from '../transports/inproc-transport.js';
import { LocalDirectory } from '../transports/local-directory.js';
import { SimulationFailed } from './errors.js';
import type { Scenario } from './scenario.js';
import { SimulationStore } from './sim-store.js';

/** One simulated host: its id, zone and capacity (inventory × allocation ratios). */
export interface SimHost {
  readonly id: string;
  readonly zone: string;
  readonly vcpus: number;
  readonly ramMb: number;
}

export interface Project {
  readonly id: string;
  readonly caller: Caller;
  readonly token: string;
}

/** Messages each kind's actors handled, by type, and the hosts' heartbeat beats. */
export class MessageCounts {
  readonly byKind = new Map<string, Map<string, number>>();
  heartbeats = 0;
}

/**
 * The kind, counting every message its actors handle (and the hosts' heartbeat reminders):
 * cheaper than the inspection stream, which would build an event object per message.
 */
function counted<S, M extends Message, R>(def: KindDefinition<S, M, R>, counts: MessageCounts): KindDefinition<S, M, R> {
  const types = new Map<string, number>();
  counts.byKind.set(def.name, types);
  const onReminder = def.onReminder?.bind(def);
  return {
    ...def,
    handle: (ctx, msg) => {
      types.set(msg.type, (types.get(msg.type) ?? 0) + 1);
      return def.handle(ctx, msg);
    },
    ...(onReminder === undefined
      ? {}
      : {
          onReminder: (ctx, name) => {
            if (name === 'heartbeat') counts.heartbeats++;
            return onReminder(ctx, name);
          },
        }),
  };
}

export interface SimCloud {
  readonly system: ActorSystem;
  readonly messages: MessageCounts;
  readonly store: SimulationStore;
  readonly bus: InProcessBus;
  /** The workload's client: requests go through the bus to the fabric node, with a token. */
  readonly client: Endpoint;
  readonly hosts: readonly SimHost[];
  readonly projects: readonly Project[];
  /** Makes the scheduler actor crash: its supervisor restarts it with an empty summary, rebuilt from the hosts' reports. */
  restartScheduler(): Promise<void>;
  stop(): Promise<void>;
}

export const SIM_CRASH = 'simulatedCrash';

/**
 * The production scheduler kind with one more message type that crashes it: the simulator's
 * way to restart it (its summary is soft state, so a restart starts empty). Every other
 * message goes to the production handler unchanged.
 */
function restartableScheduler(scenario: Scenario): KindDefinition<unknown, Message, unknown> {
  const base = createSchedulerKind({
    strategy: scenario.scheduler.strategy,
    ...(scenario.scheduler.weighers === undefined ? {} : { weighers: scenario.scheduler.weighers }),
    ...(scenario.scheduler.candidates === undefined ? {} : { candidates: scenario.scheduler.candidates }),
    serviceDownMs: scenario.serviceDownMs,
  }) as unknown as KindDefinition<unknown, Message, unknown>;
  return {
    ...base,
    messageTypes: { ...base.messageTypes, [SIM_CRASH]: true },
    handle(ctx, msg) {
      if (msg.type === SIM_CRASH) throw new Error('simulated scheduler restart');
      return base.handle(ctx, msg);
    },
  };
}

function must<T>(what: string, result: Result<T>): T {
  if (!result.ok) throw new FabricError(SimulationFailed(`${what}: ${result.error.code}: ${result.error.message}`, { cause: result.error }));
  return result.value;
}

export function projectsOf(count: number): Project[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `sim-project-${i + 1}`;
    const caller: Caller = { userId: `sim-user-${i + 1}`, userName: `sim-user-${i + 1}`, domainId: 'default', projectId: id, roles: ['member'], expiresAt: Number.MAX_SAFE_INTEGER };
    return { id, caller, token: `sim-token-${i + 1}` };
  });
}

export function hostsOf(scenario: Scenario): Array<SimHost & { readonly inventory: Inventory }> {
  const counters = new Map<string, number>();
  const out: Array<SimHost & { readonly inventory: Inventory }> = [];
  for (const g of scenario.hosts) {
    for (let i = 0; i < g.count; i++) {
      const n = (counters.get(g.prefix) ?? 0) + 1;
      counters.set(g.prefix, n);
      const inventory: Inventory = {
        zone: g.zone,
        vcpus: g.vcpus,
        ramMb: g.ramMb,
        diskGb: g.diskGb,
        ...(g.traits.length === 0 ? {} : { traits: [...g.traits] }),
        allocationRatios: { ...g.ratios },
      };
      out.push({ id: `${g.prefix}-${n}`, zone: g.zone, vcpus: g.vcpus * g.ratios.cpu, ramMb: g.ramMb * g.ratios.ram, inventory });
    }
  }
  return out;
}

export async function buildCloud(scenario: Scenario, clock: VirtualClock, seed: number, events: EventSink): Promise<SimCloud> {
  const store = new SimulationStore();
  const system = createActorSystem({ clock, store, seed });
  const driver = createFakeDriver({ bootTime: scenario.hypervisor.bootTime, failureRate: scenario.hypervisor.failureRate, seed });
  const messages = new MessageCounts();
  const steps: Array<[string, () => Result<void>]> = [
    ['quota', () => system.register(counted(createQuotaKind(), messages))],
    ['flavors', () => system.register(counted(createFlavorKind(), messages))],
    ['key pairs', () => system.register(counted(createKeypairKind(), messages))],
    ['server groups', () => system.register(counted(createServerGroupKind({ events }), messages))],
    ['server group index', () => system.register(counted(createServerGroupIndexKind(), messages))],
    ['scheduler', () => system.register(counted(restartableScheduler(scenario), messages))],
    ['hosts', () => system.register(counted(createHostKind({ driver, heartbeatMs: scenario.heartbeatMs, serviceDownMs: scenario.serviceDownMs }), messages))],
    ['instances', () => system.register(counted(createInstanceKind({ events }), messages))],
    ['servers index', () => system.register(counted(createServersIndexKind(), messages))],
  ];
  for (const [what, step] of steps) must(`registering ${what}`, step());

  const projects = projectsOf(scenario.projects);
  const byToken = new Map(projects.map((p) => [p.token, p.caller]));
  const bus = new InProcessBus();
  const nodeTransport = createInProcessTransport(bus, 'sim-node');
  const endpoint = await createEndpoint({ transport: nodeTransport, clock, directory: new LocalDirectory() });
  // The simulator's stand-in for identity: each project's token names its caller.
  const authenticate = async (token: string | null): Promise<Result<unknown>> => {
    const caller = token === null ? undefined : byToken.get(token);
    return caller === undefined ? err(Unauthorized('unknown simulation token')) : ok(caller);
  };
  const node = await FabricNode.start({ nodeId: 'sim-node', system, endpoint, transport: nodeTransport, store, clock, authenticate });
  // No directory: the client's requests travel through the bus, so a broker outage holds them.
  const clientTransport = createInProcessTransport(bus, 'sim-client');
  const client = await createEndpoint({ transport: clientTransport, clock });

  const ask = async (kind: string, id: string, msg: Message, what: string): Promise<unknown> => must(what, await system.ref(kind, id).ask(msg, { timeoutMs: 600_000 }));
  if (scenario.defaultFlavors) await ask('flavors', 'catalog', { type: 'ensureDefaults', caller: SYSTEM_CALLER } as Message, 'default flavors');
  for (const f of scenario.flavors) {
    if (scenario.defaultFlavors && /^[1-5]$/.test(f.id)) continue;
    await ask('flavors', 'catalog', { type: 'create', caller: SYSTEM_CALLER, id: f.id, name: f.name, vcpus: f.vcpus, ramMb: f.ramMb, diskGb: f.diskGb, extraSpecs: f.extraSpecs } as Message, `flavor ${f.name}`);
  }
  for (const p of projects) {
    await ask('quota', p.id, { type: 'setLimits', caller: SYSTEM_CALLER, limits: { instances: -1, cores: -1, ramMb: -1 } } as Message, `quota of ${p.id}`);
  }
  const hosts = hostsOf(scenario);
  for (let i = 0; i < hosts.length; i += 500) {
    await Promise.all(hosts.slice(i, i + 500).map((h) => ask('host', h.id, { type: 'register', caller: SYSTEM_CALLER, inventory: h.inventory } as Message, `host ${h.id}`)));
  }

  return {
    system,
    messages,
    store,
    bus,
    client,
    hosts: hosts.map(({ id, zone, vcpus, ramMb }) => ({ id, zone, vcpus, ramMb })),
    projects,
    async restartScheduler() {
      // The crash is the answer: the ask fails, the supervisor restarts the actor.
      await system.ref('scheduler', 'default').ask({ type: SIM_CRASH });
    },
    async stop() {
      await node.drain();
      await system.stop();
      await client.close();
      await endpoint.close();
      await clientTransport.close();
      await nodeTransport.close();
      await store.close();
    },
  };
}
