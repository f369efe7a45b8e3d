// The raw link under the fabric's messaging: publish bytes to a topic, receive bytes from topic
// filters (MQTT wildcards). Three implementations share it: in-process, MQTT to the embedded
// aedes broker, MQTT to an external broker. Request/reply, de-duplication and ordering are
// built above it, in endpoint.ts, so they behave the same on every transport.

export type Qos = 0 | 1;

export type MessageHandler = (topic: string, payload: Uint8Array) => void;

export type TransportStatus = 'connected' | 'disconnected' | 'closed';

export interface PublishOptions {
  /** 1 (default) for commands: the promise resolves when the broker acknowledged it. */
  readonly qos?: Qos;
  readonly retain?: boolean;
}

export interface Transport {
  /** 'inproc' or 'mqtt'; for logs and metrics. */
  readonly kind: string;
  /** A unique client id for this connection (the broker's client id on MQTT). */
  readonly clientId: string;
  /**
   * Publishes payload to topic. The payload is handed over: the transport may keep it and read it
   * until the returned promise settles (an MQTT client holds a QoS 1 packet until PUBACK and sends
   * it again after a reconnect), so the caller must not write to it before then. The codec's
   * output is never written again, so encoded envelopes are published as they are, uncopied.
   * Receivers never share bytes with the publisher: a transport that hands payloads over in
   * memory (the in-process bus) copies them.
   */
  publish(topic: string, payload: Uint8Array, options?: PublishOptions): Promise<void>;
  /** One handler per filter; re-subscribing the same filter replaces it. Resolves on SUBACK. */
  subscribe(filter: string, handler: MessageHandler, options?: { readonly qos?: Qos }): Promise<void>;
  unsubscribe(filter: string): Promise<void>;
  /** Listens to connection changes (reconnects re-subscribe on their own). Returns an unlisten. */
  onStatus(listener: (status: TransportStatus) => void): () => void;
  close(): Promise<void>;
}
