// The MQTT transport: mqtt.js 5 speaking MQTT 3.1.1 (aedes 1.x speaks nothing newer) over a TCP
// socket with Nagle off. It owns reconnection: after every reconnect it re-subscribes all of its
// filters, and only then releases the QoS 1 publishes that were issued while it was offline.
import { randomUUID } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { MqttClient, type IClientOptions, type ISubscriptionGrant, type Packet } from 'mqtt';
import { BadRequest, FabricError, Unauthorized, Unavailable, defineError, type ErrorValue } from './errors.js';
import { FilterIndex, isValidFilter, isValidTopic } from './topic-matcher.js';
import type { MessageHandler, PublishOptions, Qos, Transport, TransportStatus } from './transport.js';

export interface MqttTransportOptions {
  /** mqtt://host:port (or tcp://). */
  readonly url: string;
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** Delay between reconnect attempts, ms; default 100. */
  readonly reconnectPeriodMs?: number;
  /** Limit for TCP connect + CONNACK, ms; default 5000. */
  readonly connectTimeoutMs?: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}


/** Settles one publish: without an error when acknowledged. */
type Settle = (e?: Error | null) => void;

interface Subscription {
  readonly handler: MessageHandler;
  readonly qos: Qos;
}

interface HeldPublish extends Waiter {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: Qos;
  readonly retain: boolean;
}

/** SUBACK return code for a refused subscription (MQTT 3.1.1 §3.9.3). */
const SUBACK_FAILURE = 128;
/** How long close() lets in-flight QoS 1 publishes finish before it drops the connection. */
const CLOSE_DRAIN_MS = 2000;

/** The broker answered a SUBSCRIBE with SUBACK 0x80: its ACL refuses the filter (not retryable). */
export const SubscriptionRefused = defineError('SUBSCRIPTION_REFUSED', 403);

const closedError = (clientId: string) => new FabricError(Unavailable(`transport ${clientId} is closed`));

class MqttTransport implements Transport {
  readonly kind = 'mqtt';
  private readonly subscriptions = new FilterIndex<Subscription>();
  /** subscribe() calls waiting for their filter's SUBACK (possibly the one after a reconnect). */
  private readonly subackWaiters = new Map<string, Waiter[]>();
  /** QoS 1 publishes issued while disconnected, in order; sent once re-subscribed. */
  private held: HeldPublish[] = [];
  /** Publishes handed to mqtt.js whose PUBACK has not come yet, by the callback that settles each. */
  private readonly inflight = new Set<Settle>();
  /** Set while close() waits for the in-flight publishes. */
  private drained: (() => void) | undefined;
  private readonly listeners = new Set<(status: TransportStatus) => void>();
  private status: TransportStatus = 'disconnected';

  constructor(
    private readonly client: MqttClient,
    readonly clientId: string,
    private readonly batcher: WriteBatcher,
  ) {
    client.on('connect', () => this.resubscribe());
    client.on('close', () => this.setStatus('disconnected'));
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
    // Socket and protocol errors are followed by 'close' and a reconnect; nothing to do here, but
    // an EventEmitter without an 'error' listener would throw.
    client.on('error', () => undefined);
  }

  publish(topic: string, payload: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (this.status === 'closed') return Promise.reject(closedError(this.clientId));
    if (!isValidTopic(topic)) return Promise.reject(new FabricError(BadRequest(`invalid topic for publish: '${topic}'`)));
    const qos = options.qos ?? 1;
    const retain = options.retain ?? false;
    // No copy: the payload is ours until the promise settles (see Transport.publish), which for
    // QoS 1 is after PUBACK, when mqtt.js and the socket are done with it. A QoS 0 publish
    // settles once written to the socket, which may still hold it: that one is copied.
    const bytes = qos === 0 ? Buffer.from(payload) : asBuffer(payload);
    if (this.status === 'connected') return this.send(topic, bytes, qos, retain);
    // QoS 0 is at most once: dropped while offline, as the in-process bus does.
    if (qos === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.held.push({ topic, payload: bytes, qos, retain, resolve, reject }));
  }

  subscribe(filter: string, handler: MessageHandler, options: { readonly qos?: Qos } = {}): Promise<void> {
    if (this.status === 'closed') return Promise.reject(closedError(this.clientId));
    if (!isValidFilter(filter)) return Promise.reject(new FabricError(BadRequest(`invalid topic filter: '${filter}'`)));
    const qos = options.qos ?? 1;
    this.subscriptions.set(filter, { handler, qos });
    const acked = new Promise<void>((resolve, reject) => {
      const waiters = this.subackWaiters.get(filter) ?? [];
      waiters.push({ resolve, reject });
      this.subackWaiters.set(filter, waiters);
    });
    // When offline, the re-subscription after the reconnect carries this filter.
    if (this.client.connected) this.client.subscribe({ [filter]: { qos } }, (e, granted, packet) => this.onSuback(e, granted, packet));
    return acked;
  }

  async unsubscribe(filter: string): Promise<void> {
    if (this.status === 'closed') return;
    this.subscriptions.delete(filter);
    this.settleWaiters(filter, undefined); // a subscribe still waiting for SUBACK is superseded
    if (!this.client.connected) return; // the next session starts clean, without this filter
    // Resolves on UNSUBACK, or when the connection drops (the new session will not have it).
    await new Promise<void>((resolve) => this.client.unsubscribe(filter, () => resolve()));
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    this.setStatus('closed');
    this.listeners.clear();
    for (const h of this.held) h.reject(closedError(this.clientId));
    this.held = [];
    for (const filter of [...this.subackWaiters.keys()]) this.settleWaiters(filter, closedError(this.clientId));
    if (this.client.connected && this.inflight.size > 0) await this.drainInflight();
    // DISCONNECT politely when nothing is pending; otherwise drop the socket (end() would wait).
    const force = !this.client.connected || Object.keys(this.client.outgoing).length > 0;
    await new Promise<void>((resolve) => this.client.end(force, () => resolve()));
    for (const settle of [...this.inflight]) settle(closedError(this.clientId));
  }

  private send(topic: string, payload: Buffer, qos: Qos, retain: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      // mqtt.js calls it on PUBACK for QoS 1 (after a resend if the connection dropped first);
      // close() calls it with its own error for those still in flight.
      const done: Settle = (e) => {
        if (!this.inflight.delete(done)) return;
        if (this.inflight.size === 0) this.drained?.();
        if (!e) resolve();
        else reject(e instanceof FabricError ? e : new FabricError(Unavailable(`publish to ${topic} failed: ${e.message}`)));
      };
      this.inflight.add(done);
      this.batcher.hold();
      this.client.publish(topic, payload, PUBLISH_OPTIONS[qos][retain ? 1 : 0], done);
    });
  }

  /** After each CONNACK: subscribe every filter again (the session is clean), then go live. */
  private resubscribe(): void {
    if (this.status === 'closed') return;
    const filters: Record<string, { qos: Qos }> = {};
    for (const [filter, s] of this.subscriptions.entries()) filters[filter] = { qos: s.qos };
    if (Object.keys(filters).length === 0) {
      this.goLive();
      return;
    }
    this.client.subscribe(filters, (e, granted, packet) => {
      // A lost SUBSCRIBE means the connection dropped again; the next CONNACK retries. A refused
      // filter is dropped (its subscriber was told) and the others go live.
      if (this.onSuback(e, granted, packet)) this.goLive();
    });
  }

  private goLive(): void {
    if (this.status === 'closed' || !this.client.connected) return;
    this.setStatus('connected');
    const held = this.held;
    this.held = [];
    for (const h of held) this.send(h.topic, h.payload, h.qos, h.retain).then(h.resolve, h.reject);
  }

  /**
   * Settles the waiters of each granted (or refused) filter; false if the SUBACK never came (the
   * connection dropped). mqtt.js reports a SUBACK holding a refusal (0x80, MQTT 3.1.1 §3.9.3) as
   * an error, with the requested filters and the SUBACK packet: each filter is matched to its
   * return code by position, so one refused filter does not leave the others (or itself) waiting.
   */
  private onSuback(e: Error | null, granted: ISubscriptionGrant[] | undefined, packet: Packet | undefined): boolean {
    if (!granted || this.status === 'closed') return false;
    const codes = e ? subackCodes(packet) : granted.map((g) => g.qos);
    if (codes === undefined || codes.length !== granted.length) return false;
    for (let i = 0; i < granted.length; i++) {
      const filter = granted[i]!.topic;
      if ((codes[i]! & SUBACK_FAILURE) !== 0) {
        this.subscriptions.delete(filter);
        this.settleWaiters(filter, new FabricError(SubscriptionRefused(`the broker refused the subscription to '${filter}' (SUBACK 0x${codes[i]!.toString(16)}): its ACL does not grant it`, { filter })));
      } else {
        this.settleWaiters(filter, undefined);
      }
    }
    return true;
  }

  private settleWaiters(filter: string, error: FabricError | undefined): void {
    const waiters = this.subackWaiters.get(filter);
    if (!waiters) return;
    this.subackWaiters.delete(filter);
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }

  /**
   * Hands one message to every handler whose filter matches, each once. The brokers we run
   * (aedes, mosquitto) send one copy per message for overlapping subscriptions; a broker that
   * sends one per subscription (MQTT 3.1.1 §3.3.5 allows it) yields duplicates, which the
   * endpoint's de-duplication absorbs. Each handler owns its payload; a throwing handler is
   * reported as an uncaught error and does not stop the others or mqtt.js's packet loop.
   */
  private dispatch(topic: string, payload: Buffer): void {
    if (this.status === 'closed') return;
    const subscriptions = this.subscriptions;
    if (subscriptions.wildcards === 0) {
      // The common case (mailbox shards, reply topics): one exact filter at most, nothing to collect.
      const only = subscriptions.exactly(topic);
      if (only !== undefined) deliver(only, topic, payload);
      return;
    }
    const matched = subscriptions.match(topic);
    for (let i = 0; i < matched.length; i++) deliver(matched[i]![1], topic, i === matched.length - 1 ? payload : Buffer.from(payload));
  }

  /** Waits until in-flight publishes are acknowledged, the connection drops, or a bound passes. */
  private async drainInflight(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let dropped: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      dropped = resolve;
      timer = setTimeout(resolve, CLOSE_DRAIN_MS);
      this.client.once('close', resolve);
    });
    clearTimeout(timer);
    if (dropped) this.client.off('close', dropped);
    this.drained = undefined;
  }

  private setStatus(status: TransportStatus): void {
    if (this.status === status || this.status === 'closed') return;
    this.status = status;
    for (const listener of [...this.listeners]) listener(status);
  }
}

/** The return codes of a SUBACK packet, if that is what it is. */
function subackCodes(packet: Packet | undefined): readonly number[] | undefined {
  if (packet === undefined || packet.cmd !== 'suback') return undefined;
  return packet.granted as readonly number[];
}

/**
 * Coalesces the packets of one turn of the event loop into one socket write. mqtt.js writes each
 * packet on its own (mqtt-packet corks the socket only until the next tick), so the PUBACKs of an
 * incoming chunk, the replies its handlers publish from promise continuations and the requests
 * issued meanwhile went out as separate writes: a system call each, and a TCP segment each with
 * Nagle off. The socket is corked when data arrives or a publish is issued, and uncorked in the
 * check phase (setImmediate), after every microtask of the turn: a sequential round trip waits
 * only for the rest of its own turn.
 */
class WriteBatcher {
  private socket: Socket | undefined;
  private corked: Socket | undefined;
  private readonly onData = (): void => this.hold();
  private readonly release = (): void => {
    const socket = this.corked;
    this.corked = undefined;
    socket?.uncork();
  };

  /** Called with each new connection's socket (mqtt.js makes one per connect). */
  attach(socket: Socket): Socket {
    this.socket = socket;
    // Registered before mqtt.js pipes the socket into its parser: corked before any packet is read.
    socket.on('data', this.onData);
    return socket;
  }

  /** Corks the current socket until the turn's end, once per turn. */
  hold(): void {
    const socket = this.socket;
    if (socket === undefined || this.corked !== undefined || socket.destroyed) return;
    socket.cork();
    this.corked = socket;
    setImmediate(this.release);
  }
}

function deliver(subscription: Subscription, topic: string, payload: Buffer): void {
  try {
    subscription.handler(topic, payload);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

/** The payload as a Buffer (what mqtt.js writes), without copying its bytes. */
function asBuffer(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** mqtt.js's publish options by QoS and retain (it copies them: one object each will do). */
const PUBLISH_OPTIONS = [
  [
    { qos: 0, retain: false },
    { qos: 0, retain: true },
  ],
  [
    { qos: 1, retain: false },
    { qos: 1, retain: true },
  ],
] as const;

/** Drops mqtt.js's log calls (see connectMqtt). */
const dropLog = (): void => undefined;

/** CONNACK return codes that mean the credentials were refused (MQTT 3.1.1 §3.2.2.3). */
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function connectError(e: Error & { code?: unknown }, url: string): ErrorValue {
  if (e.code === BAD_USERNAME_OR_PASSWORD || e.code === NOT_AUTHORIZED) {
    return Unauthorized(`broker ${url} refused the credentials: ${e.message}`, { returnCode: e.code });
  }
  return Unavailable(`cannot connect to broker ${url}: ${e.message}`, typeof e.code === 'string' || typeof e.code === 'number' ? { cause: e.code } : undefined);
}

/** Connects (resolving after CONNACK); a refused or failed first connect rejects with a FabricError. */
export function connectMqtt(options: MqttTransportOptions): Promise<Transport> {
  const url = new URL(options.url);
  if (url.protocol !== 'mqtt:' && url.protocol !== 'tcp:') {
    return Promise.reject(new FabricError(BadRequest(`unsupported broker url ${options.url} (mqtt:// or tcp://)`)));
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 1883 : Number(url.port);
  const clientId = options.clientId ?? `cumulo-${randomUUID()}`;
  const clientOptions: IClientOptions = {
    protocolVersion: 4,
    clientId,
    // Clean sessions: a broker restart loses sessions anyway, and persistent sessions of clients
    // that never return would pile up at the broker. We re-subscribe ourselves after reconnects.
    clean: true,
    resubscribe: false,
    queueQoSZero: false,
    reconnectPeriod: options.reconnectPeriodMs ?? 100,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // After the first connect, a refused reconnect (auth backend briefly down) keeps retrying.
    reconnectOnConnackError: true,
    // mqtt.js logs through `debug`, whose calls cost an argument array each even when disabled
    // (a dozen per message); unless DEBUG asks for logs, they go to a function that drops them.
    ...(process.env.DEBUG === undefined ? { log: dropLog } : {}),
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  };
  // Nagle off on our side (the broker sets it on its side): a request/reply round trip would
  // otherwise wait for delayed ACKs, ~40 ms per hop.
  // The client starts connecting at once; its events come later, after the listeners are set.
  // (manualConnect is avoided: with it, end() re-arms the reconnect timer and the process hangs.)
  const batcher = new WriteBatcher();
  const client = new MqttClient(() => batcher.attach(createConnection({ host, port, noDelay: true })), clientOptions);
  const transport = new MqttTransport(client, clientId, batcher);
  return new Promise<Transport>((resolve, reject) => {
    const unlisten = transport.onStatus((status) => {
      if (status !== 'connected') return;
      client.off('error', onError);
      unlisten();
      resolve(transport);
    });
    const onError = (e: Error) => {
      client.off('error', onError);
      unlisten();
      reject(new FabricError(connectError(e, options.url)));
      void transport.close(); // ends the client: no reconnect timer is left behind
    };
    client.on('error', onError);
  });
}
