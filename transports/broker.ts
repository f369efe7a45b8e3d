// The embedded MQTT broker: aedes 1.x behind a loopback TCP server. Every socket sets noDelay
// (with Nagle left on, a QoS 1 round trip costs ~44 ms instead of ~0.1 ms), every connection is
// authenticated and every publish and subscribe is checked against the principal's grants, and a
// request may not ask for its replies on the reply topic of a client of another principal.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Authenticator, Principal } from './broker-security.js';
import { permits } from './broker-security.js';
import { isErrorValue } from './errors.js';
import { replyAddressOf } from './reply-guard.js';
import { ROOT } from './topics.js';

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
const IDENTIFIER_REJECTED = 2;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

const REPLY_PREFIX = `${ROOT}/reply/`;

function refusal(message: string, returnCode: number): AuthenticateError {
  const error = new Error(message) as AuthenticateError;
  error.returnCode = returnCode;
  return error;
}

/** CONNACK code for a refusal by code (errors.md: UNAUTHORIZED, INVALID_CLIENT_ID, others). */
function returnCodeOf(code: string): number {
  if (code === 'UNAUTHORIZED') return BAD_CREDENTIALS;
  if (code === 'INVALID_CLIENT_ID') return IDENTIFIER_REJECTED;
  return NOT_AUTHORIZED;
}

export async function startBroker(options: BrokerOptions): Promise<EmbeddedBroker> {
  // Keyed by the connection, not its id: when a client id is taken over, the old connection's
  // disconnect must not remove the new one's principal.
  const principals = new WeakMap<Client, Principal>();
  const clients = new Map<string, Client>();
  const principalOf = (client: Client): Principal | undefined => principals.get(client);
  /** Principals that may read every reply topic (nodes): their replyTo is not checked. */
  const readsAllReplies = new WeakSet<Principal>();
  /** Principal ids of persistent sessions (clean: false), by client id: they queue replies while offline. */
  const sessions = new Map<string, string>();
  /**
   * Whether a publisher may have replies sent to a topic. Receivers answer only under
   * `cumulo/reply/`; there, the topic must be one the publisher may read, or belong to no client
   * of another principal — none connected with that id, and no persistent session under it — so
   * that nobody else reads what it asked for (a shell script's mosquitto_pub may name the reply
   * topic of its mosquitto_sub, a connection of the same user).
   */
  const mayAskRepliesAt = (p: Principal, replyTo: string): boolean => {
    if (!replyTo.startsWith(REPLY_PREFIX) || permits(p.subscribe, replyTo)) return true;
    const id = replyTo.slice(REPLY_PREFIX.length);
    const connected = clients.get(id);
    const holder = connected === undefined ? sessions.get(id) : principalOf(connected)?.id;
    return holder === undefined || holder === p.id;
  };
  const aedes = await Aedes.createBroker({});

  aedes.authenticate = (client, username, password, done) => {
    // A client id names the client's reply topic: wildcards or levels in it would widen grants.
    if (/[+#/]/.test(client.id)) return done(refusal('client id must be a single topic level', IDENTIFIER_REJECTED), false);
    options.authenticator.authenticate(client.id, username, password).then(
      (result) => {
        if (isErrorValue(result)) {
          done(refusal(result.message, returnCodeOf(result.code)), false);
        } else {
          principals.set(client, result);
          if (permits(result.subscribe, `${REPLY_PREFIX}+`)) readsAllReplies.add(result);
          if (client.clean) sessions.delete(client.id);
          else sessions.set(client.id, result.id);
          clients.set(client.id, client);
          done(null, true);
        }
      },
      (e: unknown) => done(refusal(String(e), SERVER_UNAVAILABLE), false),
    );
  };
  aedes.authorizePublish = (client, packet, done) => {
    if (client === null) return done(null); // the broker's own publishes (retained leases, wills)
    const p = principalOf(client);
    // aedes closes the connection of a client whose publish is refused (MQTT 3.1.1 has no
    // negative PUBACK); mosquitto drops it silently instead (docs/mqtt-security.md).
    if (packet.topic.startsWith('$SYS/') || !p || !permits(p.publish, packet.topic)) return done(new Error('publish not permitted'));
    if (!readsAllReplies.has(p)) {
      const replyTo = replyAddressOf(packet.payload as Buffer);
      if (replyTo !== null && !mayAskRepliesAt(p, replyTo)) return done(new Error(`replies to ${replyTo} not permitted`));
    }
    done(null);
  };
  aedes.authorizeSubscribe = (client, sub, done) => {
    const p = principalOf(client);
    // A null subscription answers SUBACK 0x80 (failure, MQTT 3.1.1 §3.9.3) and keeps the connection.
    if (!p || !permits(p.subscribe, sub.topic)) return done(null, null);
    done(null, sub);
  };
  aedes.on('clientDisconnect', (client) => {
    if (clients.get(client.id) === client) clients.delete(client.id);
  });

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
    principal: (clientId) => {
      const client = clients.get(clientId);
      return client === undefined ? undefined : principalOf(client);
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
