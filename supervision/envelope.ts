// One message on its way through a mailbox: the body, where its reply goes and by when, and
// the sender's de-duplication mark. It is the only per-message allocation besides the ask's
// promise; the deadline queue indexes it in place (heapIndex) instead of keeping a Map.
import { Timeout } from '../transports/errors.js';
import type { ErrorValue, Result } from '../transports/errors.js';

/** What the envelope asks the actor to do. */
export const OP_USER = 0;
export const OP_ACTIVATE = 1;
export const OP_TIMER = 2;
export const OP_REMINDER = 3;
/** A write of the activation failed while it was idle: crash (and restart) before anything else. */
export const OP_CRASH = 4;

export type Resolver = (result: Result<unknown>) => void;

/** The receiving side of an envelope: the cell that processes it (set when posted). */
export interface EnvelopeTarget {
  crashed(env: Envelope | undefined, error: unknown): Promise<boolean>;
}

export class Envelope {
  msg: unknown;
  op: number;
  /** Timer or reminder name for OP_TIMER / OP_REMINDER. */
  name: string;
  /** Pending reply; undefined for tells and once settled. */
  resolve: Resolver | undefined;
  /** Clock time after which the ask answers TIMEOUT (Infinity: none). */
  deadline: number;
  /** Position in the DeadlineQueue heap, -1 when not queued. */
  heapIndex: number;
  /** Set when the deadline passed before the actor took it: it is then skipped, not applied. */
  expired: boolean;
  inc: string | undefined;
  seq: number;
  target: EnvelopeTarget | undefined;

  constructor(msg: unknown, op: number, name: string) {
    this.msg = msg;
    this.op = op;
    this.name = name;
    this.resolve = undefined;
    this.deadline = Infinity;
    this.heapIndex = -1;
    this.expired = false;
    this.inc = undefined;
    this.seq = 0;
    this.target = undefined;
  }

  timeoutError(): ErrorValue {
    return Timeout(`no reply before the deadline (${this.deadline})`, { deadline: this.deadline });
  }

  /** The `type` of a user message, for events (never the body: it may carry secrets). */
  get messageType(): string {
    const m = this.msg as { type?: unknown } | null;
    return typeof m === 'object' && m !== null && typeof m.type === 'string' ? m.type : '(malformed)';
  }
}
