// A client's session with a fabric: an endpoint (in process or over MQTT) and a token that every
// request carries. Typed clients (compute, identity) are thin layers over ask(); so is the REST
// API, so every face of the fabric sends the same messages.
import { randomBytes } from 'node:crypto';
import type { Caller } from '../actors/identity/index.js';
import { DEFAULT_DOMAIN_ID, IDENTITY_KIND } from '../actors/identity/index.js';
import type { Clock } from '../transports/clock.js';
import { createEndpoint, type Endpoint } from '../transports/endpoint.js';
import { Unauthorized, err, ok, type Result } from '../transports/errors.js';
import type { LocalDirectory } from '../transports/local-directory.js';
import { topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';

export interface Login {
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly domainName?: string;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
}

/** A new client id: a plain topic level, unique enough to never collide. */
export function newClientId(prefix = 'sdk'): string {
  return `${prefix}-${randomBytes(8).toString('hex')}`;
}

export class Session {
  private constructor(
    readonly endpoint: Endpoint,
    private readonly transport: Transport,
    readonly token: string,
    readonly caller: Caller,
    readonly expiresAt: number,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Opens an endpoint on the transport and logs in with a password (identity's `authenticate`). */
  static async open(options: {
    readonly transport: Transport;
    readonly clock: Clock;
    readonly login: Login;
    readonly directory?: LocalDirectory;
    readonly timeoutMs?: number;
  }): Promise<Result<Session>> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const endpoint = await createEndpoint({
      transport: options.transport,
      clock: options.clock,
      defaultTimeoutMs: timeoutMs,
      ...(options.directory === undefined ? {} : { directory: options.directory }),
    });
    const { login } = options;
    const domainId = login.domainName === undefined || login.domainName === 'Default' ? DEFAULT_DOMAIN_ID : login.domainName;
    const auth = await endpoint.ask(topics.mailboxOf(IDENTITY_KIND, domainId), `${IDENTITY_KIND}/${domainId}`, 'authenticate', {
      userName: login.username,
      password: login.password,
      projectName: login.projectName,
    });
    if (!auth.ok) {
      await endpoint.close();
      return auth;
    }
    const { token, caller, expiresAt } = auth.value as { token: string; caller: Caller; expiresAt: number };
    if (typeof token !== 'string') return err(Unauthorized('identity answered no token'));
    return ok(new Session(endpoint, options.transport, token, caller, expiresAt, timeoutMs));
  }

  /** A session on a token the caller already holds (minted by the process that owns the store). */
  static async withToken(options: {
    readonly transport: Transport;
    readonly clock: Clock;
    readonly token: string;
    readonly caller: Caller;
    readonly expiresAt: number;
    readonly directory?: LocalDirectory;
    readonly timeoutMs?: number;
  }): Promise<Session> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const endpoint = await createEndpoint({
      transport: options.transport,
      clock: options.clock,
      defaultTimeoutMs: timeoutMs,
      ...(options.directory === undefined ? {} : { directory: options.directory }),
    });
    return new Session(endpoint, options.transport, options.token, options.caller, options.expiresAt, timeoutMs);
  }

  /** The project this session acts in. */
  get projectId(): string {
    return this.caller.projectId ?? '';
  }

  /** Sends `type` with `body` to the actor `kind/id`, with this session's token. */
  ask<T = unknown>(kind: string, id: string, type: string, body: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<Result<T>> {
    return this.endpoint.ask(topics.mailboxOf(kind, id), `${kind}/${id}`, type, body, {
      token: this.token,
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
    }) as Promise<Result<T>>;
  }

  async close(): Promise<void> {
    await this.endpoint.close();
    await this.transport.close();
  }
}
