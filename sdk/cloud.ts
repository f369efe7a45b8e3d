// Cloud: a whole fabric in this process — embedded MQTT broker, LMDB store in a data dir, the
// actor runtime serving every mailbox shard, simulated hosts and the HTTP API. `await
// Cloud.start()` returns once all of it accepts work; stop() drains, persists and closes the
// broker last. `cumulo up` is this plus a ready line and signal handling.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino, type Logger, type Level } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { startApi, type ApiServer } from '../api/server.js';
import { hostKind } from '../hosts/compute/host-actor.js';
import type { HostView, Inventory } from '../hosts/compute/host-messages.js';
import { attachMetrics, createActorSystem, logInspection, openLmdbStore, type ActorSystem, type LmdbStore } from '../supervision/index.js';
import { FabricNode } from '../supervision/fabric-node.js';
import { startBroker, type EmbeddedBroker } from '../transports/broker.js';
import { wallClock, type Clock } from '../transports/clock.js';
import { createEndpoint, type AskOptions, type Endpoint } from '../transports/endpoint.js';
import type { Result } from '../transports/errors.js';
import { LocalDirectory } from '../transports/local-directory.js';
import { connectMqtt } from '../transports/mqtt-transport.js';
import { createStaticAuthenticator } from '../transports/static-authenticator.js';
import { topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';
import { loadOrCreateCredentials, type MqttCredentials } from './credentials.js';

export interface CloudOptions {
  /** Where state lives; default: a fresh temporary dir, removed by stop(). */
  readonly dataDir?: string;
  /** MQTT port on 127.0.0.1 (default 0: any free port). */
  readonly mqttPort?: number;
  /** HTTP API port on 127.0.0.1 (default 0: any free port); null: no HTTP API. */
  readonly apiPort?: number | null;
  /** Simulated compute hosts registered on first start (default 3). */
  readonly hosts?: number;
  readonly clock?: Clock;
  /** pino level of the fabric's log, written to stderr (default: CUMULO_LOG_LEVEL or 'warn'). */
  readonly logLevel?: Level;
}

/** What simulated hosts offer (DevStack's single node, roughly). */
export const SIMULATED_HOST: Inventory = { zone: 'nova', vcpus: 32, ramMb: 131_072, diskGb: 1_000 };

export class Cloud {
  private stopping: Promise<void> | undefined;
  private accepting = false;

  private constructor(
    readonly dataDir: string,
    private readonly ephemeral: boolean,
    readonly log: Logger,
    readonly metrics: Registry,
    readonly credentials: MqttCredentials,
    private readonly broker: EmbeddedBroker,
    readonly store: LmdbStore,
    readonly system: ActorSystem,
    private readonly transport: Transport,
    readonly endpoint: Endpoint,
    readonly node: FabricNode,
    private readonly api: ApiServer | undefined,
  ) {}

  static async start(options: CloudOptions = {}): Promise<Cloud> {
    const clock = options.clock ?? wallClock;
    const ephemeral = options.dataDir === undefined;
    const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'cumulo-')));
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const level = options.logLevel ?? (process.env.CUMULO_LOG_LEVEL as Level | undefined) ?? 'warn';
    const log = pino({ level, name: 'cumulo', redact: ['password', '*.password', 'token', '*.token'] }, pino.destination({ dest: 2, sync: true }));
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });

    const credentials = loadOrCreateCredentials(dataDir);
    // The node's own password lives only in this process: nothing else may connect as a node.
    const nodeId = `node-${randomBytes(6).toString('hex')}`;
    const nodePassword = randomBytes(24).toString('base64url');
    const authenticator = await createStaticAuthenticator({
      [nodeId]: { role: 'node', password: nodePassword, clientIds: [nodeId] },
      [credentials.username]: { role: 'client', projectId: credentials.projectId, password: credentials.password },
    });
    const broker = await startBroker({ port: options.mqttPort ?? 0, authenticator });
    const store = await openLmdbStore({ path: join(dataDir, 'store') });
    let node: FabricNode | undefined;
    // Actors write under the node's lease epochs, so a node that lost a shard is fenced.
    const system = createActorSystem({ clock, store, shardEpoch: (shard) => node?.epochOf(shard) ?? 0 });
    system.inspect(logInspection(log.child({ component: 'actors' })));
    attachMetrics(system, metrics);
    unwrap(system.register(hostKind));

    const transport = await connectMqtt({ url: broker.url, clientId: nodeId, username: nodeId, password: nodePassword });
    const endpoint = await createEndpoint({ transport, clock, directory: new LocalDirectory() });
    node = await FabricNode.start({ nodeId, system, endpoint, transport, store, clock });
    await registerHosts(system, options.hosts ?? 3);

    const cloud: Cloud = new Cloud(dataDir, ephemeral, log, metrics, credentials, broker, store, system, transport, endpoint, node, undefined);
    const api =
      options.apiPort === null ? undefined : await startApi({ port: options.apiPort ?? 0, metrics, logger: log, ready: () => cloud.accepting });
    Object.assign(cloud, { api });
    cloud.accepting = true;
    log.info({ mqtt: broker.url, api: api?.url, dataDir, nodeId }, 'cumulo ready');
    return cloud;
  }

  get mqttUrl(): string {
    return this.broker.url;
  }

  get apiUrl(): string | undefined {
    return this.api?.url;
  }

  /** Asks an actor through the fabric's messaging (in memory when it is served here). */
  ask(kind: string, id: string, type: string, body: Record<string, unknown> = {}, options?: AskOptions): Promise<Result<unknown>> {
    return this.endpoint.ask(topics.mailboxOf(kind, id), `${kind}/${id}`, type, body, options);
  }

  /** Drains in-flight requests, persists, and closes the broker last. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // Order matters: stop taking work, finish what was taken (its replies still need the
    // broker), persist, and only then close the broker, last.
    this.accepting = false;
    this.log.info({ phase: 'draining', pending: this.node.pending }, 'shutdown');
    await this.api?.close();
    await this.node.drain();
    this.log.info({ phase: 'drained' }, 'shutdown');
    await this.system.stop();
    await this.endpoint.close();
    await this.transport.close();
    await this.store.close();
    this.log.info({ phase: 'persisted' }, 'shutdown');
    await this.broker.close();
    this.log.info({ phase: 'broker-closed' }, 'shutdown');
    this.log.flush();
    if (this.ephemeral) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function registerHosts(system: ActorSystem, count: number): Promise<void> {
  const pending: Promise<Result<HostView>>[] = [];
  for (let i = 1; i <= count; i++) {
    const ref = system.ref(hostKind, `host-${i}`);
    pending.push(
      ref.ask({ type: 'describe' }).then((seen) => (seen.ok && seen.value.registered ? seen : ref.ask({ type: 'register', inventory: SIMULATED_HOST }))),
    );
  }
  for (const result of await Promise.all(pending)) unwrap(result);
}

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
