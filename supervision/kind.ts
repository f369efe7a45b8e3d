// One registered kind of virtual actor: its active activations (by id), activation on first
// message (exactly once: the cell is created and indexed synchronously, later messages queue in
// its mailbox behind the activation), the restart policy of each activation, and passivation of
// idle ones by the system's periodic scan.
import { toErrorValue } from '../transports/errors.js';
import type { ErrorValue } from '../transports/errors.js';
import { backoffDelay } from './backoff.js';
import type { Envelope } from './envelope.js';
import { ActorStopped, Escalated, SystemStopped } from './errors.js';
import { GONE, GrainCell } from './grain-cell.js';
import { GrainMailbox } from './grain-mailbox.js';
import { GrainRef } from './grain-ref.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';
import { RestartBudget } from './restart-budget.js';
import type { ReminderScheduler } from './reminders.js';
import { accepts, badMessage } from './runtime.js';
import type { Runtime } from './runtime.js';
import type { ActorStore } from './store.js';
import { StoreFenced } from './store-errors.js';
import type { ActorRef, KindDefinition, Message, RestartPolicy } from './types.js';

/** What every kind of one system shares. */
export interface GrainHost {
  readonly rt: Runtime;
  readonly store: ActorStore;
  readonly reminders: ReminderScheduler;
  /** nact parent of every kind's mailbox. */
  readonly mailbox: NactMailbox;
  /** The shard epoch to write under. */
  epochOf(shard: number): number;
  /** Sender incarnations remembered per actor (dedup marks), and replies kept per actor. */
  readonly dedupLimit: number;
  readonly replyLimit: number;
}

const PASSIVATED = ActorStopped('the actor was passivated');

export class KindRuntime<S, M extends Message, R> implements MailboxOwner {
  readonly name: string;
  readonly types: ReadonlySet<string>;
  readonly idleAfterMs: number;
  readonly policy: RestartPolicy;
  readonly active = new Map<string, GrainCell<S, M, R>>();
  stopped = false;
  private readonly mailbox: NactMailbox;

  constructor(
    readonly host: GrainHost,
    readonly def: KindDefinition<S, M, R>,
    idleAfterMs: number,
    policy: RestartPolicy,
  ) {
    this.name = def.name;
    this.types = new Set(Object.keys(def.messageTypes));
    this.idleAfterMs = def.idleAfterMs ?? idleAfterMs;
    this.policy = { ...policy, ...def.restart };
    this.mailbox = host.rt.engine.spawn(host.mailbox, def.name, this);
  }

  initialState(id: string): S {
    const initial = this.def.initialState;
    // A fresh copy per activation: activations must not share (and mutate) one object.
    return typeof initial === 'function' ? (initial as (id: string) => S)(id) : structuredClone(initial);
  }

  ref(id: string): ActorRef<M, R> {
    return new GrainRef<S, M, R>(this, id);
  }

  /** The live activation of `id`, activating it if there is none. */
  cellFor(id: string): GrainCell<S, M, R> {
    let cell = this.active.get(id);
    if (cell !== undefined) return cell;
    cell = new GrainCell(this, id);
    this.active.set(id, cell);
    cell.start(this.spawnMailbox(id, cell));
    return cell;
  }

  /**
   * Delivers to `id` through `cached` when it is still live (refs keep their last cell to skip
   * the Map lookup). Malformed messages are answered BAD_MESSAGE without waking the actor.
   * Returns the cell used, or undefined when nothing was delivered.
   */
  deliver(id: string, env: Envelope, cached: GrainCell<S, M, R> | undefined): GrainCell<S, M, R> | undefined {
    const rt = this.host.rt;
    if (this.stopped) {
      rt.deadLetter(env, `${this.name}/${id}`, SystemStopped('the actor system is stopped'), this.name);
      return undefined;
    }
    if (!accepts(this.types, env.msg)) {
      rt.deadLetter(env, `${this.name}/${id}`, badMessage(env.msg), this.name);
      return cached;
    }
    const cell = cached === undefined || cached.status === GONE ? this.cellFor(id) : cached;
    cell.post(env);
    return cell;
  }

  /** Activations drain their own queue, many messages a turn (see grain-mailbox.ts). */
  private spawnMailbox(_id: string, cell: GrainCell<S, M, R>): NactMailbox {
    return new GrainMailbox(cell);
  }

  /**
   * An activation crashed (its mailbox is held until this resolves): back off, reload from
   * the store and activate again, within the kind's restart budget per actor. A spent budget
   * deactivates the actor (its queued messages get ESCALATED; the next message starts afresh);
   * a fenced write deactivates it at once, since this node no longer owns its shard.
   */
  async restartAfterCrash(cell: GrainCell<S, M, R>, failure: ErrorValue): Promise<boolean> {
    const rt = this.host.rt;
    const { intensity, periodMs, backoff } = this.policy;
    let reason = failure;
    for (;;) {
      if (cell.status === GONE) return true;
      if (reason.code === StoreFenced.code) {
        this.remove(cell, reason, 'fenced');
        return true;
      }
      const attempt = (cell.budget ??= new RestartBudget(intensity, periodMs)).record(rt.clock.now());
      if (attempt === 0) {
        rt.emit({ type: 'escalated', path: cell.key, kind: this.name, at: rt.clock.now(), reason, fatal: false });
        this.remove(cell, Escalated(`${cell.key}: more than ${intensity} restarts in ${periodMs} ms`, { path: cell.key, cause: reason.code }), 'escalated');
        return true;
      }
      const delay = backoffDelay(backoff, attempt, rt.random);
      rt.emit({ type: 'restarted', path: cell.key, kind: this.name, at: rt.clock.now(), reason, attempt, backoffMs: delay });
      if (delay > 0) await rt.clock.sleep(delay);
      if (cell.status === GONE) return true;
      try {
        await cell.reactivate();
        return true;
      } catch (caught) {
        reason = toErrorValue(caught);
        rt.emit({ type: 'failed', path: cell.key, kind: this.name, at: rt.clock.now(), error: reason, messageType: undefined });
      }
    }
  }

  /** Passivates activations idle for idleAfterMs; returns how many. */
  scan(now: number): number {
    const rt = this.host.rt;
    let passivated = 0;
    for (const cell of this.active.values()) {
      if (cell.touched) {
        cell.touched = false;
        cell.idleSince = now;
      } else if (now - cell.idleSince >= this.idleAfterMs && cell.passivatable) {
        this.active.delete(cell.id);
        cell.leave(PASSIVATED);
        passivated++;
        if (rt.inspector.active) rt.emit({ type: 'passivated', path: cell.key, kind: this.name, at: now });
      }
    }
    return passivated;
  }

  private remove(cell: GrainCell<S, M, R>, error: ErrorValue, reason: string): void {
    if (this.active.get(cell.id) === cell) this.active.delete(cell.id);
    cell.leave(error);
    this.host.rt.emit({ type: 'stopped', path: cell.key, kind: this.name, at: this.host.rt.clock.now(), reason });
  }

  /** Stops every activation, last activated first. */
  stop(): void {
    this.stopped = true;
    const cells = [...this.active.values()];
    this.active.clear();
    const error = SystemStopped('the actor system is stopped');
    for (let i = cells.length - 1; i >= 0; i--) {
      const cell = cells[i]!;
      cell.leave(error);
      if (this.host.rt.inspector.active) this.host.rt.emit({ type: 'stopped', path: cell.key, kind: this.name, at: this.host.rt.clock.now(), reason: 'system' });
    }
    this.mailbox.stop();
  }

  /** A kind's own mailbox takes no messages (it only parents the activations' mailboxes). */
  receive(): this {
    return this;
  }
}
