// The serving side of an endpoint: every message for a served topic passes here, whether it came
// through the broker or in memory. Malformed payloads are answered or counted, never handed on;
// sequenced messages are put in order per (sender incarnation, topic); a repeated request gets the
// reply it already got; a request past its deadline is answered TIMEOUT without being handled.
import type { Clock } from './clock.js';
import { decodeEnvelope, salvageReplyAddress, type WireFormat } from './codec.js';
import { REPLY_TYPE, replyError, replyOk, type Envelope, type ReplyBody } from './envelope.js';
import type { EndpointCounters } from './endpoint-stats.js';
import type { Router } from './endpoint-router.js';
import { ReplyWindow, type ReplyWindowOptions } from './dedup-window.js';
import { FabricError, Internal, Timeout, toErrorValue, type ErrorValue } from './errors.js';
import { ReceiveOrder, type ReceiveOrderStats } from './sequencer.js';
import { filterMatcher } from './topic-matcher.js';
import { ROOT } from './topics.js';

const DEFAULT_REPLY_TOPICS = `${ROOT}/reply/+`;

/** One message handed to a served handler. */
export interface Delivery {
  readonly envelope: Envelope;
  /** The encoding it came in, and that its reply goes out in ('cbor' when handed over in memory). */
  readonly format: WireFormat;
  /** The concrete topic it was published to (a served filter may have wildcards). */
  readonly topic: string;
  /** 'local' when handed over in memory by the LocalDirectory, 'transport' through the broker. */
  readonly via: 'local' | 'transport';
  /** Whether the sender waits for a reply; reply() and fail() do nothing otherwise. */
  readonly expectsReply: boolean;
  /** Answers {type:'ok', body}. Only the first reply or fail of a delivery counts. */
  reply(body: unknown): Promise<void>;
  /** Answers {type:'error', error}. */
  fail(error: ErrorValue): Promise<void>;
}

/** Handles the deliveries of a served filter; a throw or rejection is answered INTERNAL (or a thrown FabricError's value). */
export type ServeHandler = (delivery: Delivery) => void | Promise<void>;

export interface InboxOptions {
  readonly clock: Clock;
  readonly router: Router;
  readonly counters: EndpointCounters;
  /** The serving endpoint: replies carry its incarnation, and its client id when no address is known. */
  readonly incarnation: string;
  readonly clientId: string;
  readonly order?: { readonly maxPairs?: number; readonly maxEarly?: number; readonly gapTimeoutMs?: number };
  readonly replyWindow?: ReplyWindowOptions;
  /** Hears handler failures (the supervisor's business); without it they are rethrown as uncaught. */
  readonly onHandlerError?: (error: unknown, delivery: Delivery) => void;
  /**
   * The topics replies may be published to (an MQTT filter; default `cumulo/reply/+`). A request
   * naming any other reply address is not answered: a node publishing where its grants do not
   * reach would be disconnected by the broker, so a forged `replyTo` could silence it.
   */
  readonly replyTopics?: string;
}

interface Arrival {
  readonly envelope: Envelope;
  readonly format: WireFormat;
  readonly topic: string;
  readonly via: 'local' | 'transport';
  readonly handler: ServeHandler;
}

/**
 * A reply as the window remembers it for repeats of its request: the bytes that were published
 * when it went through the transport (one flat buffer rather than a graph of objects for the
 * garbage collector to copy and trace for as long as it is remembered), else its body.
 */
type KeptReply = ReplyBody | Uint8Array;

/** Where one reply goes: the asker's reply topic and correlation id, in the request's encoding. */
interface ReplyTarget {
  readonly replyTo: string;
  /** null when the asker sent none (a foreign client's fire-and-see request). */
  readonly corr: string | null;
  readonly to: string;
  readonly from: string;
  readonly format: WireFormat;
}

export class Inbox {
  private readonly order: ReceiveOrder<Arrival>;
  private readonly window: ReplyWindow<KeptReply, ReplyTarget>;
  private readonly counters: EndpointCounters;
  /** Counts a reply that could not be sent (one function for all of them). */
  private readonly sendFailed = (): void => {
    this.counters.sendFailures++;
  };
  /** Whether a topic is one replies may go to (see InboxOptions.replyTopics). */
  private readonly mayReplyTo: (topic: string) => boolean;
  private closed = false;

  constructor(private readonly options: InboxOptions) {
    this.counters = options.counters;
    this.mayReplyTo = filterMatcher(options.replyTopics ?? DEFAULT_REPLY_TOPICS);
    this.window = new ReplyWindow(options.replyWindow);
    this.order = new ReceiveOrder<Arrival>({
      clock: options.clock,
      ...options.order,
      deliver: (arrival) => this.dispatch(arrival),
      duplicate: (arrival) => this.repeated(arrival),
    });
  }

  /** Bytes from the broker on a served topic. */
  fromTransport(topic: string, payload: Uint8Array, handler: ServeHandler): void {
    if (this.closed) return;
    const decoded = decodeEnvelope(payload);
    if (!decoded.ok) return this.malformed(payload, decoded.error);
    const { envelope, format } = decoded.value;
    this.accept({ envelope, format, topic, via: 'transport', handler });
  }

  /** An envelope handed over in memory by a sender of this process. */
  fromLocal(envelope: Envelope, topic: string, handler: ServeHandler): void {
    this.accept({ envelope, format: 'cbor', topic, via: 'local', handler });
  }

  orderStats(): ReceiveOrderStats {
    return this.order.stats();
  }

  /** Stops taking messages (some may still be on their way from the transport or a microtask). */
  close(): void {
    this.closed = true;
    this.order.close();
  }

  private accept(arrival: Arrival): void {
    if (this.closed) return;
    const { envelope } = arrival;
    if (envelope.type === REPLY_TYPE) {
      // A reply published to a served topic is misaddressed; no handler expects one.
      this.counters.malformedDropped++;
      return;
    }
    // Through the broker, a sender's messages to a topic come in order unless resent, so a first
    // message above seq 1 means this receiver joined late; in memory, it may have overtaken the
    // stream's start, still on its way through the broker.
    if (isSequenced(envelope)) this.order.accept(envelope.inc, arrival.topic, envelope.seq, arrival, arrival.via === 'transport');
    else this.dispatch(arrival);
  }

  /** Hands an arrival to its handler, in order, once; or answers TIMEOUT if it came too late. */
  private dispatch(arrival: Arrival): void {
    const { envelope } = arrival;
    const target = replyTarget(arrival);
    // A request the window already knows (its pair was forgotten by the order, not by the window)
    // is a repeat all the same.
    if (target && isSequenced(envelope) && !this.window.begin(envelope.inc, arrival.topic, envelope.seq)) return this.repeated(arrival);
    if (envelope.deadline !== null && this.options.clock.now() >= envelope.deadline) {
      this.counters.expired++;
      if (target) void this.answer(arrival, target, replyError(Timeout('the deadline passed before the request was handled', { deadline: envelope.deadline })));
      return;
    }
    const delivery = new InboxDelivery(this, arrival, target);
    this.counters.handled++;
    try {
      const result = arrival.handler(delivery);
      if (result instanceof Promise) result.catch((e: unknown) => this.handlerFailed(e, delivery));
    } catch (e) {
      this.handlerFailed(e, delivery);
    }
  }

  private handlerFailed(error: unknown, delivery: InboxDelivery): void {
    this.counters.handlerErrors++;
    // A thrown FabricError carries the value its thrower meant; anything else is INTERNAL.
    void delivery.fail(error instanceof FabricError ? error.value : Internal(`handler failed: ${toErrorValue(error).message}`));
    if (this.options.onHandlerError) this.options.onHandlerError(error, delivery);
    else
      queueMicrotask(() => {
        throw error;
      });
  }

  /** A sequenced message seen again: not handled twice; a request gets its first reply again. */
  private repeated(arrival: Arrival): void {
    const target = replyTarget(arrival);
    if (!target) {
      this.counters.duplicatesDropped++;
      return;
    }
    const { envelope } = arrival;
    const seen = this.window.repeat(envelope.inc, arrival.topic, envelope.seq, target);
    switch (seen.kind) {
      case 'answered':
        this.counters.duplicatesAnswered++;
        this.send(target, keptBody(seen.reply));
        return;
      case 'waiting':
        // Answered by complete() when the handler replies.
        this.counters.duplicatesAnswered++;
        return;
      case 'forgotten':
        this.counters.duplicatesDropped++;
        return;
      default: {
        const never: never = seen;
        return never;
      }
    }
  }

  /** Sends the reply of a request, and again to every repeat of it that waited meanwhile. */
  answer(arrival: Arrival, target: ReplyTarget, body: ReplyBody): Promise<void> {
    const { envelope } = arrival;
    const sent = this.sendKeeping(target, body);
    if (isSequenced(envelope)) {
      for (const waiter of this.window.complete(envelope.inc, arrival.topic, envelope.seq, sent.kept)) this.send(waiter, body);
    }
    return sent.done;
  }

  /** An undecodable payload: answered with the decode error if a reply address can be salvaged. */
  private malformed(payload: Uint8Array, error: ErrorValue): void {
    const salvaged = salvageReplyAddress(payload);
    if (!salvaged || !this.mayReplyTo(salvaged.replyTo)) {
      this.counters.malformedDropped++;
      return;
    }
    this.counters.malformedAnswered++;
    const self = this.options.clientId;
    this.send({ replyTo: salvaged.replyTo, corr: salvaged.corr, to: salvaged.replyTo, from: self, format: salvaged.format }, replyError(error));
  }

  private send(target: ReplyTarget, body: ReplyBody): void {
    void this.sendKeeping(target, body).done;
  }

  /** Sends a reply; `done` never rejects: a reply that cannot be sent is counted (the asker will time out or resend). */
  private sendKeeping(target: ReplyTarget, body: ReplyBody): { done: Promise<void>; kept: KeptReply } {
    const router = this.options.router;
    if (!this.mayReplyTo(target.replyTo)) {
      this.counters.sendFailures++;
      return { done: Promise.resolve(), kept: body };
    }
    let sent = body;
    let routed = router.route(target.replyTo, this.replyEnvelope(target, sent), target.format);
    if (!('done' in routed)) {
      // The handler's reply cannot travel (not plain data, too large): tell the asker why rather
      // than let it wait for its deadline.
      sent = replyError(Internal(`the reply could not be encoded: ${routed.message}`, { cause: routed.code }));
      routed = router.route(target.replyTo, this.replyEnvelope(target, sent), target.format);
    }
    if (!('done' in routed)) {
      this.counters.sendFailures++;
      return { done: Promise.resolve(), kept: sent };
    }
    return { done: routed.done.catch(this.sendFailed), kept: routed.bytes ?? sent };
  }

  private replyEnvelope(target: ReplyTarget, body: ReplyBody): Envelope {
    return {
      v: 1,
      type: REPLY_TYPE,
      to: target.to,
      from: target.from,
      replyTo: null,
      corr: target.corr,
      inc: this.options.incarnation,
      seq: 0,
      deadline: null,
      token: null,
      body,
    };
  }
}

/** A delivery's answers go once, through the inbox that made it (a class: no closures per message). */
class InboxDelivery implements Delivery {
  private answered = false;

  constructor(
    private readonly inbox: Inbox,
    private readonly arrival: Arrival,
    private readonly target: ReplyTarget | undefined,
  ) {}

  get envelope(): Envelope {
    return this.arrival.envelope;
  }
  get format(): WireFormat {
    return this.arrival.format;
  }
  get topic(): string {
    return this.arrival.topic;
  }
  get via(): 'local' | 'transport' {
    return this.arrival.via;
  }
  get expectsReply(): boolean {
    return this.target !== undefined;
  }

  reply(body: unknown): Promise<void> {
    return this.respond(replyOk(body));
  }

  fail(error: ErrorValue): Promise<void> {
    return this.respond(replyError(error));
  }

  private respond(body: ReplyBody): Promise<void> {
    if (this.answered || !this.target) return Promise.resolve();
    this.answered = true;
    return this.inbox.answer(this.arrival, this.target, body);
  }
}

/** The body of a remembered reply: the bytes that were sent are decoded again (repeats are rare). */
function keptBody(kept: KeptReply): ReplyBody {
  if (!(kept instanceof Uint8Array)) return kept;
  const decoded = decodeEnvelope(kept);
  if (decoded.ok) return decoded.value.envelope.body as ReplyBody;
  return replyError(Internal(`the remembered reply could not be read: ${decoded.error.message}`));
}

/** Sequenced messages carry a seq ≥ 1 (counted per sender incarnation and topic); 0 means unsequenced. */
export function isSequenced(envelope: Envelope): boolean {
  return envelope.seq > 0;
}

function replyTarget(arrival: Arrival): ReplyTarget | undefined {
  const { envelope } = arrival;
  if (envelope.replyTo === null) return undefined;
  return { replyTo: envelope.replyTo, corr: envelope.corr, to: envelope.from, from: envelope.to, format: arrival.format };
}
