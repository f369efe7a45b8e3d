// A scripted hypervisor under the real host actors. It proves: a stop the hypervisor refuses
// reverts the task (the server stays ACTIVE) and publishes instance.actionFailed; a failed
// reboot ends in ERROR with a fault while the server keeps its host, claim and quota, and a hard
// reboot brings it back ACTIVE; a boot the host never reports fails on that host after the spawn
// timeout and the server is rebuilt elsewhere; a destroy the hypervisor refuses does not keep a
// delete from finishing and giving back the claim and quota (Nova's local delete).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceView } from '../../actors/compute/index.js';
import type { DriverOutcome, HypervisorDriver, PowerAction } from '../../hosts/compute/index.js';
import type { Message } from '../../supervision/index.js';
import type { Result } from '../../transports/errors.js';
import { ALICE, claimsByHost, startCompute, type Compute } from './workflow-fixture.js';

const OK: DriverOutcome = { ok: true };

class Script {
  readonly failPower = new Set<PowerAction>();
  /** Boots that never end (the first ones asked). */
  hangSpawns = 0;
  failDestroy = false;
  readonly spawnedOn: string[] = [];

  driver(): HypervisorDriver {
    return {
      name: 'scripted',
      spawn: (spec) => {
        this.spawnedOn.push(spec.hostId);
        if (this.hangSpawns > 0) {
          this.hangSpawns--;
          return new Promise<DriverOutcome>(() => undefined);
        }
        return Promise.resolve(OK);
      },
      destroy: () => Promise.resolve(this.failDestroy ? { ok: false, reason: 'the domain is stuck' } : OK),
      power: (_host, _id, action) => Promise.resolve(this.failPower.has(action) ? { ok: false, reason: `${action} refused by the hypervisor` } : OK),
    };
  }
}

function act(c: Compute, id: string, msg: Record<string, unknown>): Promise<Result<InstanceView>> {
  return c.drive(c.ask<InstanceView>('instance', id, { caller: ALICE, ...msg } as unknown as Message));
}

async function booted(c: Compute): Promise<InstanceView> {
  const created = await c.create(ALICE, { flavorId: '2' });
  assert.ok(created.ok, JSON.stringify(created));
  return c.reach(created.value.id, 'ACTIVE');
}

void test('a refused stop reverts the task; a failed reboot is ERROR on its host, and a hard reboot recovers it', async (t) => {
  const script = new Script();
  const c = await startCompute({ hypervisor: script.driver() });
  t.after(() => c.stop());
  const server = await booted(c);
  const id = server.id;

  script.failPower.add('stop');
  assert.ok((await act(c, id, { type: 'stop' })).ok);
  const failure = await c.drive(c.events.find((e) => e.type === 'instance.actionFailed' && e.id === id));
  assert.equal(failure.body.action, 'stop');
  assert.match(String(failure.body.message), /stop refused by the hypervisor/);
  const reverted = await c.show(ALICE, id);
  assert.ok(reverted.ok);
  assert.deepEqual([reverted.value.status, reverted.value.taskState, reverted.value.fault], ['ACTIVE', null, null]);

  script.failPower.add('reboot-soft');
  assert.ok((await act(c, id, { type: 'reboot' })).ok);
  const errored = await c.reach(id, 'ERROR');
  assert.deepEqual([errored.taskState, errored.hostId], [null, server.hostId]);
  assert.equal(errored.fault?.code, 500);
  assert.match(errored.fault?.message ?? '', new RegExp(`^Failed to reboot-soft instance ${id}: `));
  // Still on its host: claim and quota kept.
  assert.deepEqual((await claimsByHost(c)).get(server.hostId!)?.instances, [id]);
  assert.equal((await c.quota('project-a')).inUse.instances, 1);
  // A soft reboot is not allowed from ERROR; a hard one is.
  const soft = await act(c, id, { type: 'reboot' });
  assert.ok(!soft.ok);
  assert.equal(soft.error.message, `Cannot 'reboot' instance ${id} while it is in vm_state error`);
  const mark = c.events.all.length;
  assert.ok((await act(c, id, { type: 'reboot', hard: true })).ok);
  const recovered = await c.reach(id, 'ACTIVE', mark);
  assert.deepEqual([recovered.fault, recovered.hostId], [null, server.hostId]);
  assert.deepEqual(c.events.statuses(id), ['BUILD', 'ACTIVE', 'REBOOT', 'ERROR', 'HARD_REBOOT', 'ACTIVE']);
});

void test('a server in ERROR from its build has no host: stop and hard reboot are refused', async (t) => {
  const c = await startCompute({ hosts: 0 });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const id = created.value.id;
  await c.reach(id, 'ERROR');
  for (const msg of [{ type: 'stop' }, { type: 'reboot', hard: true }]) {
    const r = await act(c, id, msg);
    assert.ok(!r.ok);
    assert.deepEqual([r.error.code, r.error.status], ['INSTANCE_INVALID_STATE', 409]);
  }
});

void test('a boot the host never reports fails there after the spawn timeout; the server is rebuilt elsewhere', async (t) => {
  const script = new Script();
  script.hangSpawns = 1;
  const c = await startCompute({ hypervisor: script.driver(), instances: { spawnTimeoutMs: 10_000, resumeEveryMs: 2_000 } });
  t.after(() => c.stop());
  const created = await c.create(ALICE);
  assert.ok(created.ok);
  const started = c.clock.now();
  const active = await c.reach(created.value.id, 'ACTIVE');
  assert.ok(c.clock.now() - started >= 10_000, 'not before the timeout');
  assert.equal(script.spawnedOn.length, 2);
  assert.notEqual(script.spawnedOn[0], script.spawnedOn[1]);
  assert.equal(active.hostId, script.spawnedOn[1]);
  const claims = await claimsByHost(c);
  assert.deepEqual(claims.get(script.spawnedOn[0]!)?.instances, []);
  assert.deepEqual(claims.get(active.hostId)?.instances, [active.id]);
});

void test('a destroy the hypervisor refuses does not keep a delete from giving everything back', async (t) => {
  const script = new Script();
  const c = await startCompute({ hypervisor: script.driver() });
  t.after(() => c.stop());
  const server = await booted(c);
  script.failDestroy = true;
  const deleted = await act(c, server.id, { type: 'delete' });
  assert.ok(deleted.ok);
  assert.equal(deleted.value.status, 'DELETED');
  for (const [, sum] of await claimsByHost(c)) assert.deepEqual(sum.instances, []);
  const quota = await c.quota('project-a');
  assert.deepEqual([quota.inUse.instances ?? 0, quota.reserved.instances ?? 0], [0, 0]);
});
