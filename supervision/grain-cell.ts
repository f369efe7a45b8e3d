// One activation of a virtual actor: its state loaded from the store, its nact mailbox, its
// activation timers and its de-duplication marks. It is its own handler context. Writes are
// pipelined: the mailbox moves on once a handler returns, while its writes commit; replies are
// released in order, each once every write issued up to it is durable (persist-before-reply);
// a failed write fails every reply still held and crashes the activation.
import { Refusal } from './refusal.js';
import type { Clock, Timer } from '../transports/clock.js';
import { err, FabricError, ok, toErrorValue } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import { shardOf } from '../transports/topics.js';
import { cacheReply, isDuplicate, loadMarks, markApplied } from './dedup.js';
import type { CachedReply, Marks } from './dedup.js';
import { Envelope, OP_ACTIVATE, OP_CRASH, OP_REMINDER, OP_TIMER, OP_USER } from './envelope.js';
import { ActorStopped, AlreadyApplied } from './errors.js';
import type { KindRuntime } from './kind.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';
import { isThenable } from './runtime.js';
import type { RestartBudget } from './restart-budget.js';
import type { EntryChanges, StoredRecord } from './store.js';
import type { ActorRef, GrainContext, KindDefinition, Message, ReminderOptions, TimerOptions } from './types.js';

export const ACTIVATING = 0;
export const RUNNING = 1;
/** Crashed: nact holds the mailbox while the kind's policy backs off and reactivates. */
export const RESTARTING = 2;
/** Passivated, failed or stopped: out of the kind's active map; leftovers drain with goneError. */
export const GONE = 3;

const EMPTY_MARKS: Readonly<Marks> = Object.freeze({});
const NO_ENTRIES: ReadonlyMap<string, unknown> = new Map();
const noop = (): void => {};

/** A reply waiting for the writes issued before it (up to write number `barrier`) to be durable. */
interface HeldReply {
  readonly env: Envelope;
  readonly result: Result<unknown>;
  readonly barrier: number;
}

export class GrainCell<S, M extends Message, R> implements GrainContext<S, M>, MailboxOwner {
  readonly key: string;
  state!: S;
  revision = 0;
  status = ACTIVATING;
  /** Envelopes handed to nact and not yet taken by receive(). */
  queued = 0;
  /** The envelope being handled (undefined between messages): a busy actor is not passivated. */
  current: Envelope | undefined;
  /** Set by every user message; the passivation scan clears it and measures idleness from there. */
  touched = true;
  idleSince = 0;
  /** Bumped by every (re)activation: timer envelopes of an older activation are ignored. */
  gen = 0;
  budget: RestartBudget | undefined;
  private mailbox: NactMailbox | undefined;
  private marks: Marks | undefined;
  private replies: Map<string, CachedReply> | undefined;
  private timers: Map<string, Timer> | undefined;
  /** Writes (persists, reminder changes) started and not yet settled. */
  private writes = 0;
  /** Writes issued by this cell so far, numbered 1, 2, ... in issue order. */
  private issued = 0;
  /** Every write numbered up to this one has settled. */
  private settledUpTo = 0;
  /** Writes settled ahead of an earlier one still pending (rare: stores settle in order). */
  private settledAhead: Set<number> | undefined;
  /** The number of the first write that failed: replies held behind it fail with writeError. */
  private failedAt = Infinity;
  private writeError: ErrorValue | undefined;
  private writesIdle: Array<() => void> | undefined;
  /** Replies of finished handlers, in mailbox order, waiting for their writes to be durable. */
  private held: HeldReply[] = [];
  private goneError: ErrorValue | undefined;
  private selfRef: ActorRef<M, R> | undefined;
  private entryMap: Map<string, unknown> | undefined;

  constructor(
    private readonly owner: KindRuntime<S, M, R>,
    readonly id: string,
  ) {
    this.key = `${owner.name}/${id}`;
  }

  /** The mailbox shard, hashed when first needed (most activations of a read path never write). */
  get shard(): number {
    return shardOf(this.owner.name, this.id);
  }

  get kind(): string {
    return this.owner.name;
  }

  get path(): string {
    return this.key;
  }

  get clock(): Clock {
    return this.owner.host.rt.clock;
  }

  get self(): ActorRef<M, R> {
    return (this.selfRef ??= this.owner.ref(this.id));
  }

  get entries(): ReadonlyMap<string, unknown> {
    return this.entryMap ?? NO_ENTRIES;
  }

  get gone(): boolean {
    return this.status === GONE;
  }

  ref<S2, M2 extends Message, R2>(kind: KindDefinition<S2, M2, R2>, id: string): ActorRef<M2, R2>;
  ref(kind: string, id: string): ActorRef<Message>;
  ref(kind: string | KindDefinition<unknown, Message, unknown>, id: string): ActorRef<Message> {
    const directory = this.owner.host.rt.directory;
    return typeof kind === 'string' ? directory.ref(kind, id) : directory.ref(kind, id);
  }

  /**
   * Starts the activation. Without an onActivate hook the state is loaded right here (the
   * store reads synchronously) and the first message needs no extra mailbox turn; otherwise,
   * or when the load throws, an activation envelope goes first and messages queue behind it.
   */
  start(mailbox: NactMailbox): void {
    this.mailbox = mailbox;
    if (this.owner.def.onActivate === undefined) {
      try {
        this.load();
        this.activated();
        return;
      } catch {
        // Loading again from the mailbox turns the failure into a crash the policy handles.
      }
    }
    this.postInternal(OP_ACTIVATE, '');
  }

  post(env: Envelope): void {
    env.target = this;
    this.queued++;
    this.owner.host.rt.engine.post(this.mailbox!, env);
  }

  private postInternal(op: number, name: string): void {
    const env = new Envelope(undefined, op, name);
    env.seq = this.gen;
    this.post(env);
  }

  receive(env: Envelope): this | Promise<this> {
    this.queued--;
    return this.dispatch(env);
  }

  private dispatch(env: Envelope): this | Promise<this> {
    if (this.status === GONE) return this.drain(env);
    if (this.writeError !== undefined && this.status === RUNNING) return this.recover(env);
    switch (env.op) {
      case OP_USER:
        return this.onMessage(env);
      case OP_ACTIVATE:
        return this.activate();
      case OP_TIMER:
        return env.seq === this.gen ? this.onTimer(env) : this;
      case OP_REMINDER:
        return this.onReminder(env);
      case OP_CRASH:
        return this; // the failure was handled by recover() already
      default:
        throw new Error(`unknown envelope op ${env.op}`);
    }
  }

  private onMessage(env: Envelope): this | Promise<this> {
    const host = this.owner.host;
    const rt = host.rt;
    if (env.expired) {
      rt.deadLetter(env, this.key, env.timeoutError(), this.owner.name);
      return this;
    }
    const inc = env.inc;
    if (inc !== undefined) {
      if (isDuplicate(this.marks, inc, env.seq)) return this.answerDuplicate(env, inc);
      this.marks = markApplied(this.marks, inc, env.seq, host.dedupLimit);
    }
    this.touched = true;
    const msg = env.msg as M;
    if (rt.inspector.active) rt.emit({ type: 'received', path: this.key, kind: this.owner.name, at: rt.clock.now(), messageType: msg.type });
    this.current = env;
    const result = this.owner.def.handle(this, msg);
    if (isThenable(result)) return result.then((value) => this.finish(env, value));
    return this.finish(env, result);
  }

  private answerDuplicate(env: Envelope, inc: string): this {
    const rt = this.owner.host.rt;
    const cached = this.replies?.get(inc);
    this.respond(env, cached !== undefined && cached.seq === env.seq ? cached.result : err(AlreadyApplied(`${this.key} applied (${inc}, ${env.seq}) before`, { inc, seq: env.seq })));
    if (rt.inspector.active) rt.emit({ type: 'duplicate', path: this.key, kind: this.owner.name, at: rt.clock.now(), inc, seq: env.seq });
    return this;
  }

  /**
   * The handler is done: the mailbox moves on, and its reply waits (in order) for the writes
   * issued so far. A write of this activation that already failed crashes it instead.
   */
  private finish(env: Envelope, value: unknown): this {
    if (this.writeError !== undefined) throw new FabricError(this.writeError);
    this.current = undefined;
    if (env.inc !== undefined) {
      const result: Result<unknown> = value instanceof Refusal ? err(value.error) : ok(value);
      this.replies = cacheReply(this.replies, env.inc, env.seq, result, this.owner.host.replyLimit);
      this.respond(env, result);
    } else if (env.resolve !== undefined) {
      this.respond(env, value instanceof Refusal ? err(value.error) : ok(value));
    }
    return this;
  }

  /** Answers now when nothing is pending, else after every write issued so far is durable. */
  private respond(env: Envelope, result: Result<unknown>): void {
    if (env.resolve === undefined) return;
    if (this.held.length === 0 && this.settledUpTo === this.issued) this.owner.host.rt.settle(env, result);
    else this.held.push({ env, result, barrier: this.issued });
  }

  /** Releases the held replies whose writes are durable, in order; those behind a failed write fail. */
  private releaseHeld(): void {
    const held = this.held;
    let i = 0;
    const rt = this.owner.host.rt;
    for (; i < held.length; i++) {
      const h = held[i]!;
      if (h.barrier >= this.failedAt) rt.settle(h.env, err(this.writeError!));
      else if (h.barrier <= this.settledUpTo) rt.settle(h.env, h.result);
      else break;
    }
    if (i === held.length) this.held = [];
    else if (i > 0) this.held = held.slice(i);
  }

  /** Resolves once every write issued so far has settled. */
  private writesSettled(): Promise<void> {
    if (this.writes === 0) return Promise.resolve();
    return new Promise((resolve) => (this.writesIdle ??= []).push(resolve));
  }

  private track(write: Promise<unknown>): Promise<void> {
    this.writes++;
    const n = ++this.issued;
    const settled = write.then(
      () => this.writeDone(n, undefined),
      (caught: unknown) => {
        const error = toErrorValue(caught);
        this.writeDone(n, error);
        throw new FabricError(error);
      },
    );
    // The handler may await it (and then sees the rejection) or not: either way the reply
    // waits for it, so an unobserved rejection is not an unhandled one.
    settled.catch(noop);
    return settled;
  }

  private writeDone(n: number, error: ErrorValue | undefined): void {
    this.writes--;
    if (error !== undefined && n < this.failedAt) {
      this.failedAt = n;
      this.writeError ??= error;
    }
    if (n === this.settledUpTo + 1) {
      this.settledUpTo = n;
      const ahead = this.settledAhead;
      if (ahead !== undefined) {
        while (ahead.delete(this.settledUpTo + 1)) this.settledUpTo++;
      }
    } else {
      (this.settledAhead ??= new Set()).add(n);
    }
    if (this.held.length > 0) this.releaseHeld();
    // A failure while no handler runs: crash before the next message sees the unwritten state.
    if (error !== undefined && this.status === RUNNING && this.current === undefined && this.queued === 0) this.postInternal(OP_CRASH, '');
    if (this.writes === 0 && this.writesIdle !== undefined) {
      const idle = this.writesIdle;
      this.writesIdle = undefined;
      for (const resolve of idle) resolve();
    }
  }

  /**
   * A write of this activation failed after its handler returned: the next envelope waits while
   * the activation crashes (as nact's crash path does, without failing that envelope: it did
   * not see the unwritten state) and restarts under the kind's policy, then runs.
   */
  private async recover(env: Envelope): Promise<this> {
    const error = this.writeError!;
    const rt = this.owner.host.rt;
    rt.emit({ type: 'failed', path: this.key, kind: this.owner.name, at: rt.clock.now(), error, messageType: undefined });
    this.cancelTimers();
    this.status = RESTARTING;
    await this.writesSettled();
    await this.owner.restartAfterCrash(this, error);
    return this.dispatch(env);
  }

  persist(next: S, changes?: EntryChanges): Promise<void> {
    // A handler still running when its activation left (the system stopped, the shard was lost)
    // must not write: another activation, here or on another node, may own the state by now.
    if (this.status === GONE) return this.track(Promise.reject(new FabricError(ActorStopped(`${this.key} is no longer active; its write was dropped`))));
    const host = this.owner.host;
    const expectedRevision = this.revision;
    const revision = expectedRevision + 1;
    this.revision = revision;
    const shard = this.shard;
    const epoch = host.epochOf(shard);
    const dedup = this.marks === undefined ? EMPTY_MARKS : { ...this.marks };
    // The next message sees this state at once; should the write fail, the activation crashes
    // and reloads what is stored before anyone observes it (its replies are held until durable).
    this.state = next;
    let record: StoredRecord<S> = { state: next, revision, epoch, dedup };
    let entries: EntryChanges | undefined;
    if (changes !== undefined) {
      const map = this.entryMap;
      if (map === undefined) throw new Error(`${this.key}: entry changes on a kind without entries`);
      for (const [id, value] of changes.put ?? []) map.set(id, value);
      for (const id of changes.remove ?? []) map.delete(id);
      // A store without entries keeps them all in the record.
      if (host.store.loadEntries === undefined) record = { state: next, revision, epoch, dedup, entries: Object.fromEntries(map) };
      else entries = changes;
    }
    const options = entries === undefined ? { shard, expectedRevision } : { shard, expectedRevision, entries };
    const write = host.store.persist(this.key, record, options).then((result) => {
      if (!result.ok) throw new FabricError(result.error);
      const rt = host.rt;
      if (rt.inspector.active) rt.emit({ type: 'persisted', path: this.key, kind: this.owner.name, at: rt.clock.now(), revision, epoch });
    });
    return this.track(write);
  }

  setTimer(name: string, delayMs: number, options?: TimerOptions): void {
    this.cancelTimer(name);
    const timers = (this.timers ??= new Map());
    const clock = this.clock;
    const gen = this.gen;
    const fire = (): void => {
      if (this.gen !== gen || this.status === GONE) return;
      if (options?.repeat === true) timers.set(name, clock.setTimer(delayMs, fire));
      else timers.delete(name);
      this.postInternal(OP_TIMER, name);
    };
    timers.set(name, clock.setTimer(delayMs, fire));
  }

  cancelTimer(name: string): void {
    const timer = this.timers?.get(name);
    if (timer === undefined) return;
    timer.cancel();
    this.timers!.delete(name);
  }

  setReminder(name: string, dueInMs: number, options?: ReminderOptions): Promise<void> {
    const dueAt = this.clock.now() + Math.max(0, dueInMs);
    const reminder = options?.periodMs === undefined ? { key: this.key, name, dueAt } : { key: this.key, name, dueAt, periodMs: options.periodMs };
    return this.track(this.owner.host.reminders.set(reminder));
  }

  cancelReminder(name: string): Promise<void> {
    return this.track(this.owner.host.reminders.cancel(this.key, name));
  }

  private onTimer(env: Envelope): this | Promise<this> {
    const def = this.owner.def;
    const rt = this.owner.host.rt;
    if (rt.inspector.active) rt.emit({ type: 'timer-fired', path: this.key, kind: this.owner.name, at: rt.clock.now(), name: env.name });
    if (def.onTimer === undefined) return this;
    this.current = env;
    const result = def.onTimer(this, env.name);
    if (isThenable(result)) return result.then(() => this.finish(env, undefined));
    return this.finish(env, undefined);
  }

  private onReminder(env: Envelope): this | Promise<this> {
    const def = this.owner.def;
    const rt = this.owner.host.rt;
    rt.emit({ type: 'reminder-fired', path: this.key, kind: this.owner.name, at: rt.clock.now(), name: env.name });
    if (def.onReminder === undefined) return this.finish(env, undefined);
    this.current = env;
    const result = def.onReminder(this, env.name);
    if (isThenable(result)) return result.then(() => this.finish(env, undefined));
    return this.finish(env, undefined);
  }

  /** Loads state, revision and marks from the store (or the kind's initial state). */
  load(): void {
    const store = this.owner.host.store;
    const record = store.load<S>(this.key);
    if (record === undefined) {
      this.state = this.owner.initialState(this.id);
      this.revision = 0;
      this.marks = undefined;
    } else {
      this.state = record.state;
      this.revision = record.revision;
      this.marks = loadMarks(record.dedup);
    }
    if (this.owner.def.entries === true) {
      this.entryMap = new Map(store.loadEntries !== undefined ? store.loadEntries(this.key) : Object.entries(record?.entries ?? {}));
    }
  }

  private activate(): this | Promise<this> {
    this.load();
    const def = this.owner.def;
    if (def.onActivate === undefined) {
      this.activated();
      return this;
    }
    const result = def.onActivate(this);
    if (isThenable(result)) {
      return result.then(() => {
        this.activated();
        return this;
      });
    }
    this.activated();
    return this;
  }

  private activated(): void {
    this.status = RUNNING;
    const rt = this.owner.host.rt;
    if (rt.inspector.active) rt.emit({ type: 'activated', path: this.key, kind: this.owner.name, at: rt.clock.now(), revision: this.revision });
  }

  /** Clears what a crashed activation held, then activates again (the policy calls it after backoff). */
  async reactivate(): Promise<void> {
    this.gen++;
    this.cancelTimers();
    this.replies = undefined;
    this.writeError = undefined;
    this.failedAt = Infinity;
    this.current = undefined;
    this.status = ACTIVATING;
    this.load();
    await this.owner.def.onActivate?.(this);
    this.activated();
  }

  /**
   * nact's crash callback: the asker gets the error, the kind's policy decides once the writes
   * still pending have settled (releasing or failing the replies held behind them).
   */
  crashed(env: Envelope | undefined, error: unknown): Promise<boolean> {
    const value = toErrorValue(error);
    const rt = this.owner.host.rt;
    if (env !== undefined) rt.settle(env, err(value));
    rt.emit({ type: 'failed', path: this.key, kind: this.owner.name, at: rt.clock.now(), error: value, messageType: env?.op === OP_USER ? env.messageType : undefined });
    this.current = undefined;
    this.cancelTimers();
    if (this.status === GONE) return Promise.resolve(true);
    this.status = RESTARTING;
    if (this.writes === 0) return this.owner.restartAfterCrash(this, value);
    return this.writesSettled().then(() => this.owner.restartAfterCrash(this, value));
  }

  /** Idle, not busy, nothing queued or being written: safe to drop from memory now. */
  get passivatable(): boolean {
    return this.status === RUNNING && this.queued === 0 && this.current === undefined && this.writes === 0 && this.held.length === 0;
  }

  /**
   * Leaves the active set. Anything still queued is answered `error` (nothing is queued when
   * the passivation scan calls this); later messages start a new activation.
   */
  leave(error: ErrorValue): void {
    if (this.status === GONE) return;
    this.status = GONE;
    this.goneError = error;
    this.cancelTimers();
    // Release memory now: refs may keep this object alive, but not its state. A handler still
    // running keeps reading it (its writes are refused, see persist).
    if (this.current === undefined) this.state = undefined as S;
    this.marks = undefined;
    this.replies = undefined;
    if (this.queued === 0) this.mailbox?.stop();
  }

  private drain(env: Envelope): this {
    const rt = this.owner.host.rt;
    rt.deadLetter(env, this.key, this.goneError!, this.owner.name);
    if (this.queued === 0) this.mailbox?.stop();
    return this;
  }

  private cancelTimers(): void {
    const timers = this.timers;
    if (timers === undefined) return;
    this.timers = undefined;
    for (const timer of timers.values()) timer.cancel();
  }
}
