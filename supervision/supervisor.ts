// Supervisors over ordered children: one-for-one, one-for-all and rest-for-one restarts with an
// Erlang-style budget (intensity per period on the Clock) and exponential backoff with jitter.
// A spent budget stops the children (last started first) and escalates to the parent; at the
// root it is reported as fatal (inspection stream and onFatal), never dropped.
import type { Timer } from '../transports/clock.js';
import { err, NotFound, ok, toErrorValue } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import { isSegment } from '../transports/topics.js';
import { ActorCell } from './actor-cell.js';
import { backoffDelay } from './backoff.js';
import type { Envelope } from './envelope.js';
import { ActorBadName, ActorNameTaken, ActorStopped, BadMessage, Escalated } from './errors.js';
import type { InspectionEvent } from './inspection.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';
import { RestartBudget } from './restart-budget.js';
import { RESUME } from './runtime.js';
import type { Runtime } from './runtime.js';
import type { ParentSupervisor, SupervisedNode } from './supervised-node.js';
import type { ActorDefinition, ActorRef, Message, RestartPolicy, Strategy, SupervisorRef, SupervisorSpec } from './types.js';

const RUNNING = 0;
const SUSPENDED = 1;
/** Budget spent: children stopped, waiting for the parent's decision. */
const FAILED = 2;
const STOPPED = 3;

export type EscalatedEvent = Extract<InspectionEvent, { type: 'escalated' }>;

/** One restart decision waiting for its backoff; overlapping ones merge. */
class PendingRestart {
  timer: Timer | undefined;
  readonly done: Promise<boolean>;
  finish!: (resume: boolean) => void;

  constructor(readonly nodes: SupervisedNode[]) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }
}

export class Supervisor implements SupervisedNode, ParentSupervisor, SupervisorRef, MailboxOwner {
  readonly path: string;
  readonly mailbox: NactMailbox;
  private readonly nodes: SupervisedNode[] = [];
  private readonly byName = new Map<string, SupervisedNode>();
  private status = RUNNING;
  private readonly budget: RestartBudget;
  private pendings: PendingRestart[] = [];

  constructor(
    private readonly rt: Runtime,
    private readonly parent: Supervisor | undefined,
    readonly name: string,
    private readonly strategy: Strategy,
    private readonly policy: RestartPolicy,
    private readonly onFatal?: (event: EscalatedEvent) => void,
  ) {
    this.path = parent === undefined ? '/' : parent.childPath(name);
    this.budget = new RestartBudget(policy.intensity, policy.periodMs);
    this.mailbox = rt.engine.spawn(parent?.mailbox, parent === undefined ? 'user' : name, this);
  }

  get children(): readonly string[] {
    return this.nodes.map((n) => n.name);
  }

  childPath(name: string): string {
    return this.parent === undefined ? `/${name}` : `${this.path}/${name}`;
  }

  spawn<S, M extends Message, R>(def: ActorDefinition<S, M, R>): Result<ActorRef<M, R>> {
    const cell = this.adopt(def.name, () => new ActorCell(this.rt, this, def), false);
    return cell.ok ? ok(cell.value.self) : cell;
  }

  supervisor(spec: SupervisorSpec): Result<SupervisorRef> {
    const policy: RestartPolicy = {
      intensity: spec.intensity ?? this.rt.restartPolicy.intensity,
      periodMs: spec.periodMs ?? this.rt.restartPolicy.periodMs,
      backoff: spec.backoff ?? this.rt.restartPolicy.backoff,
    };
    return this.adopt(spec.name, () => new Supervisor(this.rt, this, spec.name, spec.strategy, policy), true);
  }

  stopChild(name: string): Result<void> {
    const node = this.byName.get(name);
    if (node === undefined) return err(NotFound(`${this.path} has no child named ${name}`));
    node.terminate('stopped');
    if (node instanceof Supervisor) node.mailbox.stop();
    this.byName.delete(name);
    this.nodes.splice(this.nodes.indexOf(node), 1);
    return ok(undefined);
  }

  private adopt<N extends SupervisedNode>(name: string, make: () => N, supervisor: boolean): Result<N> {
    if (typeof name !== 'string' || !isSegment(name)) return err(ActorBadName(`actor name ${JSON.stringify(String(name)).slice(0, 140)} is not a plain segment`));
    if (this.status !== RUNNING) return err(ActorStopped(`${this.path} is not running`));
    if (this.byName.has(name)) return err(ActorNameTaken(`${this.childPath(name)} already exists`, { path: this.childPath(name) }));
    let node: N;
    try {
      node = make();
    } catch (caught) {
      return err(toErrorValue(caught));
    }
    this.nodes.push(node);
    this.byName.set(name, node);
    this.rt.emit({ type: 'spawned', path: node.path, at: this.rt.clock.now(), supervisor });
    return ok(node);
  }

  /** A supervisor takes no messages of its own. */
  receive(env: Envelope): this {
    this.rt.deadLetter(env, this.path, BadMessage('a supervisor takes no messages'));
    return this;
  }

  crashed(): Promise<boolean> {
    return RESUME;
  }

  childFailed(child: SupervisedNode, reason: ErrorValue): Promise<boolean> {
    if (this.status !== RUNNING || this.byName.get(child.name) !== child) return RESUME;
    for (const p of this.pendings) if (p.nodes.includes(child)) return p.done;
    const rt = this.rt;
    const attempt = this.budget.record(rt.clock.now());
    if (attempt === 0) {
      this.escalate(reason);
      return RESUME;
    }
    const affected = this.affected(child);
    const delay = backoffDelay(this.policy.backoff, attempt, rt.random);
    const at = rt.clock.now();
    for (const node of affected) {
      node.suspend();
      rt.emit({ type: 'restarted', path: node.path, at, reason, attempt, backoffMs: delay });
    }
    const pending = this.merge(affected);
    if (delay === 0) this.runRestart(pending);
    else pending.timer = rt.clock.setTimer(delay, () => this.runRestart(pending));
    return pending.done;
  }

  /** The children a failure restarts, in start order. */
  private affected(child: SupervisedNode): SupervisedNode[] {
    switch (this.strategy) {
      case 'one-for-one':
        return [child];
      case 'one-for-all':
        return [...this.nodes];
      case 'rest-for-one':
        return this.nodes.slice(this.nodes.indexOf(child));
      default: {
        const never: never = this.strategy;
        throw new Error(`unknown strategy ${String(never)}`);
      }
    }
  }

  /** One pending restart for `nodes` plus any pending one they overlap (restarted together, later). */
  private merge(nodes: SupervisedNode[]): PendingRestart {
    const overlapping = this.pendings.filter((p) => p.nodes.some((n) => nodes.includes(n)));
    const all = new Set(nodes);
    for (const p of overlapping) {
      p.timer?.cancel();
      for (const n of p.nodes) all.add(n);
    }
    const ordered = this.nodes.filter((n) => all.has(n));
    const pending = new PendingRestart(ordered);
    for (const p of overlapping) void pending.done.then(p.finish); // the older decisions end with this one
    this.pendings = [...this.pendings.filter((p) => !overlapping.includes(p)), pending];
    return pending;
  }

  private runRestart(pending: PendingRestart): void {
    this.pendings = this.pendings.filter((p) => p !== pending);
    pending.timer = undefined;
    for (const node of pending.nodes) {
      // A restart that fails again may spend the budget and escalate: then nothing more restarts.
      if (this.status !== RUNNING) break;
      if (this.byName.get(node.name) === node) node.restart();
    }
    pending.finish(true);
  }

  private cancelPendings(): void {
    const pendings = this.pendings;
    this.pendings = [];
    for (const p of pendings) {
      p.timer?.cancel();
      p.finish(true);
    }
  }

  private escalate(reason: ErrorValue): void {
    const rt = this.rt;
    this.cancelPendings();
    this.status = FAILED;
    this.terminateChildren('escalated');
    const event: EscalatedEvent = { type: 'escalated', path: this.path, at: rt.clock.now(), reason, fatal: this.parent === undefined };
    rt.emit(event);
    if (this.parent !== undefined) {
      const escalated = Escalated(`${this.path}: more than ${this.policy.intensity} restarts in ${this.policy.periodMs} ms`, {
        path: this.path,
        cause: reason.code,
      });
      void this.parent.childFailed(this, escalated); // a supervisor holds no nact mailbox waiting on it
    } else {
      this.onFatal?.(event);
    }
  }

  private terminateChildren(reason: string): void {
    for (let i = this.nodes.length - 1; i >= 0; i--) this.nodes[i]!.terminate(reason);
  }

  suspend(): void {
    if (this.status === STOPPED || this.status === SUSPENDED) return;
    this.status = SUSPENDED;
    this.cancelPendings();
    for (const node of this.nodes) node.suspend();
  }

  restart(): void {
    this.cancelPendings();
    this.budget.reset();
    this.status = RUNNING;
    for (const node of this.nodes) node.restart();
  }

  terminate(reason: string): void {
    if (this.status === STOPPED) return;
    this.cancelPendings();
    this.terminateChildren(reason);
    this.status = STOPPED;
    this.rt.emit({ type: 'stopped', path: this.path, at: this.rt.clock.now(), reason });
  }
}
