// Where an envelope goes: to the receivers of this process that serve its topic, in memory and
// without the codec, or else through the transport, encoded. The topic is the address either way,
// so a receiver is reached the same way whether the sender shares its process or not.
import { encodeEnvelope, type WireFormat } from './codec.js';
import type { Envelope } from './envelope.js';
import type { EndpointCounters } from './endpoint-stats.js';
import type { LocalDirectory } from './local-directory.js';
import type { Transport } from './transport.js';

export class Router {
  constructor(
    private readonly transport: Transport,
    private readonly directory: LocalDirectory | undefined,
    private readonly counters: EndpointCounters,
  ) {}

  /**
   * Sends at QoS 1. Resolves when a local receiver was handed the envelope (on a microtask of its
   * own, so that no handler runs inside its sender's call) or the broker acknowledged it.
   */
  send(topic: string, envelope: Envelope, format: WireFormat): Promise<void> {
    const inboxes = this.directory?.lookup(topic);
    if (inboxes !== undefined && inboxes.length > 0) {
      this.counters.sentLocally++;
      for (const inbox of inboxes) queueMicrotask(() => inbox(envelope, topic));
      return Promise.resolve();
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeEnvelope(envelope, format);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return this.transport.publish(topic, bytes, { qos: 1 });
  }

  /** Publishes through the transport even when a local receiver exists (events fan out). */
  broadcast(topic: string, envelope: Envelope, format: WireFormat): Promise<void> {
    try {
      return this.transport.publish(topic, encodeEnvelope(envelope, format), { qos: 1 });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
