// The in-process transport: a broker-like bus in memory that every InProcessTransport created on
// it shares, with MQTT's semantics (wildcard filters, retained messages, per-publisher order)
// and an outage switch (fail/restore) for fault-injection tests and the simulator.
import { randomUUID } from 'node:crypto';
import { BadRequest, Conflict, FabricError, Unavailable } from './errors.js';
import { FilterIndex, isValidFilter, isValidTopic, matches } from './topic-matcher.js';
import type { MessageHandler, PublishOptions, Qos, Transport, TransportStatus } from './transport.js';

/**
 * Payloads are copied: once when published (the publisher may reuse its buffer at once) and
 * once more per extra recipient, so each handler owns its bytes, like an MQTT client does; a
 * handler that writes into its payload cannot corrupt another's. Copies are Buffers, as mqtt.js
 * hands out.
 */
function copy(payload: Uint8Array): Buffer {
  return Buffer.from(payload);
}

interface HeldPublish {
  readonly from: InProcessTransport;
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** An in-memory broker: routes every publish to the matching subscriptions of its transports. */
export class InProcessBus {
  private readonly subscriptions = new FilterIndex<Set<InProcessTransport>>();
  private readonly retained = new Map<string, Buffer>();
  private readonly transports = new Map<string, InProcessTransport>();
  /** QoS 1 publishes issued during an outage, in order; released by restore(). */
  private held: HeldPublish[] = [];
  private failed = false;

  /** Subscriptions (over all transports) whose filter matches the topic; for tests. */
  subscriberCount(topic: string): number {
    let n = 0;
    for (const [, subscribers] of this.subscriptions.match(topic)) n += subscribers.size;
    return n;
  }

  /** Simulates an outage: all transports go 'disconnected'; QoS 1 publishes wait, QoS 0 drop. */
  fail(): void {
    if (this.failed) return;
    this.failed = true;
    for (const t of this.transports.values()) t.setStatus('disconnected');
  }

  /** Ends the outage: transports reconnect, get retained messages again, held publishes flow. */
  restore(): void {
    if (!this.failed) return;
    this.failed = false;
    for (const t of this.transports.values()) t.setStatus('connected');
    for (const t of this.transports.values()) t.resendRetained();
    const held = this.held;
    this.held = [];
    for (const h of held) {
      this.route(h.topic, h.payload, h.retain);
      h.resolve();
    }
  }

  // The members below are the bus's side of the protocol with InProcessTransport; users of the
  // bus need only the constructor, subscriberCount, fail and restore.

  get isFailed(): boolean {
    return this.failed;
  }

  attach(t: InProcessTransport): void {
    if (this.transports.has(t.clientId)) throw new FabricError(Conflict(`client id ${t.clientId} is already connected to this bus`));
    this.transports.set(t.clientId, t);
  }

  detach(t: InProcessTransport): void {
    this.transports.delete(t.clientId);
    for (const [filter, subscribers] of this.subscriptions.entries()) {
      if (subscribers.delete(t) && subscribers.size === 0) this.subscriptions.delete(filter);
    }
    const mine = this.held.filter((h) => h.from === t);
    this.held = this.held.filter((h) => h.from !== t);
    for (const h of mine) h.reject(new FabricError(Unavailable(`transport ${t.clientId} closed before its publish was delivered`)));
  }

  addSubscription(filter: string, t: InProcessTransport): void {
    let subscribers = this.subscriptions.get(filter);
    if (!subscribers) {
      subscribers = new Set();
      this.subscriptions.set(filter, subscribers);
    }
    subscribers.add(t);
  }

  removeSubscription(filter: string, t: InProcessTransport): void {
    const subscribers = this.subscriptions.get(filter);
    if (subscribers?.delete(t) && subscribers.size === 0) this.subscriptions.delete(filter);
  }

  /** Retained messages whose topic matches the filter (copied for the caller). */
  *retainedFor(filter: string): IterableIterator<[string, Buffer]> {
    if (!filter.includes('+') && !filter.includes('#')) {
      const hit = this.retained.get(filter);
      if (hit) yield [filter, copy(hit)];
      return;
    }
    for (const [topic, payload] of this.retained) if (matches(filter, topic)) yield [topic, copy(payload)];
  }

  publish(from: InProcessTransport, topic: string, payload: Buffer, qos: Qos, retain: boolean): Promise<void> {
    if (!this.failed) {
      this.route(topic, payload, retain);
      return Promise.resolve();
    }
    if (qos === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.held.push({ from, topic, payload, retain, resolve, reject });
    });
  }

  private route(topic: string, payload: Buffer, retain: boolean): void {
    if (retain) {
      // A retained empty payload clears the topic's retained message (MQTT 3.1.1 §3.3.1.3).
      if (payload.length === 0) this.retained.delete(topic);
      else this.retained.set(topic, copy(payload));
    }
    const targets: Array<[InProcessTransport, string]> = [];
    for (const [filter, subscribers] of this.subscriptions.match(topic)) {
      for (const t of subscribers) targets.push([t, filter]);
    }
    targets.forEach(([t, filter], i) => t.deliver(filter, topic, i === targets.length - 1 ? payload : copy(payload)));
  }
}

class InProcessTransport implements Transport {
  readonly kind = 'inproc';
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly listeners = new Set<(status: TransportStatus) => void>();
  private status: TransportStatus;
  /** Waiters for the end of an outage (subscribe resolves on "SUBACK" after reconnect). */
  private reconnected: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(
    private readonly bus: InProcessBus,
    readonly clientId: string,
  ) {
    this.status = bus.isFailed ? 'disconnected' : 'connected';
    bus.attach(this);
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (this.status === 'closed') return Promise.reject(new FabricError(Unavailable(`transport ${this.clientId} is closed`)));
    if (!isValidTopic(topic)) return Promise.reject(new FabricError(BadRequest(`invalid topic for publish: '${topic}'`)));
    return this.bus.publish(this, topic, copy(payload), options.qos ?? 1, options.retain ?? false);
  }

  async subscribe(filter: string, handler: MessageHandler, _options?: { readonly qos?: Qos }): Promise<void> {
    if (this.status === 'closed') throw new FabricError(Unavailable(`transport ${this.clientId} is closed`));
    if (!isValidFilter(filter)) throw new FabricError(BadRequest(`invalid topic filter: '${filter}'`));
    this.handlers.set(filter, handler);
    this.bus.addSubscription(filter, this);
    if (this.status === 'disconnected') {
      // Retained messages come with the "resubscription" when the outage ends.
      await new Promise<void>((resolve, reject) => this.reconnected.push({ resolve, reject }));
      return;
    }
    for (const [topic, payload] of this.bus.retainedFor(filter)) this.deliver(filter, topic, payload);
  }

  async unsubscribe(filter: string): Promise<void> {
    if (this.status === 'closed') return;
    this.handlers.delete(filter);
    this.bus.removeSubscription(filter, this);
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.bus.detach(this);
    this.handlers.clear();
    const waiters = this.reconnected;
    this.reconnected = [];
    for (const w of waiters) w.reject(new FabricError(Unavailable(`transport ${this.clientId} closed while disconnected`)));
    this.setStatus('closed');
    this.listeners.clear();
  }

  /**
   * Queues one message for its handler. Each delivery is its own microtask: the microtask queue
   * is FIFO, so order per publisher→subscriber holds, and a throwing handler surfaces as an
   * uncaught error (as it would from mqtt.js) without stopping the deliveries after it.
   */
  deliver(filter: string, topic: string, payload: Buffer): void {
    queueMicrotask(() => {
      const handler = this.handlers.get(filter);
      if (handler && this.status !== 'closed') handler(topic, payload);
    });
  }

  resendRetained(): void {
    for (const filter of this.handlers.keys()) {
      for (const [topic, payload] of this.bus.retainedFor(filter)) this.deliver(filter, topic, payload);
    }
  }

  setStatus(status: TransportStatus): void {
    if (this.status === status || this.status === 'closed') return;
    this.status = status;
    if (status === 'connected') {
      const waiters = this.reconnected;
      this.reconnected = [];
      for (const w of waiters) w.resolve();
    }
    for (const listener of [...this.listeners]) listener(status);
  }
}

/** A transport on the bus; clientId defaults to a fresh unique one. */
export function createInProcessTransport(bus: InProcessBus, clientId?: string): Transport {
  return new InProcessTransport(bus, clientId ?? `inproc-${randomUUID()}`);
}
