// The embeddable SDK: `await Cloud.start()` runs a whole cloud in this process (in-process
// transport by default, the embedded MQTT broker as an option) and returns a client acting as its
// admin; `await Cloud.connect({ url, ... })` drives a running `cumulo up` over MQTT. Either way,
// requests go through the fabric's messaging with a token, like any other client's.
import { TOKEN_USERNAME, type Caller } from '../actors/identity/index.js';
import { wallClock, type Clock } from '../transports/clock.js';
import type { EventDelivery } from '../transports/endpoint.js';
import { FabricError, type Result } from '../transports/errors.js';
import { connectMqtt } from '../transports/mqtt-transport.js';
import { ROOT } from '../transports/topics.js';
import { ComputeClient } from './compute-client.js';
import { Fabric, type FabricOptions, type TransportChoice } from './fabric.js';
import { IdentityClient } from './identity-client.js';
import { newClientId, Session, type Login, type RequestOptions } from './session.js';

/**
 * scrypt cost of a cloud without a data dir: its store lives in a private temporary dir that
 * stop() removes, so its hashes never outlive the process that could read its memory anyway;
 * stretching them at 2^14 (~60-100 ms per hash, twice per start) would buy nothing. A cloud with
 * a data dir, and `cumulo up`, keep the full cost; `passwordCost` overrides either.
 */
export const EPHEMERAL_PASSWORD_COST = 1024;

export interface CloudStartOptions extends Omit<FabricOptions, 'transport'> {
  /** 'inproc' (default): no sockets; 'mqtt': the embedded broker, reachable by other clients. */
  readonly transport?: TransportChoice;
  /** Who the returned client acts as (default: the cloud's admin, in project `admin`). */
  readonly login?: Login;
}

export interface ConnectOptions extends Login {
  /** mqtt://127.0.0.1:PORT of a running `cumulo up` (its ready line and openrc give it). */
  readonly url: string;
  readonly clientId?: string;
  readonly timeoutMs?: number;
}

/** An event of the client's project, as published by the resource's actor after persisting. */
export interface CloudEvent {
  readonly type: string;
  readonly kind: string;
  readonly id: string;
  readonly at: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export class Cloud {
  /** Servers, flavors, key pairs, server groups, zones, hypervisors, quotas (openstacksdk's compute proxy). */
  readonly compute: ComputeClient;
  /** Tokens, projects, users, role assignments (openstacksdk's identity proxy). */
  readonly identity: IdentityClient;

  private constructor(
    readonly session: Session,
    /** The fabric this process runs, when started with Cloud.start() (or attached to). */
    readonly fabric: Fabric | undefined,
    clock: Clock,
    /** Whether stop() stops the fabric too (Cloud.start) or only this client (attach, connect). */
    private readonly ownsFabric: boolean,
  ) {
    this.compute = new ComputeClient(session, clock);
    this.identity = new IdentityClient(session);
  }

  static async start(options: CloudStartOptions = {}): Promise<Cloud> {
    const passwordCost = options.passwordCost ?? (options.dataDir === undefined ? EPHEMERAL_PASSWORD_COST : undefined);
    const fabric = await Fabric.start({
      // Embedded clouds rarely serve HTTP or need an image at once: the API's routes are built
      // by its first request, and the cirros image is made after ready (fabric.settled()).
      lazyApi: true,
      builtinImages: 'background',
      ...options,
      transport: options.transport ?? 'inproc',
      ...(passwordCost === undefined ? {} : { passwordCost }),
    });
    try {
      return await Cloud.open(fabric, options.login, true);
    } catch (e) {
      await fabric.stop();
      throw e;
    }
  }

  /**
   * Another client of a fabric this process runs, logged in as `login` (default: its admin),
   * on the fabric's own transport; stop() closes this client only.
   */
  static attach(fabric: Fabric, login?: Login): Promise<Cloud> {
    return Cloud.open(fabric, login, false);
  }

  private static async open(fabric: Fabric, login: Login | undefined, owns: boolean): Promise<Cloud> {
    const clientId = newClientId();
    if (login === undefined) {
      // The admin of this process's own fabric: a token minted for it, no password to check.
      const minted = must(await fabric.adminToken());
      const transport = await fabric.clientTransport(clientId, { username: TOKEN_USERNAME, password: minted.token });
      const session = await Session.withToken({ transport, clock: fabric.clock, directory: fabric.directory, ...minted });
      return new Cloud(session, fabric, fabric.clock, owns);
    }
    const transport = await fabric.clientTransport(clientId, { username: `${login.username}@${login.projectName}`, password: login.password });
    const opened = await Session.open({ transport, clock: fabric.clock, login, directory: fabric.directory });
    if (!opened.ok) await transport.close();
    return new Cloud(must(opened), fabric, fabric.clock, owns);
  }

  static async connect(options: ConnectOptions): Promise<Cloud> {
    const transport = await connectMqtt({
      url: options.url,
      clientId: options.clientId ?? newClientId(),
      username: `${options.username}@${options.projectName}`,
      password: options.password,
    });
    const opened = await Session.open({ transport, clock: wallClock, login: options, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
    if (!opened.ok) await transport.close();
    return new Cloud(must(opened), undefined, wallClock, false);
  }

  get caller(): Caller {
    return this.session.caller;
  }

  get mqttUrl(): string | undefined {
    return this.fabric?.mqttUrl;
  }

  get apiUrl(): string | undefined {
    return this.fabric?.apiUrl;
  }

  /** A request to any actor, with this client's token; errors come back as values. */
  ask<T = unknown>(kind: string, id: string, type: string, body: Record<string, unknown> = {}, options?: RequestOptions): Promise<Result<T>> {
    return this.session.ask<T>(kind, id, type, body, options);
  }

  /**
   * The events of this client's project, in the order each resource published them, from now on.
   * Break out of the loop (or call return()) to stop listening.
   */
  async events(): Promise<AsyncIterableIterator<CloudEvent>> {
    const queue: CloudEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const unlisten = await this.session.endpoint.listen(`${ROOT}/events/${this.session.projectId}/#`, (d: EventDelivery) => {
      queue.push(toEvent(d));
      wake?.();
    });
    const iterator: AsyncIterableIterator<CloudEvent> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
        const value = queue.shift();
        return value === undefined ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        done = true;
        wake?.();
        await unlisten();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Closes this client, and stops the fabric if Cloud.start() made it. */
  async stop(): Promise<void> {
    await this.compute.close();
    await this.session.close();
    if (this.ownsFabric) await this.fabric?.stop();
  }
}

function toEvent(d: EventDelivery): CloudEvent {
  const { at, kind, id, ...body } = (d.envelope.body ?? {}) as Record<string, unknown>;
  return { type: d.envelope.type, kind: String(kind), id: String(id), at: Number(at), body };
}

function must<T>(result: Result<T>): T {
  if (!result.ok) throw new FabricError(result.error);
  return result.value;
}
