// A plain spawned actor: in-memory state from init(), one nact mailbox, one handler call per
// message. It is its own handler context (no per-message allocation) and its own supervised
// node: suspend holds its mailbox behind a gate, restart re-runs init(), terminate drains.
import { err, toErrorValue } from '../transports/errors.js';
import type { Result } from '../transports/errors.js';
import type { Clock } from '../transports/clock.js';
import { Envelope } from './envelope.js';
import { ActorStopped } from './errors.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';
import { accepts, badMessage, isThenable, RESUME } from './runtime.js';
import type { Runtime } from './runtime.js';
import type { ParentSupervisor, SupervisedNode } from './supervised-node.js';
import type { ActorContext, ActorDefinition, ActorRef, AskOptions, KindDefinition, Message } from './types.js';

const RUNNING = 0;
const SUSPENDED = 1;
const STOPPED = 2;

export class ActorCell<S, M extends Message, R> implements ActorContext<S, M>, SupervisedNode, MailboxOwner {
  readonly name: string;
  readonly path: string;
  readonly self: ActorRef<M, R>;
  state: S;
  private status = RUNNING;
  /** Envelopes handed to nact and not yet taken by receive(). */
  private queued = 0;
  private mailbox: NactMailbox;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private readonly types: ReadonlySet<string>;

  /** Throws when def.init() throws or nact refuses the name; the caller turns it into a value. */
  constructor(
    private readonly rt: Runtime,
    private readonly parent: ParentSupervisor,
    private readonly def: ActorDefinition<S, M, R>,
  ) {
    this.name = def.name;
    this.path = parent.childPath(def.name);
    this.types = new Set(Object.keys(def.messageTypes));
    this.state = def.init();
    this.self = new LocalRef<M, R>(rt, this);
    this.mailbox = rt.engine.spawn(parent.mailbox, def.name, this);
  }

  get clock(): Clock {
    return this.rt.clock;
  }

  get stopped(): boolean {
    return this.status === STOPPED;
  }

  ref<S2, M2 extends Message, R2>(kind: KindDefinition<S2, M2, R2>, id: string): ActorRef<M2, R2>;
  ref(kind: string, id: string): ActorRef<Message>;
  ref(kind: string | KindDefinition<unknown, Message, unknown>, id: string): ActorRef<Message> {
    return typeof kind === 'string' ? this.rt.directory.ref(kind, id) : this.rt.directory.ref(kind, id);
  }

  setState(next: S): void {
    this.state = next;
    if (this.rt.inspector.active) this.rt.emit({ type: 'state-changed', path: this.path, at: this.rt.clock.now() });
  }

  /** Delivery from a ref: straight into nact's mailbox, or answered at once when stopped. */
  post(env: Envelope): void {
    if (this.status === STOPPED) {
      this.rt.deadLetter(env, this.path, ActorStopped(`${this.path} is stopped`));
      return;
    }
    env.target = this;
    this.queued++;
    this.rt.engine.post(this.mailbox, env);
  }

  receive(env: Envelope): this | Promise<this> {
    this.queued--;
    return this.status === RUNNING ? this.process(env) : this.held(env);
  }

  private held(env: Envelope): this | Promise<this> {
    if (this.status === SUSPENDED) return this.gate!.then(() => (this.status === RUNNING ? this.process(env) : this.held(env)));
    this.rt.deadLetter(env, this.path, ActorStopped(`${this.path} is stopped`));
    if (this.queued === 0) this.mailbox.stop();
    return this;
  }

  private process(env: Envelope): this | Promise<this> {
    const rt = this.rt;
    if (env.expired) {
      rt.deadLetter(env, this.path, env.timeoutError());
      return this;
    }
    const msg = env.msg;
    if (!accepts(this.types, msg)) {
      rt.deadLetter(env, this.path, badMessage(msg));
      return this;
    }
    if (rt.inspector.active) rt.emit({ type: 'received', path: this.path, at: rt.clock.now(), messageType: (msg as M).type });
    const result = this.def.handle(this, msg as M);
    if (isThenable(result)) {
      return result.then((value) => {
        rt.reply(env, value);
        return this;
      });
    }
    rt.reply(env, result);
    return this;
  }

  /** nact's crash callback: the asker gets the error, the supervisor decides. */
  crashed(env: Envelope | undefined, error: unknown): Promise<boolean> {
    const value = toErrorValue(error);
    const rt = this.rt;
    if (env !== undefined) rt.settle(env, err(value));
    rt.emit({ type: 'failed', path: this.path, at: rt.clock.now(), error: value, messageType: env?.messageType });
    if (this.status === STOPPED) return RESUME;
    return this.parent.childFailed(this, value);
  }

  suspend(): void {
    if (this.status !== RUNNING) return;
    this.status = SUSPENDED;
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  restart(): void {
    let fresh: S;
    try {
      fresh = this.def.init();
    } catch (caught) {
      // A failing init() is one more failure of this child: the supervisor counts it.
      const error = toErrorValue(caught);
      this.rt.emit({ type: 'failed', path: this.path, at: this.rt.clock.now(), error, messageType: undefined });
      this.suspend();
      void this.parent.childFailed(this, error); // a new decision; nothing waits on it here
      return;
    }
    this.state = fresh;
    if (this.status === STOPPED && this.mailbox.stopped) this.mailbox = this.rt.engine.spawn(this.parent.mailbox, this.name, this);
    this.status = RUNNING;
    this.release();
  }

  terminate(reason: string): void {
    if (this.status === STOPPED) return;
    this.status = STOPPED;
    this.release();
    if (this.queued === 0) this.mailbox.stop();
    this.rt.emit({ type: 'stopped', path: this.path, at: this.rt.clock.now(), reason });
  }

  private release(): void {
    const open = this.openGate;
    this.gate = undefined;
    this.openGate = undefined;
    open?.();
  }
}

/** Typed reference to a spawned actor; it stays valid across restarts. */
export class LocalRef<M extends Message, R> implements ActorRef<M, R> {
  constructor(
    private readonly rt: Runtime,
    private readonly cell: { readonly path: string; post(env: Envelope): void },
  ) {}

  get path(): string {
    return this.cell.path;
  }

  tell(msg: M): void {
    this.cell.post(this.rt.tellEnvelope(msg));
  }

  ask(msg: M, options?: AskOptions): Promise<Result<R>> {
    const env = this.rt.askEnvelope(msg, options);
    if (!(env instanceof Envelope)) return Promise.resolve(err(env));
    const reply = this.rt.awaitReply(env);
    this.cell.post(env);
    return reply as Promise<Result<R>>;
  }
}
