// A scheduler, compute hosts and a test server-group kind on one in-process actor system with a
// virtual clock and a memory store: the fixture of the scheduler and host tests and the bench.
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { createSchedulerKind, type GroupPolicy, type SchedulerKindOptions, type SchedulerMessage, type SchedulerReply } from '../../actors/scheduler/index.js';
import { createHostKind, type HostKindOptions, type HostMessage, type HostReply, type HostView, type Inventory } from '../../hosts/compute/index.js';
import { createActorSystem, createMemoryStore, type ActorRef, type ActorSystem, type MemoryStore } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import { createTestGroupKind } from './test-group-kind.js';

export interface ClusterOptions {
  readonly scheduler?: SchedulerKindOptions;
  readonly host?: HostKindOptions;
  readonly groups?: ReadonlyMap<string, GroupPolicy>;
  readonly store?: MemoryStore;
  readonly clock?: VirtualClock;
}

export interface Cluster {
  readonly system: ActorSystem;
  readonly clock: VirtualClock;
  readonly store: MemoryStore;
  /** 'received' events per message type since the last reset (counting only while enabled). */
  readonly received: Map<string, number>;
  countMessages(on: boolean): void;
  totalReceived(): number;
  host(id: string): ActorRef<HostMessage, HostReply>;
  readonly scheduler: ActorRef<SchedulerMessage, SchedulerReply>;
  register(id: string, inventory: Inventory): Promise<HostView>;
  describe(id: string): Promise<HostView>;
  stop(): Promise<void>;
}

export const HOST: Inventory = { zone: 'nova', vcpus: 32, ramMb: 131_072, diskGb: 1000 };

export function startCluster(options: ClusterOptions = {}): Cluster {
  const clock = options.clock ?? new VirtualClock(1_000_000);
  const store = options.store ?? createMemoryStore();
  const system = createActorSystem({ clock, store, seed: 7, askTimeoutMs: 60_000 });
  const hostKind = createHostKind(options.host);
  const schedulerKind = createSchedulerKind(options.scheduler);
  for (const registered of [
    system.register(schedulerKind),
    system.register(hostKind),
    system.register(createTestGroupKind(options.groups ?? new Map())),
  ]) {
    if (!registered.ok) throw new Error(registered.error.message);
  }
  const received = new Map<string, number>();
  let counting = false;
  system.inspect((e) => {
    if (counting && e.type === 'received') received.set(e.messageType, (received.get(e.messageType) ?? 0) + 1);
  });
  const hostAsk = async (id: string, msg: HostMessage): Promise<HostView> => {
    const r = await system.ref(hostKind, id).ask(msg);
    if (!r.ok) throw new Error(`${msg.type} ${id}: ${r.error.code} ${r.error.message}`);
    return r.value as HostView;
  };
  return {
    system,
    clock,
    store,
    received,
    countMessages(on: boolean) {
      received.clear();
      counting = on;
    },
    totalReceived() {
      let n = 0;
      for (const v of received.values()) n += v;
      return n;
    },
    host: (id) => system.ref(hostKind, id),
    scheduler: system.ref(schedulerKind, 'default'),
    register: (id, inventory) => hostAsk(id, { type: 'register', caller: SYSTEM_CALLER, inventory }),
    describe: (id) => hostAsk(id, { type: 'describe', caller: SYSTEM_CALLER }),
    stop: () => system.stop(),
  };
}

/** Registers `count` hosts named host-0001... in batches (all at once would queue 10,000 persists). */
export async function registerMany(cluster: Cluster, count: number, inventory: (i: number) => Inventory = () => HOST): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(`host-${String(i).padStart(5, '0')}`);
  for (let i = 0; i < ids.length; i += 500) await Promise.all(ids.slice(i, i + 500).map((id, j) => cluster.register(id, inventory(i + j))));
  // The hosts' reports were told before their answers: one ask behind them waits them out.
  await cluster.scheduler.ask({ type: 'zones', caller: SYSTEM_CALLER });
  return ids;
}
