// Projects are isolated through the SDK. Over MQTT (Cloud.connect to a Fabric on the embedded
// broker), the admin makes projects A and B with a member each through the identity client;
// B's member can neither see nor change A's server (404, as Nova), nor list A's servers (403);
// members manage no flavors, hosts or quotas (403). A reader of A, in process (Cloud.attach)
// and over MQTT (Cloud.connect: the broker takes its requests to mailboxes), sees A's servers
// and changes nothing (403 from the actors). Revoked tokens stop working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud, Fabric, FabricError, type Login } from '../../sdk/index.js';

const is = (code: string) => (e: unknown) => e instanceof FabricError && e.code === code;

async function makeProjectUser(admin: Cloud, project: string, user: string, role: 'member' | 'reader'): Promise<Login> {
  const existing = (await admin.identity.projects({ name: project }))[0];
  const p = existing ?? (await admin.identity.createProject({ name: project, description: `project ${project}` }));
  const u = await admin.identity.createUser({ name: user, password: `${user}-password`, defaultProjectId: p.id });
  await admin.identity.assignProjectRoleToUser(p.id, u.id, role);
  return { username: user, password: `${user}-password`, projectName: project };
}

test('over MQTT, project B can neither see nor change A’s servers; members manage no flavors, hosts or quotas', async (t) => {
  const fabric = await Fabric.start({ transport: 'mqtt', hosts: 2, apiPort: null, passwordCost: 1024 });
  t.after(() => fabric.stop());
  const url = fabric.mqttUrl!;
  const admin = await Cloud.connect({ url, username: 'admin', password: fabric.adminPassword, projectName: 'admin' });
  t.after(() => admin.stop());
  const aliceLogin = await makeProjectUser(admin, 'A', 'alice', 'member');
  const bobLogin = await makeProjectUser(admin, 'B', 'bob', 'member');
  const alice = await Cloud.connect({ url, ...aliceLogin });
  t.after(() => alice.stop());
  const bob = await Cloud.connect({ url, ...bobLogin });
  t.after(() => bob.stop());
  assert.equal(alice.caller.roles.includes('admin'), false);
  assert.notEqual(alice.caller.projectId, bob.caller.projectId);

  const server = await alice.compute.createServer({ name: 'a-1', flavorId: 'm1.tiny' });
  assert.equal(server.projectId, alice.caller.projectId);
  assert.equal((await alice.compute.waitForServer(server.id, { timeoutMs: 5000 })).status, 'ACTIVE');

  // B sees nothing of A's.
  await assert.rejects(bob.compute.getServer(server.id), is('INSTANCE_NOT_FOUND'));
  assert.deepEqual(await bob.compute.servers(), []);
  await assert.rejects(bob.compute.servers({ projectId: alice.caller.projectId! }), is('FORBIDDEN'));
  await assert.rejects(bob.compute.getQuota(alice.caller.projectId!), is('FORBIDDEN'));
  // ... and changes nothing of A's.
  await assert.rejects(bob.compute.stopServer(server.id), is('INSTANCE_NOT_FOUND'));
  await assert.rejects(bob.compute.rebootServer(server.id, { type: 'HARD' }), is('INSTANCE_NOT_FOUND'));
  await assert.rejects(bob.compute.updateServer(server.id, { name: 'mine' }), is('INSTANCE_NOT_FOUND'));
  await assert.rejects(bob.compute.setServerMetadata(server.id, { owner: 'bob' }), is('INSTANCE_NOT_FOUND'));
  await assert.rejects(bob.compute.deleteServer(server.id), is('INSTANCE_NOT_FOUND'));
  // Nor can B take A's id for a server of its own.
  await assert.rejects(bob.compute.createServer({ id: server.id, name: 'b-1', flavorId: 'm1.tiny' }), is('INSTANCE_EXISTS'));
  const after = await alice.compute.getServer(server.id);
  assert.deepEqual([after.name, after.status, after.metadata], ['a-1', 'ACTIVE', {}]);

  // Members manage no flavors, hosts, quotas or users.
  await assert.rejects(alice.compute.createFlavor({ name: 'mine', vcpus: 1, ramMb: 64, diskGb: 1 }), is('FORBIDDEN'));
  await assert.rejects(alice.compute.deleteFlavor('1'), is('FORBIDDEN'));
  await assert.rejects(alice.compute.hypervisors(), is('FORBIDDEN'));
  await assert.rejects(alice.compute.disableService('host-1'), is('FORBIDDEN'));
  await assert.rejects(alice.compute.setQuota(alice.caller.projectId!, { instances: 100 }), is('FORBIDDEN'));
  await assert.rejects(alice.identity.createProject({ name: 'C' }), is('FORBIDDEN'));
  assert.equal((await admin.compute.getHypervisor('host-1')).enabled, true);
  // Members see what they may use: the flavors and the zones.
  assert.equal((await alice.compute.flavors()).length, 5);
  assert.deepEqual((await alice.compute.availabilityZones()).map((z) => z.name), ['nova']);

  // The admin sees and acts on A's server.
  assert.equal((await admin.compute.servers({ projectId: alice.caller.projectId! })).length, 1);
  await admin.compute.stopServer(server.id);
  // waitForServer hears the project's events: the admin's token may not subscribe to A's over
  // MQTT. The broker refuses the subscription (SUBACK 0x80) and the transport says so at once.
  await assert.rejects(admin.compute.waitForServer(server.id, { status: 'SHUTOFF', timeoutMs: 5000 }), is('SUBSCRIPTION_REFUSED'));
  assert.equal((await alice.compute.waitForServer(server.id, { status: 'SHUTOFF', timeoutMs: 5000 })).status, 'SHUTOFF');

  // A revoked token is refused at once.
  const issued = await bob.identity.issueToken(bobLogin);
  await bob.identity.validateToken(issued.token);
  await bob.identity.revokeToken(issued.token);
  await assert.rejects(bob.identity.validateToken(issued.token), is('NOT_FOUND'));
});

test('a reader sees its project and changes nothing, in process and over MQTT', async (t) => {
  const fabric = await Fabric.start({ transport: 'inproc', hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => fabric.stop());
  const admin = await Cloud.attach(fabric);
  t.after(() => admin.stop());
  const alice = await Cloud.attach(fabric, await makeProjectUser(admin, 'A', 'alice', 'member'));
  t.after(() => alice.stop());
  const rita = await Cloud.attach(fabric, await makeProjectUser(admin, 'A', 'rita', 'reader'));
  t.after(() => rita.stop());
  assert.deepEqual(rita.caller.roles, ['reader']);
  const server = await alice.compute.createServer({ name: 'a-1', flavorId: 'm1.tiny' });

  assert.equal((await rita.compute.waitForServer(server.id, { timeoutMs: 5000 })).status, 'ACTIVE');
  assert.deepEqual((await rita.compute.servers()).map((s) => s.id), [server.id]);
  assert.equal((await rita.compute.getQuota()).inUse.instances, 1);
  for (const change of [
    () => rita.compute.createServer({ name: 'r-1', flavorId: 'm1.tiny' }),
    () => rita.compute.stopServer(server.id),
    () => rita.compute.rebootServer(server.id),
    () => rita.compute.updateServer(server.id, { name: 'x' }),
    () => rita.compute.setServerMetadata(server.id, { a: 'b' }),
    () => rita.compute.deleteServer(server.id),
    () => rita.compute.createServerGroup({ name: 'g', policy: 'affinity' }),
  ]) {
    await assert.rejects(change(), is('FORBIDDEN'));
  }
  assert.equal((await alice.compute.getServer(server.id)).status, 'ACTIVE');
  assert.equal(admin.fabric, fabric);
  assert.equal(rita.mqttUrl, undefined);

  // Over MQTT the same: a reader logs in (password or token), reads, and the actors refuse its
  // changes; the broker still keeps it to its own project's events.
  const broker = await Fabric.start({ transport: 'mqtt', hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => broker.stop());
  const root = await Cloud.attach(broker);
  t.after(() => root.stop());
  const aliceOverMqtt = await Cloud.attach(broker, await makeProjectUser(root, 'A', 'alice', 'member'));
  t.after(() => aliceOverMqtt.stop());
  const login = await makeProjectUser(root, 'A', 'rita', 'reader');
  const remote = await Cloud.connect({ url: broker.mqttUrl!, ...login });
  t.after(() => remote.stop());
  assert.deepEqual(remote.caller.roles, ['reader']);
  const hers = await aliceOverMqtt.compute.createServer({ name: 'a-2', flavorId: 'm1.tiny' });
  assert.equal((await remote.compute.waitForServer(hers.id, { timeoutMs: 5000 })).status, 'ACTIVE');
  assert.deepEqual((await remote.compute.servers()).map((s) => s.id), [hers.id]);
  assert.equal((await remote.compute.flavors()).length, 5);
  await assert.rejects(remote.compute.createServer({ name: 'r-2', flavorId: 'm1.tiny' }), is('FORBIDDEN'));
  await assert.rejects(remote.compute.deleteServer(hers.id), is('FORBIDDEN'));
  await assert.rejects(remote.compute.servers({ projectId: root.caller.projectId! }), is('FORBIDDEN'));
  assert.equal((await aliceOverMqtt.compute.getServer(hers.id)).status, 'ACTIVE');
});
