// The compute client end to end through the SDK, on the in-process transport and once over the
// embedded MQTT broker: a new cloud has DevStack's flavors; the admin creates a flavor, boots a
// server with it (by name), lists it, stops, starts, reboots and deletes it, each awaited by
// events; the server's status events arrive in order, each naming the one before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud, FabricError, type CloudEvent, type TransportChoice } from '../../sdk/index.js';

/** Collects the `instance.status` events of one server until `last` (or the iterator ends). */
async function statusesOf(events: AsyncIterableIterator<CloudEvent>, id: string, last: string): Promise<CloudEvent[]> {
  const seen: CloudEvent[] = [];
  for await (const e of events) {
    if (e.kind !== 'instance' || e.id !== id || e.type !== 'instance.status') continue;
    seen.push(e);
    if (e.body.status === last) break;
  }
  return seen;
}

async function lifecycle(transport: TransportChoice): Promise<void> {
  const cloud = await Cloud.start({ hosts: 2, apiPort: null, transport, passwordCost: 1024 });
  try {
    assert.deepEqual(
      (await cloud.compute.flavors()).map((f) => `${f.id} ${f.name} ${f.vcpus}/${f.ramMb}/${f.diskGb}`),
      ['1 m1.tiny 1/512/1', '2 m1.small 1/2048/20', '3 m1.medium 2/4096/40', '4 m1.large 4/8192/80', '5 m1.xlarge 8/16384/160'],
    );
    const flavor = await cloud.compute.createFlavor({ name: 'c1.test', vcpus: 2, ramMb: 1024, diskGb: 5 });
    assert.equal((await cloud.compute.getFlavor('c1.test')).id, flavor.id);

    const events = await cloud.events();
    const server = await cloud.compute.createServer({ name: 'web-1', flavorId: 'c1.test', metadata: { role: 'web' } });
    assert.match(server.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(server.status, 'BUILD');
    const active = await cloud.compute.waitForServer(server.id, { status: 'ACTIVE', timeoutMs: 5000 });
    assert.equal(active.flavor.id, flavor.id);
    assert.match(active.hostId ?? '', /^host-[12]$/);

    const listed = await cloud.compute.servers();
    assert.deepEqual(
      listed.map((s) => [s.id, s.name, s.status, s.flavorId]),
      [[server.id, 'web-1', 'ACTIVE', flavor.id]],
    );

    await cloud.compute.stopServer(server.id);
    assert.equal((await cloud.compute.waitForServer(server.id, { status: 'SHUTOFF' })).powerState, 4);
    await cloud.compute.startServer(server.id);
    await cloud.compute.waitForServer(server.id);
    const rebooting = await cloud.compute.rebootServer(server.id, { type: 'SOFT' });
    assert.equal(rebooting.status, 'REBOOT');
    await cloud.compute.waitForServer(server.id);
    const renamed = await cloud.compute.updateServer(server.id, { name: 'web-one' });
    assert.equal(renamed.name, 'web-one');
    await cloud.compute.deleteServer(server.id);
    await cloud.compute.waitForDelete(server.id);
    assert.deepEqual(await cloud.compute.servers(), []);
    await assert.rejects(cloud.compute.getServer(server.id), (e: FabricError) => e.code === 'INSTANCE_NOT_FOUND' && e.value.status === 404);

    const statuses = await statusesOf(events, server.id, 'DELETED');
    await events.return?.();
    assert.deepEqual(
      statuses.map((e) => e.body.status),
      ['BUILD', 'ACTIVE', 'SHUTOFF', 'ACTIVE', 'REBOOT', 'ACTIVE', 'DELETED'],
    );
    // Each event names the status before it, and their times never go back.
    assert.deepEqual(
      statuses.map((e) => e.body.previous),
      [null, 'BUILD', 'ACTIVE', 'SHUTOFF', 'ACTIVE', 'REBOOT', 'ACTIVE'],
    );
    for (let i = 1; i < statuses.length; i++) assert.ok(statuses[i]!.at >= statuses[i - 1]!.at);
    // The quota was given back.
    assert.deepEqual((await cloud.compute.getQuota()).inUse, { cores: 0, instances: 0, ramMb: 0 });
  } finally {
    await cloud.stop();
  }
}

test('start, flavor create, boot, list, stop, start, reboot, delete; events in order (in process)', () => lifecycle('inproc'));

test('the same over the embedded MQTT broker', () => lifecycle('mqtt'));

test('a server that cannot be placed: waitForServer throws SERVER_FAILED with the fault', async (t) => {
  const cloud = await Cloud.start({ hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => cloud.stop());
  await cloud.compute.setQuota(cloud.caller.projectId!, { cores: -1, ramMb: -1 });
  // Bigger than any host: the call for bids finds no valid host.
  const huge = await cloud.compute.createFlavor({ name: 'huge', vcpus: 4096, ramMb: 1_000_000, diskGb: 1 });
  const server = await cloud.compute.createServer({ name: 'too-big', flavorId: huge.id });
  await assert.rejects(cloud.compute.waitForServer(server.id, { timeoutMs: 5000 }), (e: FabricError) => {
    assert.equal(e.code, 'SERVER_FAILED');
    assert.equal(e.value.status, 409);
    assert.match(JSON.stringify(e.value.details), /No valid host was found/);
    return true;
  });
  // Waiting for ERROR itself succeeds; waiting on a failed server for anything else fails at once.
  assert.equal((await cloud.compute.waitForServer(server.id, { status: 'ERROR' })).fault?.code, 500);
  await assert.rejects(cloud.compute.waitForServer(server.id, { status: 'SHUTOFF', timeoutMs: 5000 }), (e: FabricError) => e.code === 'SERVER_FAILED');
});

test('createServer resolves flavor names the actor cannot take as ids; networks other than auto/none are refused', async (t) => {
  const cloud = await Cloud.start({ hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => cloud.stop());
  const spaced = await cloud.compute.createFlavor({ name: 'small with spaces', vcpus: 1, ramMb: 256, diskGb: 1 });
  const server = await cloud.compute.createServer({ name: 'a', flavorId: 'small with spaces', networks: 'none' });
  assert.equal(server.flavor.id, spaced.id);
  await assert.rejects(
    cloud.compute.createServer({ name: 'b', flavorId: '1', networks: [{ uuid: 'x' }] as unknown as 'auto' }),
    (e: FabricError) => e.code === 'BAD_REQUEST',
  );
  await assert.rejects(cloud.compute.createServer({ name: 'c', flavorId: 'no such flavor' }), (e: FabricError) => e.code === 'FLAVOR_NOT_FOUND');
  // The same id twice is refused, so a retried create is safe.
  await assert.rejects(cloud.compute.createServer({ name: 'a', flavorId: '1', id: server.id }), (e: FabricError) => e.code === 'INSTANCE_EXISTS');
  // A timed-out wait says so.
  await assert.rejects(cloud.compute.waitForServer(server.id, { status: 'SHUTOFF', timeoutMs: 50 }), (e: FabricError) => e.code === 'TIMEOUT');
});

test('key pairs, server groups, zones, hypervisors and services through the client', async (t) => {
  const cloud = await Cloud.start({ hosts: 3, apiPort: null, passwordCost: 1024 });
  t.after(() => cloud.stop());
  const c = cloud.compute;
  const generated = await c.createKeypair({ name: 'k1' });
  assert.ok('privateKey' in generated && generated.privateKey.includes('OPENSSH PRIVATE KEY'));
  assert.deepEqual((await c.keypairs()).map((k) => k.name), ['k1']);
  assert.equal((await c.getKeypair('k1')).fingerprint, generated.fingerprint);

  const group = await c.createServerGroup({ name: 'spread', policy: 'anti-affinity' });
  assert.deepEqual((await c.serverGroups()).map((g) => g.id), [group.id]);
  const servers = await Promise.all([1, 2, 3].map((i) => c.createServer({ name: `s${i}`, flavorId: 'm1.tiny', keyName: 'k1', groupId: group.id })));
  const hosts = await Promise.all(servers.map(async (s) => (await c.waitForServer(s.id, { timeoutMs: 5000 })).hostId));
  assert.equal(new Set(hosts).size, 3, `anti-affinity spreads: ${hosts.join(',')}`);
  assert.deepEqual([...(await c.getServerGroup(group.id)).members].sort(), servers.map((s) => s.id).sort());

  assert.deepEqual(await c.availabilityZones(), [{ name: 'nova', available: true, hosts: 3 }]);
  assert.deepEqual((await c.hypervisors()).map((h) => h.hostId).sort(), ['host-1', 'host-2', 'host-3']);
  await c.disableService('host-2', 'maintenance');
  const services = await c.computeServices();
  assert.deepEqual(
    services.map((s) => `${s.host} ${s.status} ${s.state}`).sort(),
    ['host-1 enabled up', 'host-2 disabled up', 'host-3 enabled up'],
  );
  assert.equal((await c.getHypervisor('host-2')).disabledReason, 'maintenance');
  await c.enableService('host-2');

  await c.deleteServerMetadata(servers[0]!.id, []).then(
    () => assert.fail('an empty key list is bad input'),
    (e: FabricError) => assert.equal(e.code, 'BAD_REQUEST'),
  );
  const meta = await c.setServerMetadata(servers[0]!.id, { a: '1', b: '2' });
  assert.deepEqual(meta.metadata, { a: '1', b: '2' });
  assert.deepEqual((await c.deleteServerMetadata(servers[0]!.id, ['a'])).metadata, { b: '2' });
  await Promise.all(servers.map((s) => c.deleteServer(s.id)));
  await Promise.all(servers.map((s) => c.waitForDelete(s.id)));
  await c.deleteServerGroup(group.id);
  await c.deleteKeypair('k1');
  assert.deepEqual(await c.keypairs(), []);
});
