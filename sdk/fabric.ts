// A whole fabric in this process: the LMDB store in a data dir, the actor runtime with every
// service, a fabric node serving all mailbox shards, the transport (the in-process bus, or the
// embedded MQTT broker that foreign clients reach too), simulated hosts and the HTTP API. This is
// what `cumulo up` runs and what Cloud.start() embeds. stop() drains, persists, closes the broker last.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino, type Level, type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EventSink } from '../actors/events.js';
import { ADMIN_NAME, mintToken, startBootstrap, SYSTEM_CALLER, tokenVerifier, type AuthResult } from '../actors/identity/index.js';
import { ensureCirros, registerImages, type ImageService } from '../actors/image/index.js';
import { processPool, WorkerPool } from '../workers/index.js';
import { FLAVOR_CATALOG_ID, FLAVORS_KIND, INSTANCE_KIND, type FlavorMessage } from '../actors/compute/index.js';
import type { SchedulerKindOptions } from '../actors/scheduler/index.js';
import { endpointGateway, startApi, type ApiServer } from '../api/server.js';
import { createFakeDriver, HOST_KIND, withImageCache, type HostKindOptions, type HostMessage, type HostView, type Inventory } from '../hosts/compute/index.js';
import { attachMetrics, createActorSystem, logInspection, openLmdbStore, type ActorSystem, type LmdbStore } from '../supervision/index.js';
import { FabricNode } from '../supervision/fabric-node.js';
import { startBroker, type EmbeddedBroker } from '../transports/broker.js';
import { wallClock, type Clock } from '../transports/clock.js';
import { createEndpoint, type Endpoint } from '../transports/endpoint.js';
import { ok, type Result } from '../transports/errors.js';
import { InProcessBus, createInProcessTransport } from '../transports/inproc-transport.js';
import { LocalDirectory } from '../transports/local-directory.js';
import { connectMqtt } from '../transports/mqtt-transport.js';
import { topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';
import { fabricAuthenticator } from './broker-auth.js';
import { newAdminPassword, writeAdminCredentials } from './openrc.js';
import { registerServices } from './services.js';

export type TransportChoice = 'inproc' | 'mqtt';

export interface FabricOptions {
  /** Where state lives; default: a fresh temporary dir, removed by stop(). */
  readonly dataDir?: string;
  /** 'mqtt' (default): the embedded broker; 'inproc': no sockets at all. */
  readonly transport?: TransportChoice;
  /** MQTT port on 127.0.0.1 (default 0: any free port). */
  readonly mqttPort?: number;
  /** HTTP API port on 127.0.0.1 (default 0: any free port); null: no HTTP API. */
  readonly apiPort?: number | null;
  /**
   * Build the HTTP API's routes on its first request rather than before ready (default false;
   * Cloud.start sets it). The port listens before ready either way.
   */
  readonly lazyApi?: boolean;
  /**
   * DevStack's `cirros` image on a first start: made before ready ('before-ready', the default,
   * as `cumulo up`), or after, in the background ('background', Cloud.start's: an embedded cloud
   * rarely needs it at once; settled() says when it is there).
   */
  readonly builtinImages?: 'before-ready' | 'background';
  /** Simulated compute hosts registered on first start (default 3). */
  readonly hosts?: number;
  readonly hostInventory?: Inventory;
  readonly clock?: Clock;
  /** pino level of the fabric's log, on stderr (default: CUMULO_LOG_LEVEL or 'warn'). */
  readonly logLevel?: Level;
  /** scrypt cost of password hashes (default 2^14; tests and benchmarks may lower it). */
  readonly passwordCost?: number;
  readonly tokenTtlMs?: number;
  readonly scheduler?: SchedulerKindOptions;
  readonly hostOptions?: HostKindOptions;
  /**
   * Threads of a worker pool of this fabric's own, closed by stop(). Default: the process's
   * shared pool (workers/pool.ts processPool, the machine's cores), started once per process and
   * left running (its idle threads do not keep the process alive), so a second Cloud.start in a
   * process does not start threads again.
   */
  readonly workerThreads?: number;
}

/** What simulated hosts offer (DevStack's single node, roughly). */
export const SIMULATED_HOST: Inventory = { zone: 'nova', vcpus: 32, ramMb: 131_072, diskGb: 1_000 };

export class Fabric {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly dataDir: string,
    private readonly ephemeral: boolean,
    readonly clock: Clock,
    readonly log: Logger,
    readonly metrics: Registry,
    readonly store: LmdbStore,
    readonly system: ActorSystem,
    /** The node's own transport and endpoint. */
    private readonly transport: Transport,
    readonly endpoint: Endpoint,
    readonly node: FabricNode,
    readonly directory: LocalDirectory,
    readonly bus: InProcessBus | undefined,
    private readonly broker: EmbeddedBroker | undefined,
    /** The admin's password (made at first start, kept 0600 in openrc and clouds.yaml). */
    readonly adminPassword: string,
    /** A token of the admin minted at start, for the first client that acts as the admin. */
    private adminLogin: AuthResult | undefined,
    /** What the start left running: the admin's password hash, maybe the built-in image. */
    private readonly background: Promise<void>,
    private readonly api: ApiServer | undefined,
    /** Read by the API's health check: false while starting and draining. */
    private readonly readiness: { accepting: boolean },
    private readonly pool: WorkerPool,
    /** Whether stop() closes the pool (one of this fabric's own, not the process's shared one). */
    private readonly ownsPool: boolean,
    /** Image data paths (upload, download, host copies) beside the image actors. */
    readonly images: ImageService,
  ) {}

  static async start(options: FabricOptions = {}): Promise<Fabric> {
    const clock = options.clock ?? wallClock;
    const ephemeral = options.dataDir === undefined;
    const dataDir = resolve(options.dataDir ?? mkdtempSync(join(tmpdir(), 'cumulo-')));
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const level = options.logLevel ?? (process.env.CUMULO_LOG_LEVEL as Level | undefined) ?? 'warn';
    const log = pino({ level, name: 'cumulo', redact: ['password', '*.password', 'token', '*.token', 'adminPassword'] }, pino.destination({ dest: 2, sync: true }));
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });

    // The pool's threads start while the store opens.
    const pool = options.workerThreads === undefined ? processPool() : new WorkerPool({ threads: options.workerThreads });
    const store = await openLmdbStore({ path: join(dataDir, 'store') });
    let node: FabricNode | undefined;
    // Actors write under the node's lease epochs, so a node that lost a shard is fenced.
    // Reminders are held until the node owns its shards: one firing earlier would write under
    // epoch 0 and be fenced (an overdue reminder fires at once after a restart).
    const system = createActorSystem({ clock, store, shardEpoch: (shard) => node?.epochOf(shard) ?? 0, holdReminders: true });
    system.inspect(logInspection(log.child({ component: 'actors' })));
    attachMetrics(system, metrics);
    let endpoint: Endpoint | undefined;
    const events: EventSink = {
      publish: (e) => {
        void endpoint?.publishEvent(topics.event(e.projectId, e.kind, e.id), e.type, { ...e.body, at: e.at, kind: e.kind, id: e.id });
      },
    };
    // The process's CPU-heavy work (hashing, image probing and conversion) leaves the event loop.
    const images = unwrap(registerImages(system, { dataDir, pool, events }));
    // Hosts put an instance's image in their cache before the driver boots it.
    const driver = withImageCache(options.hostOptions?.driver ?? createFakeDriver(), images);
    unwrap(
      registerServices(system, {
        events,
        ...(options.tokenTtlMs === undefined ? {} : { tokenTtlMs: options.tokenTtlMs }),
        ...(options.passwordCost === undefined ? {} : { passwordCost: options.passwordCost }),
        ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
        hosts: { ...options.hostOptions, driver },
      }),
    );
    const verify = tokenVerifier(system, { cacheMs: 1000 });

    const nodeId = `node-${randomBytes(6).toString('hex')}`;
    let transport: Transport;
    let bus: InProcessBus | undefined;
    let broker: EmbeddedBroker | undefined;
    if (options.transport === 'inproc') {
      bus = new InProcessBus();
      transport = createInProcessTransport(bus, nodeId);
    } else {
      // The node's password lives only in this process: nothing else may connect as the node.
      const nodePassword = randomBytes(24).toString('base64url');
      broker = await startBroker({ port: options.mqttPort ?? 0, authenticator: await fabricAuthenticator({ system, verify, nodeId, nodePassword }) });
      transport = await connectMqtt({ url: broker.url, clientId: nodeId, username: nodeId, password: nodePassword });
    }
    const directory = new LocalDirectory();
    endpoint = await createEndpoint({ transport, clock, directory });
    node = await FabricNode.start({ nodeId, system, endpoint, transport, store, clock, authenticate: verify });

    // The API's port listens now (its URL goes into openrc); its routes are built below, or by
    // its first request when lazy.
    const readiness = { accepting: false };
    const api =
      options.apiPort === null
        ? undefined
        : await startApi({ port: options.apiPort ?? 0, lazy: true, metrics, logger: log, ready: () => readiness.accepting, actors: endpointGateway(endpoint), images });
    // The admin's password: openrc's, or a new random one (never a default). The files are written
    // before the bootstrap, so a first start that dies in between is repaired by the next one,
    // which reads the same password back; their URLs are refreshed at every start.
    const adminPassword = ephemeral
      ? newAdminPassword()
      : writeAdminCredentials(dataDir, { apiUrl: api?.url ?? '', mqttUrl: broker?.url ?? '' }).credentials.password;

    // The rest of a start are independent actors (the flavor catalog, the hosts, identity, the
    // image service) that mostly wait on LMDB commits, the worker pool or scrypt on libuv's pool:
    // they run at once.
    const ensureDefaults: FlavorMessage = { type: 'ensureDefaults', caller: SYSTEM_CALLER };
    const steps = await Promise.all([
      system.ref(FLAVORS_KIND, FLAVOR_CATALOG_ID).ask(ensureDefaults).then(unwrap),
      registerHosts(system, options.hosts ?? 3, options.hostInventory ?? SIMULATED_HOST),
      options.lazyApi === true ? undefined : api?.fastify(),
      bootstrapIdentity(system, images, adminPassword, options.builtinImages ?? 'before-ready', log),
    ]);
    const { adminLogin, background } = steps[3];

    // Now reminders may fire; unfinished server workflows resume at once rather than at their next
    // periodic reminder, so a restart does not leave builds waiting.
    system.releaseReminders([INSTANCE_KIND]);

    const fabric = new Fabric(dataDir, ephemeral, clock, log, metrics, store, system, transport, endpoint, node, directory, bus, broker, adminPassword, adminLogin, background, api, readiness, pool, options.workerThreads !== undefined, images);
    readiness.accepting = true;
    log.info({ mqtt: broker?.url, api: fabric.api?.url, dataDir, nodeId }, 'cumulo ready');
    return fabric;
  }

  get mqttUrl(): string | undefined {
    return this.broker?.url;
  }

  get apiUrl(): string | undefined {
    return this.api?.url;
  }

  /** Whether the HTTP API's routes are built (a lazy API builds them on its first request). */
  get apiBuilt(): boolean {
    return this.api?.built() ?? false;
  }

  /**
   * Resolves when the work a start left running is done: the admin's password hash is stored
   * and, with builtinImages 'background', the cirros image is active (or its failure logged).
   */
  settled(): Promise<void> {
    return this.background;
  }

  /**
   * A token of the admin (project `admin`) for a client of this process, minted without a
   * password check: this process owns the store, and the admin's password is in its openrc.
   */
  async adminToken(): Promise<Result<AuthResult>> {
    const minted = this.adminLogin;
    this.adminLogin = undefined;
    return minted === undefined ? mintToken(this.system, { userName: ADMIN_NAME, projectName: ADMIN_NAME }) : ok(minted);
  }

  /** A new transport for a client of this process: on the bus, or an MQTT connection. */
  async clientTransport(clientId: string, login: { readonly username: string; readonly password: string }): Promise<Transport> {
    if (this.bus !== undefined) return createInProcessTransport(this.bus, clientId);
    return connectMqtt({ url: this.broker!.url, clientId, username: login.username, password: login.password });
  }

  /** Drains in-flight requests, persists, and closes the broker last. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // Order matters: stop taking work, finish what was taken (its replies still need the
    // broker), persist, and only then close the broker, last.
    this.readiness.accepting = false;
    // What the start left running writes under the node's leases: it ends before they are given up.
    await this.background;
    this.log.info({ phase: 'draining', pending: this.node.pending }, 'shutdown');
    await this.api?.close();
    await this.node.drain();
    this.log.info({ phase: 'drained' }, 'shutdown');
    await this.system.stop();
    await this.endpoint.close();
    await this.transport.close();
    await this.store.close();
    if (this.ownsPool) await this.pool.close();
    this.log.info({ phase: 'persisted' }, 'shutdown');
    await this.broker?.close();
    this.log.info({ phase: 'broker-closed' }, 'shutdown');
    this.log.flush();
    if (this.ephemeral) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The admin (project, user, roles), a token for the first admin client, and DevStack's default
 * image, owned by the admin project. The admin's password hash is stored in the background
 * (logins that come first wait for it inside identity/<d>); so is the image, when asked.
 */
async function bootstrapIdentity(
  system: ActorSystem,
  images: ImageService,
  password: string,
  builtinImages: 'before-ready' | 'background',
  log: Logger,
): Promise<{ adminLogin: AuthResult; background: Promise<void> }> {
  const boot = unwrap(await startBootstrap(system, { password }));
  // Sent before settle(), so the token is not queued behind the hash.
  const minted = mintToken(system, { userName: ADMIN_NAME, projectName: ADMIN_NAME });
  const settled = boot.settle().then((r) => {
    if (!r.ok) log.error({ code: r.error.code }, 'the admin password hash was not stored; the next start stores it');
  });
  const cirros = ensureCirros(images, { ownerProjectId: boot.admin.projectId });
  if (builtinImages === 'before-ready') {
    const [adminLogin] = await Promise.all([minted.then(unwrap), cirros.then(unwrap)]);
    return { adminLogin, background: settled };
  }
  const imaged = cirros.then(
    (r) => {
      if (!r.ok) log.error({ code: r.error.code }, 'the built-in cirros image could not be made');
    },
    (e: unknown) => log.error({ err: e }, 'the built-in cirros image could not be made'),
  );
  return { adminLogin: unwrap(await minted), background: Promise.all([settled, imaged]).then(() => undefined) };
}

/** Registers `host-1` … `host-N` once; a restart finds them registered and has each check in. */
async function registerHosts(system: ActorSystem, count: number, inventory: Inventory): Promise<void> {
  const register = async (id: string): Promise<void> => {
    const ref = system.ref(HOST_KIND, id);
    const describe: HostMessage = { type: 'describe', caller: SYSTEM_CALLER };
    const seen = (await ref.ask(describe)) as Result<HostView>;
    if (seen.ok && seen.value.registered) {
      // A restart: the host agent checks in at once, so the scheduler's capacity summary (kept in
      // memory) is full before the first boot, not after the first periodic heartbeat.
      const heartbeat: HostMessage = { type: 'heartbeat', caller: SYSTEM_CALLER };
      unwrap(await ref.ask(heartbeat));
      return;
    }
    const register: HostMessage = { type: 'register', caller: SYSTEM_CALLER, inventory };
    unwrap(await ref.ask(register));
  };
  // In batches: a first start with many hosts must not flood the store with one huge burst.
  for (let i = 1; i <= count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i + 1) }, (_, k) => register(`host-${i + k}`)));
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
