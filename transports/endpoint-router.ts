// Where an envelope goes: to the receivers of this process that serve its topic, in memory and
// without the codec, or else through the transport, encoded. The topic is the address either way,
// so a receiver is reached the same way whether the sender shares its process or not.
import { tryEncodeEnvelope, type WireFormat } from './codec.js';
import type { Envelope } from './envelope.js';
import type { EndpointCounters } from './endpoint-stats.js';
import { err, ok, type ErrorValue, type Result } from './errors.js';
import type { LocalDirectory } from './local-directory.js';
import type { Transport } from './transport.js';

/** An envelope on its way: when it is delivered, and its bytes if it was encoded for the transport. */
export interface Routed {
  readonly done: Promise<void>;
  readonly bytes: Uint8Array | undefined;
}

const QOS_1 = { qos: 1 } as const;

export class Router {
  constructor(
    private readonly transport: Transport,
    private readonly directory: LocalDirectory | undefined,
    private readonly counters: EndpointCounters,
  ) {}

  /**
   * Sends at QoS 1. An envelope that cannot be encoded (BAD_ENVELOPE, PAYLOAD_TOO_LARGE) is refused
   * at once, as a value, before anything leaves: the caller can take its seq back. Otherwise the
   * promise resolves when a local receiver was handed the envelope (on a microtask of its own, so
   * that no handler runs inside its sender's call) or when the broker acknowledged it.
   */
  send(topic: string, envelope: Envelope, format: WireFormat): Result<Promise<void>> {
    const routed = this.route(topic, envelope, format);
    return 'done' in routed ? ok(routed.done) : err(routed);
  }

  /** send(), with the encoded bytes (the transport has them too, and nobody writes to them). */
  route(topic: string, envelope: Envelope, format: WireFormat): Routed | ErrorValue {
    const inboxes = this.directory?.lookup(topic);
    if (inboxes !== undefined && inboxes.length > 0) {
      this.counters.sentLocally++;
      for (const inbox of inboxes) queueMicrotask(() => inbox(envelope, topic));
      return { done: Promise.resolve(), bytes: undefined };
    }
    const bytes = tryEncodeEnvelope(envelope, format);
    if (!bytes.ok) return bytes.error;
    return { done: this.transport.publish(topic, bytes.value, QOS_1), bytes: bytes.value };
  }

  /** Publishes through the transport even when a local receiver exists (events fan out). */
  publish(topic: string, envelope: Envelope, format: WireFormat): Result<Promise<void>> {
    const bytes = tryEncodeEnvelope(envelope, format);
    if (!bytes.ok) return err(bytes.error);
    return ok(this.transport.publish(topic, bytes.value, QOS_1));
  }
}
