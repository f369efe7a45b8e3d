// The runtime's public types: typed references, the contexts handlers receive, and the
// definitions of plain actors, supervisors and virtual actor kinds. Implementations live in the
// cell, supervisor and kind modules; users see only these shapes.
import type { Clock } from '../transports/clock.js';
import type { Result } from '../transports/errors.js';
import type { Refusal } from './refusal.js';
import type { EntryChanges } from './store.js';

/** Every message is a discriminated union member with a string `type`. */
export interface Message {
  readonly type: string;
}

/**
 * The message types an actor handles, as an object literal: `{ deposit: true, withdraw: true }`.
 * TypeScript checks it lists exactly the union's types, and the runtime uses it to answer
 * BAD_MESSAGE for anything else.
 */
export type MessageTypes<M extends Message> = { readonly [K in M['type']]: true };

export interface AskOptions {
  /** Time allowed for the reply, from now on the system's Clock (default: the system's askTimeoutMs). */
  readonly timeoutMs?: number;
  /** Absolute deadline in Clock time; wins over timeoutMs. */
  readonly deadline?: number;
  /** Sender incarnation, for de-duplication of redelivered messages (with seq). */
  readonly inc?: string;
  /** Sender sequence number within its incarnation (with inc). */
  readonly seq?: number;
}

/** A typed address. Asks answer errors as values: TIMEOUT, ACTOR_STOPPED, BAD_MESSAGE, ... */
export interface ActorRef<M extends Message, R = unknown> {
  /** `/parent/child` for spawned actors, `kind/id` for virtual actors. */
  readonly path: string;
  /** Fire and forget; a message that cannot be delivered becomes a dead-letter event. */
  tell(msg: M): void;
  ask(msg: M, options?: AskOptions): Promise<Result<R>>;
}

/** What every handler sees; one object per actor, reused for every message. */
export interface BaseContext<S, M extends Message> {
  readonly path: string;
  readonly self: ActorRef<M>;
  readonly state: S;
  readonly clock: Clock;
  /** Virtual actors by kind and id — the same as ActorSystem.ref. */
  ref<S2, M2 extends Message, R2>(kind: KindDefinition<S2, M2, R2>, id: string): ActorRef<M2, R2>;
  ref(kind: string, id: string): ActorRef<Message>;
}

export interface ActorContext<S, M extends Message> extends BaseContext<S, M> {
  /** Replaces the in-memory state (lost on restart: a restart starts again from init()). */
  setState(next: S): void;
}

export interface TimerOptions {
  /** Fire every delayMs until cancelled (default: once). */
  readonly repeat?: boolean;
}

export interface ReminderOptions {
  /** Fire again every periodMs after the first time (default: once). */
  readonly periodMs?: number;
}

export interface GrainContext<S, M extends Message, E = unknown> extends BaseContext<S, M> {
  readonly kind: string;
  readonly id: string;
  /** The store key and envelope address, `kind/id`. */
  readonly key: string;
  /** Revision of the last persisted state (0 before the first persist). */
  readonly revision: number;
  /**
   * The actor's entries (a kind with `entries: true`): loaded at activation, changed by persist;
   * empty for other kinds.
   */
  readonly entries: ReadonlyMap<string, E>;
  /**
   * Writes state, revision, shard epoch, de-duplication marks and entry changes in one store
   * call. `state` and `entries` show the change at once; the promise resolves once it is
   * durable, and rejects (crashing the actor) when the store refuses it: STORE_FENCED,
   * STORE_CONFLICT, ... A handler need not await it: its reply, and every later reply, waits
   * until it is durable, while the actor handles its next messages meanwhile.
   */
  persist(next: S, entries?: EntryChanges<E>): Promise<void>;
  /** A timer of this activation: cancelled by passivation, restart or stop. Calls onTimer. */
  setTimer(name: string, delayMs: number, options?: TimerOptions): void;
  cancelTimer(name: string): void;
  /** A durable reminder: survives restarts, wakes a passivated actor. Calls onReminder. */
  setReminder(name: string, dueInMs: number, options?: ReminderOptions): Promise<void>;
  cancelReminder(name: string): Promise<void>;
}

export interface BackoffPolicy {
  /** Delay before the first restart of a window. */
  readonly minMs: number;
  /** Upper bound before jitter. */
  readonly maxMs: number;
  /** Growth per restart within the window (default 2). */
  readonly factor?: number;
  /** The delay is multiplied by 1 + jitter × random(), random in [0, 1) (default 0.2). */
  readonly jitter?: number;
}

export interface RestartPolicy {
  /** Restarts allowed within periodMs; one more failure exhausts the budget. */
  readonly intensity: number;
  readonly periodMs: number;
  readonly backoff: BackoffPolicy;
}

export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

export interface SupervisorSpec extends Partial<RestartPolicy> {
  readonly name: string;
  readonly strategy: Strategy;
}

/** A plain (spawned) actor: in-memory state, restarted from init() by its supervisor. */
export interface ActorDefinition<S, M extends Message, R = unknown> {
  readonly name: string;
  readonly messageTypes: MessageTypes<M>;
  /** The state at start and after every restart. */
  init(): S;
  /** Returns the reply, or refuse(error) to answer an error without crashing; a throw is a crash. */
  handle(ctx: ActorContext<S, M>, msg: M): R | Refusal | Promise<R | Refusal>;
}

/** A virtual actor kind (an Orleans grain class): always addressable, activated on demand. */
export interface KindDefinition<S, M extends Message, R = unknown, E = unknown> {
  readonly name: string;
  readonly messageTypes: MessageTypes<M>;
  /** The state of an actor that was never persisted (a function is called with the id). */
  readonly initialState: S | ((id: string) => S);
  /**
   * The actor keeps keyed entries beside its state (ctx.entries), stored one key each, so that
   * a write costs what changed rather than everything held (default false).
   */
  readonly entries?: boolean;
  /** Returns the reply, or refuse(error) to answer an error without crashing; a throw is a crash. */
  handle(ctx: GrainContext<S, M, E>, msg: M): R | Refusal | Promise<R | Refusal>;
  /** Runs after the state is loaded, before any message; messages wait for it. */
  onActivate?(ctx: GrainContext<S, M, E>): void | Promise<void>;
  onTimer?(ctx: GrainContext<S, M, E>, name: string): void | Promise<void>;
  onReminder?(ctx: GrainContext<S, M, E>, name: string): void | Promise<void>;
  /** Passivate after this long without a message (default: the system's idleAfterMs). */
  readonly idleAfterMs?: number;
  /** Restart budget and backoff of each actor of this kind (default: the system's). */
  readonly restart?: Partial<RestartPolicy>;
}

/** Identity helpers that let TypeScript infer S, M and R from an object literal. */
export const defineActor = <S, M extends Message, R>(def: ActorDefinition<S, M, R>): ActorDefinition<S, M, R> => def;
export const defineKind = <S, M extends Message, R, E = unknown>(def: KindDefinition<S, M, R, E>): KindDefinition<S, M, R, E> => def;

/** A supervisor's public face: it spawns, in order, the children it supervises. */
export interface SupervisorRef {
  readonly path: string;
  /** Names of the children in start order. */
  readonly children: readonly string[];
  /** Starts a plain actor as the last child; ACTOR_NAME_TAKEN when a sibling has its name. */
  spawn<S, M extends Message, R>(def: ActorDefinition<S, M, R>): Result<ActorRef<M, R>>;
  /** Starts a child supervisor as the last child. */
  supervisor(spec: SupervisorSpec): Result<SupervisorRef>;
  /** Stops a child for good (a supervisor's children first, in reverse start order) and frees its name. */
  stopChild(name: string): Result<void>;
}
