// Identity publishes project and role events on its sink after persisting them: a project's
// creation, update and deletion, and grants and revocations of roles on a project, each with
// the project it belongs to (the event topic's project level).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identityFixture, unwrap } from './identity-fixture.js';
import type { ResourceEvent } from '../../actors/events.js';

test('project and role events carry their project, kind, id and clock time', async (t) => {
  const seen: ResourceEvent[] = [];
  const f = await identityFixture(t, { events: { publish: (e) => void seen.push(e) } });
  const alpha = await f.project('alpha');
  const user = await f.user('alice', 'pw', alpha.id, 'member');
  unwrap(await f.ask({ type: 'updateProject', caller: f.admin, projectId: alpha.id, description: 'the first' }));
  unwrap(await f.ask({ type: 'revoke', caller: f.admin, userId: user.id, projectId: alpha.id, role: 'member' }));
  unwrap(await f.ask({ type: 'deleteProject', caller: f.admin, projectId: alpha.id }));
  assert.deepEqual(
    seen.map((e) => [e.type, e.projectId, e.kind, e.id, e.at]),
    [
      ['identity.project.created', alpha.id, 'project', alpha.id, f.clock.now()],
      ['identity.role.granted', alpha.id, 'user', user.id, f.clock.now()],
      ['identity.project.updated', alpha.id, 'project', alpha.id, f.clock.now()],
      ['identity.role.revoked', alpha.id, 'user', user.id, f.clock.now()],
      ['identity.project.deleted', alpha.id, 'project', alpha.id, f.clock.now()],
    ],
  );
  assert.equal(seen[0]!.body.name, 'alpha');
  assert.equal(seen[1]!.body.role, 'member');
});
