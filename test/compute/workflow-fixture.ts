// A compute cloud in one process for the spawn workflow tests: the real kinds (quota, flavor
// catalog, key pairs, server groups, scheduler, hosts with the fake driver, servers and their
// index) on a virtual clock over a memory store, with callers for two projects and a captured
// event stream. `drive` moves virtual time until something happens (no real sleeps).
import { randomUUID } from 'node:crypto';
import type { ResourceEvent } from '../../actors/events.js';
import { SYSTEM_CALLER, type Caller, type Role } from '../../actors/identity/caller.js';
import { registerComputeCatalogs, registerInstances, type InstanceKindOptions, type InstanceView } from '../../actors/compute/index.js';
import type { CreateMessage } from '../../actors/compute/index.js';
import { registerQuota, type QuotaView } from '../../actors/quota/index.js';
import { createSchedulerKind } from '../../actors/scheduler/index.js';
import { createFakeDriver, registerHostKind, type FakeDriverOptions, type HostKindOptions, type HostView, type HypervisorDriver, type Inventory } from '../../hosts/compute/index.js';
import { createActorSystem, createMemoryStore, type ActorStore, type ActorSystem, type Message } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';

export type SchedulerKind = ReturnType<typeof createSchedulerKind>;

export const HOST: Inventory = { zone: 'nova', vcpus: 8, ramMb: 16_384, diskGb: 200, allocationRatios: { cpu: 1, ram: 1, disk: 1 } };

export function caller(projectId: string | null, roles: readonly Role[] = ['member'], userId = `user-${projectId ?? 'none'}`): Caller {
  return { userId, userName: userId, domainId: 'default', projectId, roles, expiresAt: Number.MAX_SAFE_INTEGER };
}

export const ALICE = caller('project-a');
export const BOB = caller('project-b');
export const READER_A = caller('project-a', ['reader'], 'reader-a');
export const ADMIN = caller('admin', ['admin'], 'admin');

/** Events as they were published, with a way to await the next match. */
export class EventLog {
  readonly all: ResourceEvent[] = [];
  private readonly waiters: Array<{ match: (e: ResourceEvent) => boolean; resolve: (e: ResourceEvent) => void }> = [];

  publish(event: ResourceEvent): void {
    this.all.push(event);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.match(event)) {
        this.waiters.splice(i, 1);
        w.resolve(event);
      }
    }
  }

  /** The first event (already seen from index `from` on, or future) that matches. */
  find(match: (e: ResourceEvent) => boolean, from = 0): Promise<ResourceEvent> {
    const seen = this.all.slice(from).find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The statuses an instance went through, in publication order. */
  statuses(id: string): string[] {
    return this.all.filter((e) => e.type === 'instance.status' && e.id === id).map((e) => String(e.body.status));
  }
}

export interface ComputeOptions {
  readonly hosts?: number;
  readonly inventory?: Inventory;
  readonly driver?: FakeDriverOptions;
  /** Wraps the scheduler kind (to inject its faults). */
  readonly scheduler?: (kind: SchedulerKind) => SchedulerKind;
  /** A driver of the test's own (wins over `driver`). */
  readonly hypervisor?: HypervisorDriver;
  readonly host?: Omit<HostKindOptions, 'driver'>;
  readonly instances?: Omit<InstanceKindOptions, 'events'>;
  readonly store?: ActorStore;
  readonly clock?: VirtualClock;
  /** Register hosts (false when the store already has them, after a simulated crash). */
  readonly registerHosts?: boolean;
}

export interface Compute {
  readonly system: ActorSystem;
  readonly clock: VirtualClock;
  readonly store: ActorStore;
  readonly events: EventLog;
  readonly hostIds: readonly string[];
  ask<T>(kind: string, id: string, msg: Message): Promise<Result<T>>;
  /** The value, or a thrown error naming the refusal. */
  must<T>(kind: string, id: string, msg: Message): Promise<T>;
  create(who: Caller, fields?: Partial<Omit<CreateMessage, 'type' | 'caller'>> | Readonly<Record<string, unknown>>, id?: string): Promise<Result<InstanceView>>;
  show(who: Caller, id: string): Promise<Result<InstanceView>>;
  /** Resolves once `id` publishes `status` (as event number `from` or later), moving virtual time as needed. */
  reach(id: string, status: string, from?: number): Promise<InstanceView>;
  drive<T>(p: Promise<T>, limitMs?: number): Promise<T>;
  host(id: string): Promise<HostView>;
  quota(projectId: string): Promise<QuotaView>;
  stop(): Promise<void>;
}

/**
 * Moves virtual time in small steps (letting actors run between them) until `p` settles. With
 * `idle`, each step first waits for it (the store's flush): virtual time must not race ahead of
 * writes that take real time (LMDB), or asks would time out in virtual time while they commit.
 */
export async function drive<T>(clock: VirtualClock, p: Promise<T>, limitMs = 120_000, stepMs = 5, idle?: () => Promise<void>): Promise<T> {
  let settled: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  p.then(
    (value) => (settled = { ok: true, value }),
    (error: unknown) => (settled = { ok: false, error }),
  );
  const end = clock.now() + limitMs;
  await clock.advanceAsync(0);
  while (settled === undefined) {
    if (clock.now() >= end) throw new Error(`not settled within ${limitMs} ms of virtual time`);
    if (idle !== undefined) await idle();
    await clock.advanceAsync(stepMs);
  }
  if (!settled.ok) throw settled.error;
  return settled.value;
}

export async function startCompute(options: ComputeOptions = {}): Promise<Compute> {
  const clock = options.clock ?? new VirtualClock(1_000_000);
  const store = options.store ?? createMemoryStore();
  const system = createActorSystem({ clock, store, seed: 11, askTimeoutMs: 30_000 });
  const events = new EventLog();
  for (const registered of [
    registerQuota(system),
    registerComputeCatalogs(system),
    system.register((options.scheduler ?? ((k: SchedulerKind) => k))(createSchedulerKind())),
    registerHostKind(system, { ...options.host, driver: options.hypervisor ?? createFakeDriver(options.driver) }),
    registerInstances(system, { events, ...options.instances }),
  ]) {
    if (!registered.ok) throw new Error(`${registered.error.code}: ${registered.error.message}`);
  }
  const ask = <T>(kind: string, id: string, msg: Message): Promise<Result<T>> => system.ref(kind, id).ask(msg) as Promise<Result<T>>;
  const flushed = (): Promise<void> => store.flushed();
  const run = <T>(p: Promise<T>, limitMs?: number): Promise<T> => drive(clock, p, limitMs, 5, flushed);
  const must = async <T>(kind: string, id: string, msg: Message): Promise<T> => {
    const r = await run(ask<T>(kind, id, msg));
    if (!r.ok) throw new Error(`${kind}/${id} ${msg.type}: ${r.error.code} ${r.error.message}`);
    return r.value;
  };
  await must('flavors', 'catalog', { type: 'ensureDefaults', caller: SYSTEM_CALLER } as Message);
  const hostIds = Array.from({ length: options.hosts ?? 3 }, (_, i) => `host-${i + 1}`);
  if (options.registerHosts !== false) {
    for (const h of hostIds) await must('host', h, { type: 'register', caller: SYSTEM_CALLER, inventory: options.inventory ?? HOST } as Message);
  }
  const compute: Compute = {
    system,
    clock,
    store,
    events,
    hostIds,
    ask,
    must,
    create: (who, fields = {}, id = randomUUID()) =>
      run(ask<InstanceView>('instance', id, { type: 'create', caller: who, name: `vm-${id.slice(0, 8)}`, flavorId: '1', ...fields } as unknown as Message)),
    show: (who, id) => run(ask<InstanceView>('instance', id, { type: 'show', caller: who } as Message)),
    async reach(id, status, from = 0) {
      await run(events.find((e) => e.type === 'instance.status' && e.id === id && e.body.status === status, from));
      return must<InstanceView>('instance', id, { type: 'show', caller: SYSTEM_CALLER } as Message);
    },
    drive: (p, limitMs) => run(p, limitMs),
    host: (id) => must<HostView>('host', id, { type: 'describe', caller: SYSTEM_CALLER } as Message),
    quota: (projectId) => must<QuotaView>('quota', projectId, { type: 'show', caller: SYSTEM_CALLER } as Message),
    stop: () => system.stop(),
  };
  return compute;
}

/** Sum of the claims each host holds, by host. */
export async function claimsByHost(c: Compute): Promise<Map<string, { vcpus: number; ramMb: number; diskGb: number; instances: string[] }>> {
  const out = new Map<string, { vcpus: number; ramMb: number; diskGb: number; instances: string[] }>();
  for (const h of c.hostIds) {
    const view = await c.host(h);
    const sum = { vcpus: 0, ramMb: 0, diskGb: 0, instances: [] as string[] };
    for (const [instanceId, claim] of Object.entries(view.claims)) {
      sum.vcpus += claim.resources.vcpus;
      sum.ramMb += claim.resources.ramMb;
      sum.diskGb += claim.resources.diskGb;
      sum.instances.push(instanceId);
    }
    sum.instances.sort();
    out.set(h, sum);
  }
  return out;
}
