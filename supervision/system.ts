// The actor system: a root supervisor for spawned actors, the registry of virtual actor kinds,
// the periodic passivation scan and the reminder scheduler, all on one injected Clock, with
// nact underneath as the mailbox engine. `deliver` is the entry point of the network bridge.
import type { Clock, Timer } from '../transports/clock.js';
import { wallClock } from '../transports/clock.js';
import { err, ok, toErrorValue } from '../transports/errors.js';
import type { Result } from '../transports/errors.js';
import { isSegment, shardOf } from '../transports/topics.js';
import { seededRandom } from './backoff.js';
import { Envelope, OP_REMINDER } from './envelope.js';
import { ActorBadName, KindTaken, NoStore, SystemStopped, UnknownKind } from './errors.js';
import { FailedRef } from './grain-ref.js';
import type { InspectionListener } from './inspection.js';
import { KindRuntime } from './kind.js';
import type { GrainHost } from './kind.js';
import { NactEngine } from './nact-engine.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';
import { ReminderScheduler } from './reminders.js';
import type { FireOutcome } from './reminders.js';
import { Runtime } from './runtime.js';
import type { Directory } from './runtime.js';
import type { ActorStore, Reminder } from './store.js';
import { Supervisor } from './supervisor.js';
import type { EscalatedEvent } from './supervisor.js';
import type {
  ActorDefinition,
  ActorRef,
  KindDefinition,
  Message,
  RestartPolicy,
  Strategy,
  SupervisorRef,
  SupervisorSpec,
} from './types.js';

export interface ActorSystemOptions {
  /** Every deadline, backoff, budget, scan, timer and reminder reads it (default: wall time). */
  readonly clock?: Clock;
  /** Where virtual actors keep their state and reminders (required to register kinds). */
  readonly store?: ActorStore;
  /** Default ask timeout (default 5000 ms). */
  readonly askTimeoutMs?: number;
  /** Default idle time before a virtual actor is passivated (default 300 000 ms). */
  readonly idleAfterMs?: number;
  /** Period of the passivation scan (default 30 000 ms). */
  readonly passivationScanMs?: number;
  /** Default restart budget and backoff of supervisors and kinds. */
  readonly restart?: Partial<RestartPolicy>;
  /** Strategy of the root supervisor (default one-for-one). */
  readonly rootStrategy?: Strategy;
  /** Jitter source; default a generator seeded with `seed` (default: random). */
  readonly random?: () => number;
  readonly seed?: number;
  /** Called when the root supervisor's budget is spent (also on the inspection stream). */
  readonly onFatal?: (event: EscalatedEvent) => void;
  /** The shard epoch to write under (default: the store's current epoch of the shard). */
  readonly shardEpoch?: (shard: number) => number;
  /** Sender incarnations remembered per actor (default 1024) and last replies kept (default 64). */
  readonly dedupSenders?: number;
  readonly replyCache?: number;
  /** Delay before a failed one-shot reminder is tried again (default 1000 ms). */
  readonly reminderRetryMs?: number;
  /**
   * Loads reminders without firing any until releaseReminders(): a fabric node must hold its shard
   * leases before the actors its reminders wake can write (default false).
   */
  readonly holdReminders?: boolean;
}

/** Where a bridged envelope's reply must arrive by, and its sender mark. */
export interface DeliverOptions {
  readonly deadline?: number;
  readonly timeoutMs?: number;
  readonly inc?: string;
  readonly seq?: number;
}

export const DEFAULT_RESTART: RestartPolicy = {
  intensity: 3,
  periodMs: 5000,
  backoff: { minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 },
};

/** nact owner of mailboxes that only parent others (the kinds' root). */
const PARENT_ONLY: MailboxOwner = { receive: () => PARENT_ONLY };

export class ActorSystem implements Directory {
  readonly clock: Clock;
  private readonly rt: Runtime;
  private readonly engine: NactEngine;
  private readonly root: Supervisor;
  private readonly kinds = new Map<string, KindRuntime<unknown, Message, unknown>>();
  private readonly store: ActorStore | undefined;
  private readonly grainHost: GrainHost | undefined;
  private readonly reminders: ReminderScheduler | undefined;
  private readonly idleAfterMs: number;
  private readonly scanMs: number;
  private scanTimer: Timer | undefined;
  private stopped = false;

  constructor(options: ActorSystemOptions = {}) {
    this.clock = options.clock ?? wallClock;
    const restart: RestartPolicy = { ...DEFAULT_RESTART, ...options.restart };
    const random = options.random ?? seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.engine = new NactEngine();
    this.rt = new Runtime(this.clock, this.engine, random, options.askTimeoutMs ?? 5000, restart, this);
    this.root = new Supervisor(this.rt, undefined, '', options.rootStrategy ?? 'one-for-one', restart, options.onFatal);
    this.idleAfterMs = options.idleAfterMs ?? 300_000;
    this.scanMs = options.passivationScanMs ?? 30_000;
    this.store = options.store;
    if (this.store !== undefined) {
      const store = this.store;
      this.reminders = new ReminderScheduler(this.clock, store, (r) => this.fireReminder(r), options.reminderRetryMs ?? 1000, (r, caught) =>
        this.rt.emit({ type: 'failed', path: r.key, at: this.clock.now(), error: toErrorValue(caught), messageType: undefined }),
      );
      const mailbox: NactMailbox = this.engine.spawn(undefined, 'kinds', PARENT_ONLY);
      const shardEpoch = options.shardEpoch ?? ((shard: number) => store.shardEpoch(shard));
      this.grainHost = {
        rt: this.rt,
        store,
        reminders: this.reminders,
        mailbox,
        epochOf: shardEpoch,
        dedupLimit: options.dedupSenders ?? 1024,
        replyLimit: options.replyCache ?? 64,
      };
      this.reminders.load(options.holdReminders === true);
    }
  }

  /** The root supervisor: spawned actors without an explicit parent are its children. */
  get supervisorRoot(): SupervisorRef {
    return this.root;
  }

  spawn<S, M extends Message, R>(def: ActorDefinition<S, M, R>): Result<ActorRef<M, R>> {
    return this.root.spawn(def);
  }

  supervisor(spec: SupervisorSpec): Result<SupervisorRef> {
    return this.root.supervisor(spec);
  }

  /** Registers a kind of virtual actor; its actors are then addressable with ref(kind, id). */
  register<S, M extends Message, R>(def: KindDefinition<S, M, R>): Result<void> {
    if (this.stopped) return err(SystemStopped('the actor system is stopped'));
    if (this.grainHost === undefined) return err(NoStore('virtual actors need a store: pass one to createActorSystem'));
    if (typeof def.name !== 'string' || !isSegment(def.name)) return err(ActorBadName(`kind name ${JSON.stringify(String(def.name)).slice(0, 140)} is not a plain segment`));
    if (this.kinds.has(def.name)) return err(KindTaken(`kind ${def.name} is already registered`, { kind: def.name }));
    const kind = new KindRuntime(this.grainHost, def, this.idleAfterMs, this.rt.restartPolicy);
    this.kinds.set(def.name, kind);
    this.reminders?.unpark(def.name);
    this.armScan();
    return ok(undefined);
  }

  /** Lets reminders held at start fire; those of `wakeKinds` fire now (see ReminderScheduler.release). */
  releaseReminders(wakeKinds: readonly string[] = []): void {
    this.reminders?.release(wakeKinds);
  }

  /** Whether this system serves `kind` (the bridge routes only those envelopes here). */
  servesKind(kind: string): boolean {
    return this.kinds.has(kind);
  }

  /** The epoch writes of shard `shard` carry. */
  shardEpoch(shard: number): number {
    return this.grainHost?.epochOf(shard) ?? 0;
  }

  /** A virtual actor by kind and id; it need not be active. Bad kinds and ids give a ref that answers the error. */
  ref<S, M extends Message, R>(kind: KindDefinition<S, M, R>, id: string): ActorRef<M, R>;
  ref(kind: string, id: string): ActorRef<Message>;
  ref(kind: string | KindDefinition<unknown, Message, unknown>, id: string): ActorRef<Message> {
    const name = typeof kind === 'string' ? kind : kind.name;
    const runtime = this.kinds.get(name);
    if (runtime === undefined) return new FailedRef(this.rt, `${name}/${id}`, UnknownKind(`no kind ${name} is registered here`, { kind: name }));
    if (typeof id !== 'string' || !isSegment(id)) return new FailedRef(this.rt, `${name}/${String(id)}`, ActorBadName(`actor id ${JSON.stringify(String(id)).slice(0, 140)} is not a plain segment`));
    return runtime.ref(id);
  }

  /**
   * The network bridge's entry point: delivers an envelope's body to `kind/id` with its deadline
   * and sender mark and answers its reply as a value (BAD_MESSAGE for a malformed body,
   * UNKNOWN_KIND, TIMEOUT, a duplicate's earlier reply, ...).
   */
  deliver(kind: string, id: string, msg: unknown, options: DeliverOptions = {}): Promise<Result<unknown>> {
    const runtime = this.kinds.get(kind);
    if (runtime === undefined) return Promise.resolve(err(UnknownKind(`no kind ${String(kind)} is registered here`, { kind })));
    if (typeof id !== 'string' || !isSegment(id)) return Promise.resolve(err(ActorBadName(`actor id ${JSON.stringify(String(id)).slice(0, 140)} is not a plain segment`)));
    const env = this.rt.askEnvelope(msg, options);
    if (!(env instanceof Envelope)) return Promise.resolve(err(env));
    const reply = this.rt.awaitReply(env);
    runtime.deliver(id, env, undefined);
    return reply;
  }

  /** The shard of an actor (the mailbox topic it is addressed on). */
  shardOf(kind: string, id: string): number {
    return shardOf(kind, id);
  }

  inspect(listener: InspectionListener): () => void {
    return this.rt.inspector.subscribe(listener);
  }

  /** Active virtual actors (of one kind, or of all). */
  activeCount(kind?: string): number {
    if (kind !== undefined) return this.kinds.get(kind)?.active.size ?? 0;
    let n = 0;
    for (const k of this.kinds.values()) n += k.active.size;
    return n;
  }

  /** Active virtual actors per registered kind. */
  activeCounts(): ReadonlyMap<string, number> {
    const counts = new Map<string, number>();
    for (const [name, kind] of this.kinds) counts.set(name, kind.active.size);
    return counts;
  }

  /** Runs one passivation scan now (the periodic one calls this); returns how many were passivated. */
  passivateIdle(): number {
    const now = this.clock.now();
    let n = 0;
    for (const kind of this.kinds.values()) n += kind.scan(now);
    return n;
  }

  private armScan(): void {
    if (this.scanTimer !== undefined || this.stopped) return;
    this.scanTimer = this.clock.setTimer(this.scanMs, () => {
      this.scanTimer = undefined;
      this.passivateIdle();
      this.armScan();
    });
  }

  private async fireReminder(reminder: Reminder): Promise<FireOutcome> {
    const slash = reminder.key.indexOf('/');
    const kind = this.kinds.get(reminder.key.slice(0, slash));
    if (kind === undefined || this.stopped) return 'unserved';
    const env = new Envelope(undefined, OP_REMINDER, reminder.name);
    const reply = this.rt.awaitReply(env);
    kind.cellFor(reminder.key.slice(slash + 1)).post(env);
    const result = await reply;
    return result.ok ? 'done' : 'failed';
  }

  /**
   * Stops everything: virtual actors (last activated first), then the spawned tree (children
   * before parents, last started first). Pending asks answer SYSTEM_STOPPED; writes already
   * handed to the store are awaited.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.rt.stopped = true;
    this.scanTimer?.cancel();
    this.scanTimer = undefined;
    this.reminders?.stop();
    const kinds = [...this.kinds.values()];
    for (let i = kinds.length - 1; i >= 0; i--) kinds[i]!.stop();
    this.root.terminate('system');
    const stopped = err(SystemStopped('the actor system stopped'));
    this.rt.deadlines.clear((env) => this.rt.settle(env, stopped));
    this.engine.stop();
    await this.store?.flushed();
  }
}

export function createActorSystem(options: ActorSystemOptions = {}): ActorSystem {
  return new ActorSystem(options);
}
