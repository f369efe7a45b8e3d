// No scheduling logic exists only in the simulator: the same scenario run through the simulator
// (virtual clock, in-process bus, counting memory store) and replayed, request by request,
// through a real fabric (wall clock, LMDB store, the embedded MQTT broker, a client with an
// identity token) puts every server on the same host and rejects the same ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueToken, SYSTEM_CALLER } from '../../actors/identity/index.js';
import { Fabric } from '../../sdk/fabric.js';
import { runScenario, scenarioFromObject, type Operation } from '../../simulation/index.js';
import { hostsOf } from '../../simulation/sim-cloud.js';
import type { Message } from '../../supervision/index.js';
import { wallClock } from '../../transports/clock.js';
import { createEndpoint } from '../../transports/endpoint.js';
import { shardOf, topics } from '../../transports/topics.js';

const SCENARIO = {
  name: 'equivalence',
  mode: 'full',
  seed: 21,
  duration: '30m',
  // Heartbeats would re-order the scheduler's buckets at times that differ between virtual and
  // wall time; an hour apart, none falls inside either run.
  heartbeat: '1h',
  serviceDown: '3h',
  hosts: [
    { count: 3, name: 'small', zone: 'az1', vcpus: 8, ramMb: 16384, diskGb: 400, allocationRatios: { cpu: 2, ram: 1 } },
    { count: 2, name: 'big', zone: 'az2', vcpus: 16, ramMb: 32768, diskGb: 800, allocationRatios: { cpu: 2, ram: 1 } },
  ],
  scheduler: { policy: 'spread', candidates: 3 },
  workloads: [
    { name: 'mix', arrivals: { rate: 2.5, per: 'minute' }, lifetime: { distribution: 'exponential', mean: '30m' }, flavors: { 'm1.small': 3, 'm1.medium': 3, 'm1.large': 2, 'm1.xlarge': 1 } },
    { name: 'pinned', arrivals: { rate: 12, per: 'hour' }, lifetime: { distribution: 'fixed', value: '20m' }, flavors: { 'm1.large': 1 }, zone: 'az2' },
  ],
};

test('placements through the simulator equal placements through a real fabric', async (t) => {
  const scenario = scenarioFromObject(SCENARIO);
  const sim = await runScenario(scenario, { recordPlacements: true });
  const simHosts = new Map(sim.placements!.map((p) => [p.id, p.hostId]));
  assert.ok(sim.report.requests.rejected > 0 && sim.report.requests.accepted > 40, `a workload with contention (${JSON.stringify(sim.report.requests)})`);

  const fabric = await Fabric.start({
    transport: 'mqtt',
    hosts: 0,
    apiPort: null,
    passwordCost: 2 ** 10,
    logLevel: 'fatal',
    hostOptions: { heartbeatMs: scenario.heartbeatMs, serviceDownMs: scenario.serviceDownMs },
    scheduler: { strategy: 'spread', candidates: 3, serviceDownMs: scenario.serviceDownMs },
  });
  t.after(() => fabric.stop());
  for (const h of hostsOf(scenario)) {
    const registered = await fabric.system.ref('host', h.id).ask({ type: 'register', caller: SYSTEM_CALLER, inventory: h.inventory } as Message);
    assert.ok(registered.ok);
  }
  const login = await issueToken(fabric.system, { userName: 'admin', password: fabric.adminPassword, projectName: 'admin' });
  assert.ok(login.ok);
  const { token, caller } = login.value;
  const project = caller.projectId!;
  assert.ok((await fabric.system.ref('quota', project).ask({ type: 'setLimits', caller: SYSTEM_CALLER, limits: { instances: -1, cores: -1, ramMb: -1 } } as Message)).ok);

  const transport = await fabric.clientTransport('equivalence-client', { username: 'admin@admin', password: fabric.adminPassword });
  const client = await createEndpoint({ transport, clock: wallClock });
  t.after(async () => {
    await client.close();
    await transport.close();
  });
  // A server's next status event, by id and status.
  const waiting = new Map<string, (hostId: string | null) => void>();
  const seen = new Map<string, string | null>();
  await client.listen(`cumulo/events/${project}/instance/+`, ({ envelope }) => {
    const body = envelope.body as { id: string; status: string; previous: string | null; hostId: string | null };
    if (!(body.previous === 'BUILD' && (body.status === 'ACTIVE' || body.status === 'ERROR')) && body.status !== 'DELETED') return;
    const key = `${body.id} ${body.status === 'DELETED' ? 'DELETED' : 'SETTLED'}`;
    const waiter = waiting.get(key);
    if (waiter === undefined) seen.set(key, body.hostId);
    else {
      waiting.delete(key);
      waiter(body.hostId);
    }
  });
  const next = (id: string, what: 'SETTLED' | 'DELETED'): Promise<string | null> => {
    const key = `${id} ${what}`;
    if (seen.has(key)) return Promise.resolve(seen.get(key)!);
    return new Promise((resolve) => waiting.set(key, resolve));
  };
  const send = (op: Operation, body: Record<string, unknown>) =>
    client.ask(topics.mailbox(shardOf('instance', op.id)), `instance/${op.id}`, op.op, body, { token, timeoutMs: 30_000 });

  const fabricHosts = new Map<string, string | null>();
  for (const op of sim.operations!) {
    if (op.op === 'create') {
      const settled = next(op.id, 'SETTLED');
      const created = await send(op, { name: `vm-${op.id.slice(0, 8)}`, flavorId: op.flavor, ...(op.zone === null ? {} : { zone: op.zone }) });
      assert.ok(created.ok, `create ${op.id}: ${created.ok ? '' : created.error.message}`);
      fabricHosts.set(op.id, await settled);
    } else {
      const deleted = next(op.id, 'DELETED');
      const answer = await send(op, {});
      assert.ok(answer.ok, `delete ${op.id}`);
      await deleted;
    }
  }
  assert.equal(fabricHosts.size, simHosts.size);
  assert.deepEqual(fabricHosts, simHosts);
});
