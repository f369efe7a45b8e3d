// The identity client through the SDK (in process): a new cloud has the admin project and user;
// the admin creates a project and a user, grants and revokes roles, lists assignments; the user
// gets tokens, sees its projects, changes its password (its tokens end); a revoked token stops
// working at once, and the clients' errors are FabricErrors with the identity codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cloud, FabricError } from '../../sdk/index.js';

const is = (code: string) => (e: unknown) => e instanceof FabricError && e.code === code;

test('projects, users, role assignments and tokens through cloud.identity', async (t) => {
  const admin = await Cloud.start({ hosts: 1, apiPort: null, passwordCost: 1024 });
  t.after(() => admin.stop());
  const id = admin.identity;
  assert.deepEqual((await id.projects()).map((p) => p.name), ['admin']);
  assert.deepEqual((await id.users()).map((u) => u.name), ['admin']);

  const dev = await id.createProject({ name: 'dev', description: 'developers' });
  assert.deepEqual(await id.getProject(dev.id), dev);
  await assert.rejects(id.createProject({ name: 'dev' }), is('PROJECT_NAME_TAKEN'));
  const carol = await id.createUser({ name: 'carol', password: 'carol-secret', defaultProjectId: dev.id });
  assert.deepEqual((await id.users({ name: 'carol' })).map((u) => u.id), [carol.id]);

  // No role yet: a token scoped to dev is refused.
  await assert.rejects(id.issueToken({ username: 'carol', password: 'carol-secret', projectName: 'dev' }), is('UNAUTHORIZED'));
  await id.assignProjectRoleToUser(dev.id, carol.id, 'member');
  assert.deepEqual(
    (await id.roleAssignments({ userId: carol.id })).map((a) => `${a.role}@${a.projectId}`),
    [`member@${dev.id}`],
  );
  const token = await id.issueToken({ username: 'carol', password: 'carol-secret', projectName: 'dev' });
  assert.equal(token.caller.projectId, dev.id);
  assert.ok(token.caller.roles.includes('member'));
  assert.equal((await id.validateToken(token.token)).userId, carol.id);

  // carol's own client.
  const carolCloud = await Cloud.attach(admin.fabric!, { username: 'carol', password: 'carol-secret', projectName: 'dev' });
  t.after(() => carolCloud.stop());
  assert.deepEqual((await carolCloud.identity.userProjects()).map((p) => p.name), ['dev']);
  await assert.rejects(carolCloud.identity.users(), is('FORBIDDEN'));
  await assert.rejects(carolCloud.identity.assignProjectRoleToUser(dev.id, carol.id, 'admin'), is('FORBIDDEN'));

  // A revoked token is refused at once; a changed password ends the user's tokens.
  await carolCloud.identity.revokeToken(token.token);
  await assert.rejects(id.validateToken(token.token), is('NOT_FOUND'));
  const second = await id.issueToken({ username: 'carol', password: 'carol-secret', projectName: 'dev' });
  await carolCloud.identity.changePassword(carol.id, 'carol-secret', 'carol-new-secret');
  await assert.rejects(id.validateToken(second.token), is('NOT_FOUND'));
  await assert.rejects(id.issueToken({ username: 'carol', password: 'carol-secret', projectName: 'dev' }), is('UNAUTHORIZED'));
  await id.issueToken({ username: 'carol', password: 'carol-new-secret', projectName: 'dev' });

  // Taking the role away ends dev-scoped logins.
  await id.unassignProjectRoleFromUser(dev.id, carol.id, 'member');
  assert.deepEqual(await id.roleAssignments({ userId: carol.id }), []);
  await assert.rejects(id.issueToken({ username: 'carol', password: 'carol-new-secret', projectName: 'dev' }), is('UNAUTHORIZED'));
  const disabled = await id.updateUser(carol.id, { enabled: false });
  assert.equal(disabled.enabled, false);
  await id.deleteUser(carol.id);
  await assert.rejects(id.getUser(carol.id), is('USER_NOT_FOUND'));
});
