// Who may do what to a server: another project's server does not exist for you (404 for show
// and every action, like Nova, never 403); a reader may look but change nothing (403); no token
// is 401; an admin may act on any project's server; the workflow's own messages cannot be sent
// by a client; a project's listing shows only its servers and only to its members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView, ServersIndexReply } from '../../actors/compute/index.js';
import type { Caller } from '../../actors/identity/caller.js';
import type { Message } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { ADMIN, ALICE, BOB, READER_A, startCompute, type Compute } from './workflow-fixture.js';

const ACTIONS: ReadonlyArray<Record<string, unknown>> = [
  { type: 'stop' },
  { type: 'start' },
  { type: 'reboot' },
  { type: 'reboot', hard: true },
  { type: 'rename', name: 'taken-over' },
  { type: 'setMetadata', metadata: { owner: 'mallory' } },
  { type: 'deleteMetadata', keys: ['role'] },
  { type: 'delete' },
];

function as(c: Compute, who: Caller | undefined, id: string, msg: Record<string, unknown>): Promise<Result<InstanceView>> {
  return c.drive(c.ask<InstanceView>('instance', id, { ...msg, caller: who } as unknown as Message));
}

async function bootFor(c: Compute, who: Caller, name: string): Promise<string> {
  const created = await c.create(who, { name, metadata: { role: 'web' } });
  assert.ok(created.ok, JSON.stringify(created));
  await c.reach(created.value.id, 'ACTIVE');
  return created.value.id;
}

void test('project B cannot see or touch project A\'s server: 404 for show and every action', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await bootFor(c, ALICE, 'a-web');
  const shown = await c.show(BOB, id);
  assert.ok(!shown.ok);
  assert.deepEqual([shown.error.code, shown.error.status, shown.error.message], ['INSTANCE_NOT_FOUND', 404, `Instance ${id} could not be found.`]);
  for (const msg of ACTIONS) {
    const r = await as(c, BOB, id, msg);
    assert.ok(!r.ok, JSON.stringify(msg));
    assert.equal(r.error.code, 'INSTANCE_NOT_FOUND', JSON.stringify(msg));
    assert.equal(r.error.status, 404);
  }
  const still = await c.show(ALICE, id);
  assert.ok(still.ok);
  assert.deepEqual([still.value.status, still.value.name, still.value.metadata], ['ACTIVE', 'a-web', { role: 'web' }]);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE']);
});

void test('a reader may show but not change: 403 for every action and for create', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await bootFor(c, ALICE, 'a-web');
  const shown = await c.show(READER_A, id);
  assert.ok(shown.ok);
  for (const msg of ACTIONS) {
    const r = await as(c, READER_A, id, msg);
    assert.ok(!r.ok, JSON.stringify(msg));
    assert.deepEqual([r.error.code, r.error.status], ['FORBIDDEN', 403], JSON.stringify(msg));
  }
  const created = await c.create(READER_A);
  assert.ok(!created.ok);
  assert.deepEqual([created.error.code, created.error.status], ['FORBIDDEN', 403]);
  const after = await c.show(ALICE, id);
  assert.ok(after.ok);
  assert.deepEqual([after.value.status, after.value.name], ['ACTIVE', 'a-web']);
});

void test('no token or a malformed caller is 401; an admin may act on any project\'s server', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await bootFor(c, ALICE, 'a-web');
  for (const who of [undefined, { userId: 'x' } as unknown as Caller]) {
    const r = await as(c, who, id, { type: 'show' });
    assert.ok(!r.ok);
    assert.deepEqual([r.error.code, r.error.status], ['UNAUTHORIZED', 401]);
  }
  const noProject = await c.create({ ...ALICE, projectId: null });
  assert.ok(!noProject.ok);
  assert.equal(noProject.error.status, 400);
  const stopped = await as(c, ADMIN, id, { type: 'stop' });
  assert.ok(stopped.ok);
  await c.reach(id, 'SHUTOFF');
});

void test('the workflow\'s own messages cannot come from a client', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const id = await bootFor(c, ALICE, 'a-web');
  for (const msg of [{ type: 'resume' }, { type: 'spawned', hostId: 'host-1' }, { type: 'spawnFailed', hostId: 'host-1', reason: 'forged' }]) {
    for (const who of [ALICE, ADMIN]) {
      const r = await as(c, who, id, msg);
      assert.ok(!r.ok, JSON.stringify(msg));
      assert.deepEqual([r.error.code, r.error.status], ['FORBIDDEN', 403]);
    }
  }
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE']);
});

void test('a project\'s listing shows only its servers, and only to its members (and admins)', async (t) => {
  const c = await startCompute();
  t.after(() => c.stop());
  const a1 = await bootFor(c, ALICE, 'a-1');
  const a2 = await bootFor(c, ALICE, 'a-2');
  const b1 = await bootFor(c, BOB, 'b-1');
  const list = (who: Caller, project: string) => c.drive(c.ask<ServersIndexReply>('servers', project, { type: 'list', caller: who } as Message));
  const ids = (r: Result<ServersIndexReply>): string[] => {
    assert.ok(r.ok && 'servers' in r.value, JSON.stringify(r));
    return r.value.servers.map((s) => s.id).sort();
  };
  assert.deepEqual(ids(await list(ALICE, 'project-a')), [a1, a2].sort());
  assert.deepEqual(ids(await list(READER_A, 'project-a')), [a1, a2].sort());
  assert.deepEqual(ids(await list(BOB, 'project-b')), [b1]);
  assert.deepEqual(ids(await list(ADMIN, 'project-b')), [b1]);
  const peek = await list(BOB, 'project-a');
  assert.ok(!peek.ok);
  assert.deepEqual([peek.error.code, peek.error.status], ['FORBIDDEN', 403]);
  // Filters and pages.
  const named = await c.drive(c.ask<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE, name: '-2' } as Message));
  assert.deepEqual(ids(named), [a2]);
  const first = await c.drive(c.ask<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE, limit: 1 } as Message));
  const firstIds = ids(first);
  assert.equal(firstIds.length, 1);
  const rest = await c.drive(c.ask<ServersIndexReply>('servers', 'project-a', { type: 'list', caller: ALICE, marker: firstIds[0] } as Message));
  assert.deepEqual([...firstIds, ...ids(rest)].sort(), [a1, a2].sort());
  // Only the fabric writes the index.
  const forged = await c.drive(c.ask('servers', 'project-a', { type: 'remove', caller: ALICE, id: a1 } as Message));
  assert.ok(!forged.ok);
  assert.equal(forged.error.code, 'FORBIDDEN');
  assert.deepEqual(ids(await list(ALICE, 'project-a')), [a1, a2].sort());
});
