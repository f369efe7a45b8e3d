// What every cell and supervisor of one system shares: the Clock, the inspection stream, the
// deadline queue of pending asks, the nact engine and the jitter source; plus the helpers that
// turn an ask into an envelope and settle its reply exactly once.
import { Refusal } from './refusal.js';
import type { Clock } from '../transports/clock.js';
import { err, ok, Timeout } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';
import { DeadlineQueue } from './deadlines.js';
import { Envelope, OP_USER } from './envelope.js';
import { BadMessage } from './errors.js';
import type { InspectionEvent } from './inspection.js';
import { Inspector } from './inspection.js';
import type { NactEngine } from './nact-engine.js';
import type { ActorRef, AskOptions, KindDefinition, Message, RestartPolicy } from './types.js';

export interface Directory {
  ref<S, M extends Message, R>(kind: KindDefinition<S, M, R>, id: string): ActorRef<M, R>;
  ref(kind: string, id: string): ActorRef<Message>;
}

export class Runtime {
  readonly inspector = new Inspector();
  readonly deadlines: DeadlineQueue;
  stopped = false;

  constructor(
    readonly clock: Clock,
    readonly engine: NactEngine,
    readonly random: () => number,
    readonly askTimeoutMs: number,
    readonly restartPolicy: RestartPolicy,
    readonly directory: Directory,
  ) {
    this.deadlines = new DeadlineQueue(clock);
  }

  emit(event: InspectionEvent): void {
    this.inspector.emit(event);
  }

  tellEnvelope(msg: unknown): Envelope {
    return new Envelope(msg, OP_USER, '');
  }

  /**
   * Builds the envelope of an ask with its deadline and sender mark. Returns an error instead
   * when the options are malformed or the deadline has already passed (nothing is delivered).
   */
  askEnvelope(msg: unknown, options: AskOptions | undefined): Envelope | ErrorValue {
    const env = new Envelope(msg, OP_USER, '');
    if (options === undefined) {
      env.deadline = this.clock.now() + this.askTimeoutMs;
      return env;
    }
    const { deadline, timeoutMs, inc, seq } = options;
    const now = this.clock.now();
    env.deadline = deadline ?? now + (timeoutMs ?? this.askTimeoutMs);
    if (Number.isNaN(env.deadline)) return BadMessage('the deadline must be a number');
    if (env.deadline <= now) return Timeout(`the deadline (${env.deadline}) passed before delivery`, { deadline: env.deadline });
    if (inc !== undefined || seq !== undefined) {
      if (typeof inc !== 'string' || inc.length === 0 || !Number.isSafeInteger(seq) || (seq as number) < 0) {
        return BadMessage('a sender mark needs a non-empty `inc` and a non-negative integer `seq`');
      }
      env.inc = inc;
      env.seq = seq as number;
    }
    return env;
  }

  /** The promise of an ask's reply; the envelope joins the deadline queue. */
  awaitReply(env: Envelope): Promise<Result<unknown>> {
    const promise = new Promise<Result<unknown>>((resolve) => {
      env.resolve = resolve;
    });
    this.deadlines.add(env);
    return promise;
  }

  /** Answers an ask once (later answers, e.g. after TIMEOUT, are dropped). */
  settle(env: Envelope, result: Result<unknown>): void {
    const resolve = env.resolve;
    if (resolve === undefined) return;
    env.resolve = undefined;
    this.deadlines.remove(env);
    resolve(result);
  }

  /** Answers an ask with a handler's return value: ok, or the error of a Refusal. */
  reply(env: Envelope, value: unknown): void {
    const resolve = env.resolve;
    if (resolve === undefined) return;
    env.resolve = undefined;
    this.deadlines.remove(env);
    resolve(value instanceof Refusal ? err(value.error) : ok(value));
  }

  /** Answers an undeliverable message with `reason` and reports it as a dead letter. */
  deadLetter(env: Envelope, path: string, reason: ErrorValue, kind?: string): void {
    this.settle(env, err(reason));
    if (this.inspector.active) {
      this.emit(
        kind === undefined
          ? { type: 'dead-letter', path, at: this.clock.now(), messageType: env.messageType, reason }
          : { type: 'dead-letter', path, kind, at: this.clock.now(), messageType: env.messageType, reason },
      );
    }
  }
}

/** A message is well formed for an actor when it is an object whose string `type` it handles. */
export function accepts(types: ReadonlySet<string>, msg: unknown): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return typeof type === 'string' && types.has(type);
}

export function badMessage(msg: unknown): ErrorValue {
  if (typeof msg !== 'object' || msg === null) return BadMessage(`a message must be an object with a string type, got ${msg === null ? 'null' : typeof msg}`);
  const type = (msg as { type?: unknown }).type;
  if (typeof type !== 'string') return BadMessage('a message must have a string `type`');
  return BadMessage(`this actor does not handle messages of type ${JSON.stringify(type.slice(0, 64))}`, { messageType: type.slice(0, 64) });
}

export function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export const RESUME: Promise<boolean> = Promise.resolve(true);
