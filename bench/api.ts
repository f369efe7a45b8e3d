// Issue 5's `api` benchmark: `GET /compute/v2.1/servers/detail` for a project with 100 ACTIVE
// servers, requests per second under autocannon (run as a child process, so the load generator
// and the server each have a core), against the anchor of the same run: a bare Fastify route on
// loopback that answers the very JSON body cumulo answered (an object it serialises per request). The sides alternate, several rounds.
// cumulo's side pays the token check, the servers index, 100 instance asks and the view building.
// Goal: ratio (bare rps ÷ cumulo rps, i.e. cumulo's time per request ÷ the anchor's) ≤ 1.5.
//   npx tsc -p . && node dist/bench/api.js [--servers 100] [--seconds 5] [--rounds 3] [--connections 16] [--transport inproc|mqtt]
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { Fabric } from '../sdk/fabric.js';

const run = promisify(execFile);

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const SERVERS = Number(option('servers', '100'));
const SECONDS = Number(option('seconds', '5'));
const ROUNDS = Number(option('rounds', '3'));
const CONNECTIONS = Number(option('connections', '16'));
/** inproc (default, as embedded) or mqtt (as `cumulo up`: the embedded broker, the API on the node's endpoint). */
const TRANSPORT = option('transport', 'inproc') === 'mqtt' ? 'mqtt' : 'inproc';
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon');

interface Cannon {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** One autocannon run in a child process; its --json summary. */
async function cannon(url: string, headers: Record<string, string>): Promise<Cannon> {
  const args = [AUTOCANNON, '-j', '-c', String(CONNECTIONS), '-d', String(SECONDS)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  args.push(url);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
  return { rps: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function json(url: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers['x-auth-token'] = init.token;
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const fabric = await Fabric.start({ transport: TRANSPORT, apiPort: 0, hosts: 4, passwordCost: 1024, logLevel: 'error' });
const api = fabric.apiUrl!;
try {
  const login = await fetch(`${api}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', password: fabric.adminPassword, domain: { name: 'Default' } } } },
        scope: { project: { name: 'admin', domain: { name: 'Default' } } },
      },
    }),
  });
  const token = login.headers.get('x-subject-token');
  if (login.status !== 201 || token === null) throw new Error(`login failed: ${login.status}`);
  const projectId = ((await login.json()) as { token: { project: { id: string } } }).token.project.id;
  const compute = `${api}/compute/v2.1`;
  const quota = await json(`${compute}/os-quota-sets/${projectId}`, {
    method: 'PUT',
    token,
    body: JSON.stringify({ quota_set: { instances: SERVERS * 2, cores: SERVERS * 2, ram: SERVERS * 2048 } }),
  });
  if (quota.status !== 200) throw new Error(`quota update failed: ${quota.status} ${JSON.stringify(quota.body)}`);
  const cirros = (await json(`${api}/image/v2/images?name=cirros`, { token })).body as { images: { id: string }[] };
  const imageRef = cirros.images[0]!.id;
  for (let i = 0; i < SERVERS; i++) {
    const created = await json(`${compute}/servers`, {
      method: 'POST',
      token,
      body: JSON.stringify({ server: { name: `bench-${i}`, flavorRef: '1', imageRef } }),
    });
    if (created.status !== 202) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  }
  // Every server ACTIVE before measuring, so both sides serve the same settled body.
  let detail: { servers: { status: string }[] } = { servers: [] };
  for (let polls = 0; polls < 1200; polls++) {
    detail = (await json(`${compute}/servers/detail`, { token })).body as typeof detail;
    if (detail.servers.length === SERVERS && detail.servers.every((s) => s.status === 'ACTIVE')) break;
    await delay(50); // the fake hypervisor's boot time is real time here
  }
  if (!detail.servers.every((s) => s.status === 'ACTIVE') || detail.servers.length !== SERVERS) throw new Error('servers never all became ACTIVE');
  const bodyText = JSON.stringify(detail);

  const bare = Fastify({ logger: false });
  // The anchor serialises the same object at every request, as cumulo's route does.
  const bodyObject = JSON.parse(bodyText) as unknown;
  bare.get('/compute/v2.1/servers/detail', async () => bodyObject);
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  try {
    const ours: Cannon[] = [];
    const anchor: Cannon[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so a burst of outside load falls on both.
      const pair = [
        async () => ours.push(await cannon(`${compute}/servers/detail`, { 'x-auth-token': token })),
        async () => anchor.push(await cannon(`${bareUrl}/compute/v2.1/servers/detail`, {})),
      ];
      if (round % 2 === 1) pair.reverse();
      for (const side of pair) await side();
      console.log(`round ${round + 1}: cumulo ${ours.at(-1)!.rps.toFixed(0)} req/s (p50 ${ours.at(-1)!.p50Ms} ms), bare fastify ${anchor.at(-1)!.rps.toFixed(0)} req/s (p50 ${anchor.at(-1)!.p50Ms} ms)`);
    }
    const bad = ours.reduce((n, c) => n + c.non2xx + c.errors, 0);
    if (bad > 0) throw new Error(`${bad} requests of cumulo's side failed`);
    const rps = median(ours.map((c) => c.rps));
    const anchorRps = median(anchor.map((c) => c.rps));
    const ratio = Number((anchorRps / rps).toFixed(3));
    const result = {
      bench: 'api',
      ratio,
      goal: 1.5,
      met: ratio <= 1.5,
      transport: TRANSPORT,
      servers: SERVERS,
      bodyBytes: Buffer.byteLength(bodyText),
      connections: CONNECTIONS,
      seconds: SECONDS,
      rounds: ROUNDS,
      rps: Math.round(rps),
      anchorRps: Math.round(anchorRps),
      p50Ms: median(ours.map((c) => c.p50Ms)),
      p99Ms: median(ours.map((c) => c.p99Ms)),
      anchorP50Ms: median(anchor.map((c) => c.p50Ms)),
      anchorP99Ms: median(anchor.map((c) => c.p99Ms)),
    };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await bare.close();
  }
} finally {
  await fabric.stop();
}
