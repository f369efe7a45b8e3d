// The shared fixture for transport tests: one way to get connected client transports over the
// in-process bus, the embedded aedes broker and an external mosquitto, and to restart the
// broker under them (the port is kept, so clients reconnect by themselves).
import { allowAll } from '../../transports/allow-all.js';
import { startBroker, type EmbeddedBroker } from '../../transports/broker.js';
import { settle } from '../../transports/clock.js';
import { InProcessBus, createInProcessTransport } from '../../transports/inproc-transport.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';
import type { Transport } from '../../transports/transport.js';
import { startMosquitto } from './mosquitto.js';

export type TransportKind = 'inproc' | 'aedes' | 'mosquitto';

export const ALL_KINDS: readonly TransportKind[] = ['inproc', 'aedes', 'mosquitto'];

export interface TransportFixture {
  readonly kind: TransportKind;
  /** A new connected client transport (closed by close()). */
  connect(clientId?: string): Promise<Transport>;
  /** Stops and starts the broker on the same port; for inproc: bus.fail() then bus.restore(). */
  restartBroker(): Promise<void>;
  /** Closes every transport it made, then the broker. */
  close(): Promise<void>;
}

interface Broker {
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startAedes(): Promise<Broker> {
  let broker: EmbeddedBroker = await startBroker({ port: 0, authenticator: allowAll });
  const port = broker.port;
  return {
    url: broker.url,
    restart: async () => {
      await broker.close();
      broker = await startBroker({ port, authenticator: allowAll });
    },
    stop: () => broker.close(),
  };
}

function inprocBroker(bus: InProcessBus): Broker {
  return {
    url: 'inproc:',
    restart: async () => {
      bus.fail();
      await settle(); // let traffic run into the outage before it ends
      bus.restore();
    },
    stop: async () => undefined,
  };
}

export async function startFixture(kind: TransportKind): Promise<TransportFixture> {
  const bus = new InProcessBus();
  const broker = kind === 'inproc' ? inprocBroker(bus) : kind === 'aedes' ? await startAedes() : await startMosquitto();
  const made: Transport[] = [];
  return {
    kind,
    connect: async (clientId) => {
      const t =
        kind === 'inproc'
          ? createInProcessTransport(bus, clientId)
          : await connectMqtt(clientId === undefined ? { url: broker.url } : { url: broker.url, clientId });
      made.push(t);
      return t;
    },
    restartBroker: () => broker.restart(),
    close: async () => {
      await Promise.all(made.map((t) => t.close()));
      await broker.stop();
    },
  };
}

/** Records the messages a handler gets and lets a test await a condition on them (no sleeps). */
export class Inbox {
  readonly messages: Array<{ topic: string; text: string }> = [];
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  readonly handler = (topic: string, payload: Uint8Array): void => {
    this.messages.push({ topic, text: Buffer.from(payload).toString() });
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  };

  texts(): string[] {
    return this.messages.map((m) => m.text);
  }

  /** Resolves once the condition holds (checked now and after every message). */
  until(done: (inbox: Inbox) => boolean): Promise<void> {
    if (done(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done: () => done(this), resolve }));
  }

  /** Resolves once a message with this text has arrived. */
  received(text: string): Promise<void> {
    return this.until((i) => i.messages.some((m) => m.text === text));
  }
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
