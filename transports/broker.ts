// The embedded MQTT broker: aedes 1.x behind a loopback TCP server. Every socket sets noDelay
// (with Nagle left on, a QoS 1 round trip costs ~44 ms instead of ~0.1 ms), every connection is
// authenticated and every publish and subscribe is checked against the principal's grants.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import type { Authenticator, Principal } from './broker-security.js';
import { permits } from './broker-security.js';
import { isErrorValue } from './errors.js';

export interface BrokerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  readonly host?: string;
  readonly authenticator: Authenticator;
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  /** Principals of connected clients, by client id (for tests and the dashboard). */
  principal(clientId: string): Principal | undefined;
  close(): Promise<void>;
}

/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3); aedes declares them as a const enum. */
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

function refusal(message: string, returnCode: number): AuthenticateError {
  const error = new Error(message) as AuthenticateError;
  error.returnCode = returnCode;
  return error;
}

export async function startBroker(options: BrokerOptions): Promise<EmbeddedBroker> {
  const principals = new Map<string, Principal>();
  const aedes = await Aedes.createBroker({});

  aedes.authenticate = (client, username, password, done) => {
    options.authenticator.authenticate(client.id, username, password).then(
      (result) => {
        if (isErrorValue(result)) {
          done(refusal(result.message, result.code === 'UNAUTHORIZED' ? BAD_CREDENTIALS : NOT_AUTHORIZED), false);
        } else {
          principals.set(client.id, result);
          done(null, true);
        }
      },
      (e: unknown) => done(refusal(String(e), SERVER_UNAVAILABLE), false),
    );
  };
  aedes.authorizePublish = (client, packet, done) => {
    if (client === null) return done(null); // the broker's own publishes (retained leases, wills)
    const p = principals.get(client.id);
    if (packet.topic.startsWith('$SYS/') || !p || !permits(p.publish, packet.topic)) return done(new Error('publish not permitted'));
    done(null);
  };
  aedes.authorizeSubscribe = (client, sub, done) => {
    const p = principals.get(client.id);
    if (!p || !permits(p.subscribe, sub.topic)) return done(new Error('subscribe not permitted'), null);
    done(null, sub);
  };
  aedes.on('clientDisconnect', (client) => principals.delete(client.id));

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `mqtt://${host}:${port}`,
    principal: (clientId) => principals.get(clientId),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
