// A fabric in this process (in-process transport, no listening API) with the REST API built on
// its node's endpoint, for route tests through fastify.inject(); plus helpers to log in and send
// JSON with a token.
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi, endpointGateway } from '../../api/server.js';
import { Fabric, type FabricOptions } from '../../sdk/fabric.js';

export interface ApiFixture {
  readonly fabric: Fabric;
  readonly app: FastifyInstance;
  /** An admin token (project admin). */
  readonly admin: string;
  login(user: string, password: string, project?: string): Promise<string>;
  call(method: string, url: string, options?: CallOptions): Promise<LightMyRequestResponse>;
}

export interface CallOptions {
  readonly token?: string | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function startApiFixture(t: TestContext, options: FabricOptions = {}): Promise<ApiFixture> {
  const fabric = await Fabric.start({ transport: 'inproc', apiPort: null, hosts: 2, passwordCost: 1024, ...options });
  t.after(() => fabric.stop());
  const app = await buildApi({ metrics: fabric.metrics, logger: fabric.log, ready: () => true, actors: endpointGateway(fabric.endpoint) });
  t.after(() => app.close());
  const login = async (user: string, password: string, project?: string): Promise<string> => {
    const res = await app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } },
          ...(project === undefined ? {} : { scope: { project: { name: project, domain: { name: 'Default' } } } }),
        },
      },
    });
    if (res.statusCode !== 201) throw new Error(`login of ${user} failed: ${res.statusCode} ${res.body}`);
    return res.headers['x-subject-token'] as string;
  };
  const admin = await login('admin', fabric.adminPassword, 'admin');
  const call = (method: string, url: string, o: CallOptions = {}) => {
    const token = o.token === undefined ? admin : o.token;
    return app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token === null ? {} : { 'x-auth-token': token }), ...o.headers },
      ...(o.body === undefined ? {} : { payload: o.body as Record<string, unknown> }),
    });
  };
  return { fabric, app, admin, login, call };
}
