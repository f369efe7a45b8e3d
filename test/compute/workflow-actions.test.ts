// Server actions on the real kinds: stop, start, soft and hard reboot move status and task_state
// as the table says (the answer shows the task under way, the event the status reached), wrong
// states are refused 409 in Nova's words, rename and metadata change nothing else, delete gives
// back the host's claim and the project's quota, and every status change is published in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../supervision/index.js';
import type { InstanceView, ServersIndexReply } from '../../actors/compute/index.js';
import type { Result } from '../../transports/errors.js';
import { ALICE, claimsByHost, startCompute, type Compute } from './workflow-fixture.js';

async function act(c: Compute, id: string, msg: Record<string, unknown>): Promise<Result<InstanceView>> {
  return c.drive(c.ask<InstanceView>('instance', id, { caller: ALICE, ...msg } as unknown as Message));
}

async function booted(c: Compute, fields: Record<string, unknown> = {}): Promise<string> {
  const created = await c.create(ALICE, fields);
  assert.ok(created.ok, JSON.stringify(created));
  await c.reach(created.value.id, 'ACTIVE');
  return created.value.id;
}

function refusedWith(r: Result<InstanceView>, code: string, status: number, message?: string): void {
  assert.ok(!r.ok, `expected ${code}, got ${JSON.stringify(r)}`);
  assert.equal(r.error.code, code);
  assert.equal(r.error.status, status);
  if (message !== undefined) assert.equal(r.error.message, message);
}

void test('stop, start, soft and hard reboot: task states on the answer, statuses on the events', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await booted(c);

  const stopping = await act(c, id, { type: 'stop' });
  assert.ok(stopping.ok);
  assert.deepEqual([stopping.value.status, stopping.value.taskState], ['ACTIVE', 'powering-off']);
  const stopped = await c.reach(id, 'SHUTOFF');
  assert.deepEqual([stopped.taskState, stopped.vmState, stopped.powerState], [null, 'stopped', 4]);
  refusedWith(await act(c, id, { type: 'stop' }), 'INSTANCE_INVALID_STATE', 409, `Cannot 'stop' instance ${id} while it is in vm_state stopped`);
  refusedWith(await act(c, id, { type: 'reboot' }), 'INSTANCE_INVALID_STATE', 409, `Cannot 'reboot' instance ${id} while it is in vm_state stopped`);

  // Two starts at once: the second is handled while the first's task is under way, and is
  // refused by its task_state.
  const start = { caller: ALICE, type: 'start' } as unknown as Message;
  const [starting, again] = await c.drive(Promise.all([c.ask<InstanceView>('instance', id, start), c.ask<InstanceView>('instance', id, start)]));
  assert.ok(starting.ok);
  assert.deepEqual([starting.value.status, starting.value.taskState], ['SHUTOFF', 'powering-on']);
  refusedWith(again, 'INSTANCE_INVALID_STATE', 409, `Cannot 'start' instance ${id} while it is in task_state powering-on`);
  const started = await c.reach(id, 'ACTIVE', 2);
  assert.equal(started.powerState, 1);
  refusedWith(await act(c, id, { type: 'start' }), 'INSTANCE_INVALID_STATE', 409, `Cannot 'start' instance ${id} while it is in vm_state active`);

  let mark = c.events.all.length;
  const [soft, stopDuringReboot] = await c.drive(
    Promise.all([
      c.ask<InstanceView>('instance', id, { caller: ALICE, type: 'reboot' } as unknown as Message),
      c.ask<InstanceView>('instance', id, { caller: ALICE, type: 'stop' } as unknown as Message),
    ]),
  );
  assert.ok(soft.ok);
  assert.deepEqual([soft.value.status, soft.value.taskState], ['REBOOT', 'rebooting']);
  refusedWith(stopDuringReboot, 'INSTANCE_INVALID_STATE', 409, `Cannot 'stop' instance ${id} while it is in task_state rebooting`);
  await c.reach(id, 'ACTIVE', mark);

  mark = c.events.all.length;
  const hard = await act(c, id, { type: 'reboot', hard: true });
  assert.ok(hard.ok);
  assert.deepEqual([hard.value.status, hard.value.taskState], ['HARD_REBOOT', 'rebooting_hard']);
  await c.reach(id, 'ACTIVE', mark);

  // Hard reboot brings a stopped server back.
  assert.ok((await act(c, id, { type: 'stop' })).ok);
  await c.reach(id, 'SHUTOFF');
  mark = c.events.all.length;
  assert.ok((await act(c, id, { type: 'reboot', hard: true })).ok);
  await c.reach(id, 'ACTIVE', mark);

  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE', 'SHUTOFF', 'ACTIVE', 'REBOOT', 'ACTIVE', 'HARD_REBOOT', 'ACTIVE', 'SHUTOFF', 'HARD_REBOOT', 'ACTIVE']);
  // Each event names the status it left.
  const previous = c.events.all.filter((e) => e.type === 'instance.status' && e.id === id).map((e) => e.body.previous);
  assert.deepEqual(previous, [null, 'BUILD', 'ACTIVE', 'SHUTOFF', 'ACTIVE', 'REBOOT', 'ACTIVE', 'HARD_REBOOT', 'ACTIVE', 'SHUTOFF', 'HARD_REBOOT']);
  // Event times never go backwards.
  const times = c.events.all.filter((e) => e.id === id).map((e) => e.at);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
});

void test('actions on a building server are refused by its vm_state', async (t) => {
  // Boots take 5 s of virtual time: the server stays in BUILD while the actions are asked.
  const c = await startCompute({ driver: { bootTime: { kind: 'fixed', ms: 5_000 } } });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const id = created.value.id;
  for (const [msg, action] of [
    [{ type: 'stop' }, 'stop'],
    [{ type: 'start' }, 'start'],
    [{ type: 'reboot' }, 'reboot'],
    [{ type: 'reboot', hard: true }, 'reboot'],
  ] as const) {
    const r = await c.ask<InstanceView>('instance', id, { caller: ALICE, ...msg } as unknown as Message);
    refusedWith(r, 'INSTANCE_INVALID_STATE', 409, `Cannot '${action}' instance ${id} while it is in vm_state building`);
  }
  await c.reach(id, 'ACTIVE');
});

void test('rename and metadata change only what they name, in any settled state', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await booted(c, { metadata: { a: '1', b: '2' } });
  const renamed = await act(c, id, { type: 'rename', name: 'db-primary' });
  assert.ok(renamed.ok);
  assert.equal(renamed.value.name, 'db-primary');
  assert.equal(renamed.value.status, 'ACTIVE');
  refusedWith(await act(c, id, { type: 'rename', name: '  ' }), 'BAD_REQUEST', 400);

  const merged = await act(c, id, { type: 'setMetadata', metadata: { b: 'two', c: '3' } });
  assert.ok(merged.ok);
  assert.deepEqual(merged.value.metadata, { a: '1', b: 'two', c: '3' });
  const replaced = await act(c, id, { type: 'setMetadata', metadata: { z: '26' }, replace: true });
  assert.ok(replaced.ok);
  assert.deepEqual(replaced.value.metadata, { z: '26' });
  refusedWith(await act(c, id, { type: 'deleteMetadata', keys: ['nope'] }), 'NOT_FOUND', 404);
  const removed = await act(c, id, { type: 'deleteMetadata', keys: ['z'] });
  assert.ok(removed.ok);
  assert.deepEqual(removed.value.metadata, {});
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
  refusedWith(await act(c, id, { type: 'setMetadata', metadata: many }), 'BAD_REQUEST', 400);
  const spread = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v']));
  assert.ok((await act(c, id, { type: 'setMetadata', metadata: spread })).ok);
  const more = Object.fromEntries(Array.from({ length: 29 }, (_, i) => [`m${i}`, 'v']));
  refusedWith(await act(c, id, { type: 'setMetadata', metadata: more }), 'QUOTA_EXCEEDED', 403);

  // Stopped servers can be renamed too; the index follows the name.
  assert.ok((await act(c, id, { type: 'stop' })).ok);
  await c.reach(id, 'SHUTOFF');
  assert.ok((await act(c, id, { type: 'rename', name: 'db-old' })).ok);
  const listed = await c.must<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE } as Message);
  assert.ok('servers' in listed);
  assert.deepEqual(
    listed.servers.map((s) => [s.name, s.status]),
    [['db-old', 'SHUTOFF']],
  );
  assert.deepEqual(
    c.events.all.filter((e) => e.type === 'instance.updated').map((e) => e.body.name),
    ['db-primary', 'db-primary', 'db-primary', 'db-primary', 'db-primary', 'db-old'],
  );
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE', 'SHUTOFF']);
});

void test('delete gives back the claim and the quota, removes the server from the index, and answers 404 after', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const a = await booted(c, { flavorId: '3' });
  const b = await booted(c, { flavorId: '2' });
  assert.ok((await act(c, b, { type: 'stop' })).ok);
  await c.reach(b, 'SHUTOFF');
  const before = await c.quota('project-a');
  assert.deepEqual([before.inUse.instances, before.inUse.cores, before.inUse.ramMb], [2, 3, 6144]);

  const deleted = await act(c, a, { type: 'delete' });
  assert.ok(deleted.ok);
  assert.equal(deleted.value.status, 'DELETED');
  assert.equal(deleted.value.hostId, null);
  const stoppedDeleted = await act(c, b, { type: 'delete' });
  assert.ok(stoppedDeleted.ok);

  for (const [, sum] of await claimsByHost(c)) assert.deepEqual(sum, { vcpus: 0, ramMb: 0, diskGb: 0, instances: [] });
  const after = await c.quota('project-a');
  assert.deepEqual([after.inUse.instances ?? 0, after.inUse.cores ?? 0, after.inUse.ramMb ?? 0], [0, 0, 0]);
  assert.deepEqual([after.reserved.instances ?? 0], [0]);
  for (const h of c.hostIds) assert.deepEqual((await c.host(h)).domains, {});

  refusedWith(await c.show(ALICE, a), 'INSTANCE_NOT_FOUND', 404, `Instance ${a} could not be found.`);
  refusedWith(await act(c, a, { type: 'delete' }), 'INSTANCE_NOT_FOUND', 404);
  const listed = await c.must<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE } as Message);
  assert.ok('servers' in listed);
  assert.deepEqual(listed.servers, []);
  assert.deepEqual(c.events.statuses(a), ['BUILD', 'ACTIVE', 'DELETED']);
  assert.deepEqual(c.events.statuses(b), ['BUILD', 'ACTIVE', 'SHUTOFF', 'DELETED']);
  assert.ok(!c.store.reminders().some((r) => r.key === `instance/${a}` || r.key === `instance/${b}`));
});

void test('delete during the build gives everything back, and a late spawn report changes nothing', async (t) => {
  const c = await startCompute({ driver: { bootTime: { kind: 'fixed', ms: 5_000 } } });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const id = created.value.id;
  // Let it reach spawning (the boot takes 5 s of virtual time).
  await c.drive(
    (async () => {
      for (;;) {
        const seen = await c.show(ALICE, id);
        if (seen.ok && seen.value.taskState === 'spawning') return seen.value;
        await c.clock.advanceAsync(1);
      }
    })(),
  );
  const deleted = await act(c, id, { type: 'delete' });
  assert.ok(deleted.ok);
  assert.equal(deleted.value.status, 'DELETED');
  await c.clock.advanceAsync(10_000);
  // A host's report arriving after the delete (in process: no caller) is ignored.
  const late = await c.drive(c.ask('instance', id, { type: 'spawned', hostId: deleted.value.hostId ?? 'host-1' } as Message));
  assert.ok(late.ok);
  for (const h of c.hostIds) {
    const stray = await c.drive(c.ask('instance', id, { type: 'spawned', hostId: h } as Message));
    assert.ok(stray.ok);
  }
  // A client can never speak for a host.
  const forged = await c.drive(c.ask('instance', id, { type: 'spawned', caller: ALICE, hostId: 'host-1' } as Message));
  assert.ok(!forged.ok);
  assert.equal(forged.error.code, 'FORBIDDEN');
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'DELETED']);
  for (const [, sum] of await claimsByHost(c)) assert.deepEqual(sum.instances, []);
  const quota = await c.quota('project-a');
  assert.deepEqual([quota.inUse.instances ?? 0, quota.reserved.instances ?? 0], [0, 0]);
});

void test('delete during a reboot: the server shows ACTIVE while deleting, then DELETED; the reboot never runs', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await booted(c);
  const powered: string[] = [];
  c.system.inspect((e) => {
    if (e.type === 'received' && e.kind === 'host' && e.messageType === 'power') powered.push(e.path);
  });
  const [rebooting, deleted] = await c.drive(
    Promise.all([
      c.ask<InstanceView>('instance', id, { caller: ALICE, type: 'reboot' } as unknown as Message),
      c.ask<InstanceView>('instance', id, { caller: ALICE, type: 'delete' } as unknown as Message),
    ]),
  );
  assert.ok(rebooting.ok && deleted.ok);
  assert.equal(deleted.value.status, 'DELETED');
  await c.clock.advanceAsync(1_000);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE', 'REBOOT', 'ACTIVE', 'DELETED']);
  assert.deepEqual(powered, []);
  for (const [, sum] of await claimsByHost(c)) assert.deepEqual(sum.instances, []);
});
