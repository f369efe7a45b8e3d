// A typed reference to a virtual actor. It is valid whether or not the actor is active; it
// keeps the last activation it delivered to, so a busy sender skips the directory lookup.
import { err } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import { Envelope } from './envelope.js';
import type { GrainCell } from './grain-cell.js';
import type { KindRuntime } from './kind.js';
import type { Runtime } from './runtime.js';
import type { ActorRef, AskOptions, Message } from './types.js';

export class GrainRef<S, M extends Message, R> implements ActorRef<M, R> {
  private cell: GrainCell<S, M, R> | undefined;

  constructor(
    private readonly kind: KindRuntime<S, M, R>,
    private readonly id: string,
  ) {}

  get path(): string {
    return `${this.kind.name}/${this.id}`;
  }

  tell(msg: M): void {
    this.cell = this.kind.deliver(this.id, this.kind.host.rt.tellEnvelope(msg), this.cell);
  }

  ask(msg: M, options?: AskOptions): Promise<Result<R>> {
    const rt = this.kind.host.rt;
    const env = rt.askEnvelope(msg, options);
    if (!(env instanceof Envelope)) return Promise.resolve(err(env));
    const reply = rt.awaitReply(env);
    this.cell = this.kind.deliver(this.id, env, this.cell);
    return reply as Promise<Result<R>>;
  }
}

/** A reference that can never deliver (unknown kind, malformed id): every ask answers `error`. */
export class FailedRef<M extends Message, R> implements ActorRef<M, R> {
  constructor(
    private readonly rt: Runtime,
    readonly path: string,
    private readonly error: ErrorValue,
  ) {}

  tell(msg: M): void {
    this.rt.deadLetter(this.rt.tellEnvelope(msg), this.path, this.error);
  }

  ask(): Promise<Result<R>> {
    return Promise.resolve(err(this.error));
  }
}
