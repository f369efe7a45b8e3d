// A messaging endpoint over any Transport: request/reply, one-way messages and events with the reply
// address, correlation id, sequence number and deadline in the envelope (so MQTT 3.1.1 brokers
// serve), order and de-duplication per sender→receiver pair, deadlines on the injected Clock,
// retransmission of pending requests, and in-memory delivery to receivers of the same process.
// docs/mqtt-api.md describes the same rules for clients written in other languages.
import type { Clock, Timer } from './clock.js';
import { decodeEnvelope, type WireFormat } from './codec.js';
import { REPLY_TYPE, validateReplyBody, type Envelope } from './envelope.js';
import { Inbox, type Delivery, type InboxOptions, type ServeHandler } from './endpoint-inbox.js';
import { PendingRequests } from './endpoint-pending.js';
import { RecentTells } from './endpoint-recent-tells.js';
import { Router } from './endpoint-router.js';
import { newCounters, type EndpointCounters, type EndpointStats } from './endpoint-stats.js';
import { BadRequest, FabricError, Unavailable, err, ok, toErrorValue, type Result } from './errors.js';
import { newId } from './ids.js';
import type { LocalDirectory } from './local-directory.js';
import { SendSequence } from './sequencer.js';
import { topics } from './topics.js';
import type { Transport, TransportStatus } from './transport.js';

export type { Delivery, ServeHandler } from './endpoint-inbox.js';
export type { EndpointStats } from './endpoint-stats.js';

export interface EndpointOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /** The process's directory of served topics; without it everything goes through the transport. */
  readonly directory?: LocalDirectory;
  /** Deadline of an ask that names none, from now; default 30 s. */
  readonly defaultTimeoutMs?: number;
  /**
   * A request pending this long is sent again (the receiver de-duplicates); default 1 s. Tells
   * sent this long before an outage, and during it, are sent again after the reconnect.
   */
  readonly retransmitIntervalMs?: number;
  /** Encoding of requests and one-way messages (replies always use their request's); default 'cbor'. */
  readonly format?: WireFormat;
  /** Encoding of events; default 'json', so that any MQTT client can read them. */
  readonly eventFormat?: WireFormat;
  /** Bounds of the receive order per (sender incarnation, topic); see sequencer.ts. */
  readonly order?: InboxOptions['order'];
  /** Bounds of the remembered replies for repeated requests; see dedup-window.ts. */
  readonly replyWindow?: InboxOptions['replyWindow'];
  /** Hears served handlers that throw; without it their errors are rethrown as uncaught. */
  readonly onHandlerError?: (error: unknown, delivery: Delivery) => void;
  /** Where replies may go (an MQTT filter, default `cumulo/reply/+`); see InboxOptions. */
  readonly replyTopics?: string;
}

export interface SendOptions {
  /** Identity token checked by the receiver (empty: none). */
  readonly token?: string;
  /** The sending actor's address, for the receiver's information and the reply's `to`. */
  readonly from?: string;
}

export interface AskOptions extends SendOptions {
  /** Deadline from now, ms (ignored when deadline is given). */
  readonly timeoutMs?: number;
  /** Absolute deadline, ms since the epoch on the endpoint's clock. */
  readonly deadline?: number;
}

/** An event as heard by listen(). */
export interface EventDelivery {
  readonly envelope: Envelope;
  readonly topic: string;
}

export interface Endpoint {
  /** The transport's client id. */
  readonly clientId: string;
  /** 128-bit id of this endpoint's life; a restarted sender starts new sequences under a new one. */
  readonly incarnation: string;
  /** Where the replies to this endpoint's asks arrive: topics.reply(clientId). */
  readonly replyTopic: string;
  /** Serves every request and one-way message published to topics matching filter. */
  serve(filter: string, handler: ServeHandler): Promise<() => Promise<void>>;
  /** Sends a request; resolves with its reply's body or error, or TIMEOUT at the deadline. */
  ask(topic: string, to: string, type: string, body: unknown, options?: AskOptions): Promise<Result<unknown>>;
  /** Sends a one-way message; resolves when the broker (or a local receiver) has it. */
  tell(topic: string, to: string, type: string, body: unknown, options?: SendOptions): Promise<void>;
  /** Publishes an event to an event topic (always through the transport: events fan out). */
  publishEvent(topic: string, type: string, body: unknown, options?: { readonly from?: string }): Promise<void>;
  /** Hears events (or anything else) published to filter; malformed payloads are dropped. */
  listen(filter: string, handler: (event: EventDelivery) => void): Promise<() => Promise<void>>;
  stats(): EndpointStats;
  /** Settles pending asks with UNAVAILABLE and unsubscribes; the transport stays open. */
  close(): Promise<void>;
}

interface Outgoing {
  readonly topic: string;
  readonly corr: string;
  readonly envelope: Envelope;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRANSMIT_MS = 1_000;
const QOS_1 = { qos: 1 } as const;
/**
 * After a reconnect, recent tells are sent again at these fractions of the retransmit interval:
 * at once, then a few times more for receivers that re-subscribe later than the sender (whatever
 * is published before they do goes nowhere). All within a receiver's gap timeout (1 s), so the
 * resent tells fill the gap before the later ones are handed on without them.
 */
const TELL_RESEND_ROUNDS = [0, 0.25, 0.5, 0.9] as const;

/** Creates an endpoint and waits until its reply topic is subscribed. */
export async function createEndpoint(options: EndpointOptions): Promise<Endpoint> {
  const endpoint = new MessagingEndpoint(options);
  await endpoint.start();
  return endpoint;
}

class MessagingEndpoint implements Endpoint {
  readonly clientId: string;
  readonly incarnation = newId();
  readonly replyTopic: string;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly format: WireFormat;
  private readonly defaultTimeoutMs: number;
  private readonly retransmitIntervalMs: number;
  private readonly counters: EndpointCounters = newCounters();
  private readonly sequence = new SendSequence();
  /**
   * Events count per incarnation over all topics, not per topic: there is an event topic per
   * resource, and a counter per topic would grow without bound.
   */
  private eventSeq = 0;
  private readonly pending: PendingRequests<Outgoing>;
  private readonly router: Router;
  private readonly inbox: Inbox;
  /** Subscriptions to undo on close, with their directory entries. */
  private readonly subscriptions = new Map<string, () => void>();
  private retransmitTimer: Timer | undefined;
  /** Tells sent through the transport lately, and the rounds that send them again after a reconnect. */
  private readonly recentTells: RecentTells;
  private tellResendTimer: Timer | undefined;
  /** Tells sent at or after this time are resent by the rounds under way. */
  private tellResendFrom: number | undefined;
  private unlistenStatus: (() => void) | undefined;
  /** When the transport last went down; undefined while connected. */
  private disconnectedAt: number | undefined;
  private closed = false;
  /** The transport said 'closed': sending cannot succeed any more, so nothing waits for a resend. */
  private transportClosed = false;

  constructor(private readonly options: EndpointOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.clientId = options.transport.clientId;
    this.replyTopic = topics.reply(this.clientId);
    this.format = options.format ?? 'cbor';
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retransmitIntervalMs = options.retransmitIntervalMs ?? DEFAULT_RETRANSMIT_MS;
    this.pending = new PendingRequests(this.clock);
    this.recentTells = new RecentTells(this.retransmitIntervalMs);
    this.router = new Router(this.transport, options.directory, this.counters);
    this.inbox = new Inbox({
      clock: this.clock,
      router: this.router,
      counters: this.counters,
      incarnation: this.incarnation,
      clientId: this.clientId,
      ...(options.order ? { order: options.order } : {}),
      ...(options.replyWindow ? { replyWindow: options.replyWindow } : {}),
      ...(options.replyTopics ? { replyTopics: options.replyTopics } : {}),
      ...(options.onHandlerError ? { onHandlerError: options.onHandlerError } : {}),
    });
  }

  async start(): Promise<void> {
    await this.subscribe(
      this.replyTopic,
      (_topic, payload) => this.replyBytes(payload),
      (envelope) => this.reply(envelope),
    );
    this.unlistenStatus = this.transport.onStatus((status) => this.statusChanged(status));
  }

  serve(filter: string, handler: ServeHandler): Promise<() => Promise<void>> {
    return this.subscribe(
      filter,
      (topic, payload) => this.inbox.fromTransport(topic, payload, handler),
      (envelope, topic) => this.inbox.fromLocal(envelope, topic, handler),
    );
  }

  ask(topic: string, to: string, type: string, body: unknown, options: AskOptions = {}): Promise<Result<unknown>> {
    if (this.closed || this.transportClosed) return Promise.resolve(err(Unavailable(`endpoint ${this.clientId} is closed`)));
    const deadline = options.deadline ?? this.clock.now() + (options.timeoutMs ?? this.defaultTimeoutMs);
    const corr = newId();
    const seq = this.sequence.next(topic);
    const envelope: Envelope = {
      v: 1,
      type,
      to,
      from: options.from ?? this.clientId,
      replyTo: this.replyTopic,
      corr,
      inc: this.incarnation,
      seq,
      deadline,
      token: options.token ?? null,
      body,
    };
    const sent = this.router.send(topic, envelope, this.format);
    if (!sent.ok) {
      // Refused before it left: the seq goes back, so the receiver sees no gap.
      this.sequence.takeBack(topic, seq);
      return Promise.resolve(err(sent.error));
    }
    const outgoing: Outgoing = { topic, corr, envelope };
    const answer = this.pending.add(corr, outgoing, deadline);
    this.counters.asked++;
    this.watch(outgoing, sent.value);
    this.retransmitTimer ??= this.clock.setTimer(this.retransmitIntervalMs, () => this.retransmitDue());
    return answer;
  }

  async tell(topic: string, to: string, type: string, body: unknown, options: SendOptions = {}): Promise<void> {
    if (this.closed) throw new FabricError(Unavailable(`endpoint ${this.clientId} is closed`));
    const envelope: Envelope = {
      v: 1,
      type,
      to,
      from: options.from ?? this.clientId,
      replyTo: null,
      corr: null,
      inc: this.incarnation,
      seq: this.sequence.next(topic),
      deadline: null,
      token: options.token ?? null,
      body,
    };
    const routed = this.router.route(topic, envelope, this.format);
    if (!('done' in routed)) {
      this.sequence.takeBack(topic, envelope.seq);
      throw new FabricError(routed);
    }
    this.counters.told++;
    if (routed.bytes !== undefined) this.recentTells.add(topic, routed.bytes, this.clock.now());
    await routed.done;
  }

  async publishEvent(topic: string, type: string, body: unknown, options: { readonly from?: string } = {}): Promise<void> {
    if (this.closed) throw new FabricError(Unavailable(`endpoint ${this.clientId} is closed`));
    const envelope: Envelope = {
      v: 1,
      type,
      // An event is addressed to whoever listens on its topic.
      to: topic,
      from: options.from ?? this.clientId,
      replyTo: null,
      corr: null,
      inc: this.incarnation,
      seq: ++this.eventSeq,
      deadline: null,
      token: null,
      body,
    };
    const sent = this.router.publish(topic, envelope, this.options.eventFormat ?? 'json');
    if (!sent.ok) {
      if (this.eventSeq === envelope.seq) this.eventSeq--;
      throw new FabricError(sent.error);
    }
    this.counters.events++;
    await sent.value;
  }

  listen(filter: string, handler: (event: EventDelivery) => void): Promise<() => Promise<void>> {
    return this.subscribe(filter, (topic, payload) => {
      const decoded = decodeEnvelope(payload);
      if (decoded.ok) handler({ envelope: decoded.value.envelope, topic });
      else this.counters.malformedDropped++;
    });
  }

  stats(): EndpointStats {
    return { ...this.counters, timeouts: this.pending.timedOut, pending: this.pending.size, order: this.inbox.orderStats() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retransmitTimer?.cancel();
    this.retransmitTimer = undefined;
    this.tellResendTimer?.cancel();
    this.tellResendTimer = undefined;
    this.unlistenStatus?.();
    this.pending.failAll(Unavailable(`endpoint ${this.clientId} closed`));
    this.inbox.close();
    const filters = [...this.subscriptions.keys()];
    for (const unregister of this.subscriptions.values()) unregister();
    this.subscriptions.clear();
    // The transport may be closed already (it belongs to the caller): nothing left to undo then.
    await Promise.allSettled(filters.map((f) => this.transport.unsubscribe(f)));
  }

  /** Subscribes a filter on the transport, and in the directory when a local inbox is given. */
  private async subscribe(
    filter: string,
    remote: (topic: string, payload: Uint8Array) => void,
    local?: (envelope: Envelope, topic: string) => void,
  ): Promise<() => Promise<void>> {
    if (this.closed) throw new FabricError(Unavailable(`endpoint ${this.clientId} is closed`));
    if (this.subscriptions.has(filter)) throw new FabricError(BadRequest(`filter ${filter} is already subscribed by this endpoint`));
    const unregister = local && this.options.directory ? this.options.directory.register(filter, local) : () => undefined;
    this.subscriptions.set(filter, unregister);
    try {
      await this.transport.subscribe(filter, remote, { qos: 1 });
    } catch (e) {
      unregister();
      this.subscriptions.delete(filter);
      throw e;
    }
    return async () => {
      const undo = this.subscriptions.get(filter);
      if (undo !== unregister) return;
      unregister();
      this.subscriptions.delete(filter);
      await this.transport.unsubscribe(filter);
    };
  }

  /** Sends a pending request again (it was encoded once already, so it encodes again). */
  private transmit(outgoing: Outgoing): void {
    const sent = this.router.send(outgoing.topic, outgoing.envelope, this.format);
    if (sent.ok) this.watch(outgoing, sent.value);
    else this.pending.settle(outgoing.corr, err(sent.error));
  }

  /** A send that fails in a way resending cannot cure settles its request at once. */
  private watch(outgoing: Outgoing, sending: Promise<void>): void {
    sending.catch((e: unknown) => {
      const error = toErrorValue(e);
      if (!error.retryable || this.closed || this.transportClosed) this.pending.settle(outgoing.corr, err(error));
    });
  }

  private retransmitDue(): void {
    this.retransmitTimer = undefined;
    if (this.closed) return;
    this.resend(this.pending.sentBefore(this.clock.now() - this.retransmitIntervalMs));
    if (this.pending.size > 0) this.retransmitTimer = this.clock.setTimer(this.retransmitIntervalMs, () => this.retransmitDue());
  }

  private resend(requests: ReturnType<PendingRequests<Outgoing>['sentBefore']>): void {
    for (const request of requests) {
      this.pending.markResent(request);
      this.counters.retransmits++;
      this.transmit(request.message);
    }
  }

  /** After a reconnect every request sent before the outage is sent again: the broker may have lost it. */
  private statusChanged(status: TransportStatus): void {
    switch (status) {
      case 'disconnected':
        this.disconnectedAt ??= this.clock.now();
        this.recentTells.hold();
        // A resend round would only be held by the transport: the reconnect starts them anew.
        this.tellResendTimer?.cancel();
        this.tellResendTimer = undefined;
        return;
      case 'connected': {
        if (this.disconnectedAt === undefined) return;
        // Requests issued while down are held by the transport and go out now; the ones sent
        // before may have died with the broker or the connection.
        this.resend(this.pending.sentBefore(this.disconnectedAt));
        const from = this.disconnectedAt - this.retransmitIntervalMs;
        this.tellResendFrom = Math.min(this.tellResendFrom ?? from, from);
        this.disconnectedAt = undefined;
        this.resendTells(0);
        return;
      }
      case 'closed':
        this.transportClosed = true;
        this.pending.failAll(Unavailable(`transport ${this.clientId} closed`));
        return;
      default: {
        const never: never = status;
        return never;
      }
    }
  }

  /** One round of resending recent tells after a reconnect; schedules the next (see TELL_RESEND_ROUNDS). */
  private resendTells(round: number): void {
    this.tellResendTimer = undefined;
    const from = this.tellResendFrom;
    if (this.closed || from === undefined) return;
    for (const tell of this.recentTells.since(from)) {
      this.counters.tellsResent++;
      // A tell cannot fail after it was first sent: a resend that does not get through is counted.
      this.transport.publish(tell.topic, tell.bytes, QOS_1).catch(this.resendFailed);
    }
    const next = TELL_RESEND_ROUNDS[round + 1];
    if (next === undefined) {
      this.tellResendFrom = undefined;
      this.recentTells.release(this.clock.now());
      return;
    }
    const wait = (next - TELL_RESEND_ROUNDS[round]!) * this.retransmitIntervalMs;
    this.tellResendTimer = this.clock.setTimer(wait, () => this.resendTells(round + 1));
  }

  private readonly resendFailed = (): void => {
    this.counters.sendFailures++;
  };

  private replyBytes(payload: Uint8Array): void {
    const decoded = decodeEnvelope(payload);
    if (decoded.ok) this.reply(decoded.value.envelope);
    else this.counters.malformedDropped++;
  }

  private reply(envelope: Envelope): void {
    if (envelope.type !== REPLY_TYPE || envelope.corr === null) {
      this.counters.malformedDropped++;
      return;
    }
    if (!this.pending.settle(envelope.corr, replyResult(envelope.body))) this.counters.unmatchedReplies++;
  }
}

/** The asker's view of a reply: ok(body) or err(error); a malformed reply body is BAD_ENVELOPE. */
function replyResult(body: unknown): Result<unknown> {
  const reply = validateReplyBody(body);
  if (!reply.ok) return reply;
  return reply.value.type === 'ok' ? ok(reply.value.body) : err(reply.value.error);
}
