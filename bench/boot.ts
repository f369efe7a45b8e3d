// Server boots through the SDK on a whole fabric with 100 hosts and the zero-delay fake
// hypervisor, in process and over the embedded aedes broker: boot latency (createServer until
// the ACTIVE event, one at a time), boots per second (N boots, K in flight, spread round-robin
// over P projects), and per boot the actor messages received and the store writes, counted on
// the inspection stream. The floor, measured in the same run and alternating with the boots in
// chunks: the same number of raw steps done one after another — one client ask to a no-op actor
// over the same transport (the create), the other messages as in-process asks to a no-op actor,
// and the writes as lmdb-js puts on an environment of the same disk. ratio = boot p50 ÷ floor p50.
// Goals: ≥ 3,000 boots/s in process, ≥ 500 over aedes (2 cores), ratio ≤ 2.
//   npx tsc -p . && node dist/bench/boot.js [--transport inproc|mqtt|both] [--hosts 100]
//     [--latency-boots 200] [--boots 1000] [--inflight 100] [--projects 1]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { open } from 'lmdb';
import { Cloud, type TransportChoice } from '../sdk/index.js';
import { defineKind } from '../supervision/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const TRANSPORTS: TransportChoice[] = option('transport', 'both') === 'both' ? ['inproc', 'mqtt'] : [option('transport', 'inproc') as TransportChoice];
const HOSTS = Number(option('hosts', '100'));
const LATENCY_BOOTS = Number(option('latency-boots', '200'));
const BOOTS = Number(option('boots', '1000'));
const IN_FLIGHT = Number(option('inflight', '100'));
const PROJECTS = Number(option('projects', '1'));
const WARMUP = 50;
const CHUNK = 20;
const COUNTED = 100;

const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
const ms = (us: number): number => Number((us / 1000).toFixed(2));
const elapsedUs = (t0: number): number => Math.max(1, Math.round((performance.now() - t0) * 1000));

/** A no-op actor: the floor's unit of a message. */
const echo = defineKind<null, { type: 'ping' }, string>({
  name: 'bench-echo',
  messageTypes: { ping: true },
  initialState: null,
  async handle() {
    return 'pong';
  },
});

interface Client {
  readonly cloud: Cloud;
  readonly waiting: Map<string, () => void>;
}

/** A client whose project's ACTIVE events resolve the boots it waits for. */
async function client(cloud: Cloud): Promise<Client> {
  const waiting = new Map<string, () => void>();
  await cloud.session.endpoint.listen(`cumulo/events/${cloud.caller.projectId}/instance/+`, (d) => {
    const body = d.envelope.body as { id?: string; status?: string };
    if (d.envelope.type !== 'instance.status' || body.status !== 'ACTIVE' || body.id === undefined) return;
    const done = waiting.get(body.id);
    waiting.delete(body.id);
    done?.();
  });
  return { cloud, waiting };
}

/** createServer, then its ACTIVE event (heard on a subscription made before the create). */
async function boot(c: Client): Promise<number> {
  const id = randomUUID();
  const active = new Promise<void>((resolve) => c.waiting.set(id, resolve));
  const t0 = performance.now();
  await c.cloud.compute.createServer({ id, name: 'bench', flavorId: '1' });
  await active;
  return elapsedUs(t0);
}

interface Figures {
  readonly transport: TransportChoice;
  readonly boots_per_s: number;
  readonly boot_p50_ms: number;
  readonly boot_p99_ms: number;
  readonly inflight_p50_ms: number;
  readonly inflight_p99_ms: number;
  /** Process CPU (user + system) per boot in the throughput phase: 1000 ÷ this is one core's ceiling. */
  readonly cpu_ms_per_boot: number;
  readonly messages_per_boot: number;
  readonly writes_per_boot: number;
  readonly floor_p50_ms: number;
  readonly raw_ask_p50_us: number;
  readonly client_ask_p50_us: number;
  readonly raw_write_p50_us: number;
  readonly ratio: number;
  readonly messages_by_type: Readonly<Record<string, number>>;
}

async function run(transport: TransportChoice): Promise<Figures> {
  const admin = await Cloud.start({ hosts: HOSTS, transport, apiPort: null });
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-bench-boot-'));
  const env = open({ path: dir });
  const raw = env.openDB<{ n: number; pad: string }, string>({ name: 'raw' });
  try {
    const fabric = admin.fabric!;
    const registered = fabric.system.register(echo);
    if (!registered.ok) throw new Error(registered.error.message);
    const clients: Client[] = [await client(admin)];
    for (let p = 1; p < PROJECTS; p++) {
      const project = await admin.identity.createProject({ name: `bench-${p}` });
      const user = await admin.identity.createUser({ name: `bench-${p}`, password: `bench-${p}-password` });
      await admin.identity.assignProjectRoleToUser(project.id, user.id, 'member');
      clients.push(await client(await Cloud.attach(fabric, { username: `bench-${p}`, password: `bench-${p}-password`, projectName: `bench-${p}` })));
    }
    for (const c of clients) await admin.compute.setQuota(c.cloud.caller.projectId!, { instances: -1, cores: -1, ramMb: -1 });
    for (let i = 0; i < WARMUP; i++) await boot(clients[i % clients.length]!);

    // What a boot costs in messages and writes, counted while the latency boots run alone.
    let received = 0;
    let persisted = 0;
    const byType = new Map<string, number>();
    const stopCounting = fabric.system.inspect((e) => {
      if (e.type === 'received' && e.path.startsWith('bench-echo/')) return;
      if (e.type === 'received') {
        received++;
        const key = `${e.kind ?? e.path}.${e.messageType}`;
        byType.set(key, (byType.get(key) ?? 0) + 1);
      } else if (e.type === 'persisted') persisted++;
    });
    const latency = histogram();
    const first = clients[0]!;
    // Counted over many boots, so that the hosts' periodic heartbeats (100 hosts, every 10 s)
    // weigh what they weigh per boot in a steady run.
    const counted = Math.min(LATENCY_BOOTS, COUNTED);
    for (let i = 0; i < counted; i++) latency.recordValue(await boot(first));
    stopCounting();
    const messagesPerBoot = received / counted;
    const writesPerBoot = persisted / counted;

    // The floor: the same numbers of raw steps, one after another, alternating with boots.
    const asks = Math.max(0, Math.round(messagesPerBoot) - 1);
    const writes = Math.round(writesPerBoot);
    const rawAsk = histogram();
    const clientAsk = histogram();
    const rawWrite = histogram();
    const floor = histogram();
    const ref = fabric.system.ref('bench-echo', 'floor');
    let key = 0;
    const floorOnce = async (): Promise<void> => {
      const t0 = performance.now();
      let t = performance.now();
      const asked = await first.cloud.ask('bench-echo', 'floor', 'ping');
      if (!asked.ok) throw new Error(asked.error.message);
      clientAsk.recordValue(elapsedUs(t));
      for (let a = 0; a < asks; a++) {
        t = performance.now();
        const r = await ref.ask({ type: 'ping' });
        if (!r.ok) throw new Error(r.error.message);
        rawAsk.recordValue(elapsedUs(t));
      }
      for (let w = 0; w < writes; w++) {
        t = performance.now();
        await raw.put(`k${key++ % 1000}`, { n: key, pad: 'x'.repeat(200) });
        rawWrite.recordValue(elapsedUs(t));
      }
      floor.recordValue(elapsedUs(t0));
    };
    for (let i = counted; i < LATENCY_BOOTS; i += CHUNK) {
      for (let k = 0; k < CHUNK; k++) await floorOnce();
      for (let k = 0; k < CHUNK; k++) latency.recordValue(await boot(first));
    }
    for (let k = 0; k < CHUNK; k++) await floorOnce();

    // Throughput: BOOTS boots, IN_FLIGHT at a time, round-robin over the projects.
    const inflight = histogram();
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < BOOTS) {
          const k = next++;
          inflight.recordValue(await boot(clients[k % clients.length]!));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    for (const c of clients.slice(1)) await c.cloud.stop();

    const p50 = latency.getValueAtPercentile(50);
    const floorP50 = floor.getValueAtPercentile(50);
    const figures: Figures = {
      transport,
      boots_per_s: Math.round(BOOTS / seconds),
      boot_p50_ms: ms(p50),
      boot_p99_ms: ms(latency.getValueAtPercentile(99)),
      inflight_p50_ms: ms(inflight.getValueAtPercentile(50)),
      inflight_p99_ms: ms(inflight.getValueAtPercentile(99)),
      cpu_ms_per_boot: Number(((cpu.user + cpu.system) / 1000 / BOOTS).toFixed(3)),
      messages_per_boot: Number(messagesPerBoot.toFixed(2)),
      writes_per_boot: Number(writesPerBoot.toFixed(2)),
      floor_p50_ms: ms(floorP50),
      raw_ask_p50_us: rawAsk.getValueAtPercentile(50),
      client_ask_p50_us: clientAsk.getValueAtPercentile(50),
      raw_write_p50_us: rawWrite.getValueAtPercentile(50),
      ratio: Number((p50 / floorP50).toFixed(2)),
      messages_by_type: Object.fromEntries([...byType].sort().map(([k, v]) => [k, Number((v / counted).toFixed(2))])),
    };
    console.log(
      `${transport}: ${figures.boots_per_s} boots/s (${BOOTS} boots, ${IN_FLIGHT} in flight, ${PROJECTS} project(s); in flight p50 ${figures.inflight_p50_ms} ms, p99 ${figures.inflight_p99_ms} ms; ${figures.cpu_ms_per_boot} ms CPU per boot)`,
    );
    console.log(`  one at a time: p50 ${figures.boot_p50_ms} ms, p99 ${figures.boot_p99_ms} ms; ${figures.messages_per_boot} messages and ${figures.writes_per_boot} store writes per boot`);
    console.log(
      `  floor (1 client ask + ${asks} raw asks + ${writes} raw LMDB writes): p50 ${figures.floor_p50_ms} ms (client ask ${figures.client_ask_p50_us} us, raw ask ${figures.raw_ask_p50_us} us, raw write ${figures.raw_write_p50_us} us); ratio ${figures.ratio}`,
    );
    console.log(`  messages per boot by type: ${JSON.stringify(figures.messages_by_type)}`);
    return figures;
  } finally {
    await admin.stop();
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const runs: Figures[] = [];
  for (const transport of TRANSPORTS) runs.push(await run(transport));
  const inproc = runs.find((r) => r.transport === 'inproc');
  const mqtt = runs.find((r) => r.transport === 'mqtt');
  const result = {
    bench: 'boot',
    hosts: HOSTS,
    projects: PROJECTS,
    boots: BOOTS,
    inflight: IN_FLIGHT,
    ratio: Math.max(...runs.map((r) => r.ratio)),
    runs: runs.map(({ messages_by_type: _omitted, ...figures }) => figures),
    anchor: 'per boot: 1 client ask + (messages - 1) in-process asks to a no-op actor + as many lmdb-js puts, sequential, same run',
    goal: 'boots_per_s >= 3000 in process and >= 500 over aedes; ratio <= 2',
    met: (inproc === undefined || inproc.boots_per_s >= 3000) && (mqtt === undefined || mqtt.boots_per_s >= 500) && runs.every((r) => r.ratio <= 2),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

await main();
