// What a token may do: a tiny project-owned kind checks mayRead/mayWrite with callers from real
// logins, so a reader reads, a member writes, an admin does both anywhere, and a token of
// project B can do nothing to project A's resource. Identity's own changes are for admins;
// names are unique per domain even when two createUser race; malformed callers are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Type } from '@sinclair/typebox';
import { identityFixture, unwrap } from './identity-fixture.js';
import { isCaller, mayRead, mayWrite, mustBeAdmin, type Caller, type ProjectView, type UserView } from '../../actors/identity/index.js';
import { defineKind, refuse } from '../../supervision/index.js';
import { compileCheck } from '../../actors/schema-check.js';

/** `note/<projectId>`: a resource of one project, as every service's kinds are. */
const NoteMessage = Type.Union([
  Type.Object({ type: Type.Literal('read'), caller: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('write'), caller: Type.Optional(Type.Unknown()), text: Type.String() }, { additionalProperties: false }),
]);
type NoteMessage = { type: 'read'; caller?: unknown } | { type: 'write'; caller?: unknown; text: string };
const checkNote = compileCheck(NoteMessage);

const noteKind = defineKind<{ text: string }, NoteMessage, string>({
  name: 'note',
  messageTypes: { read: true, write: true },
  initialState: { text: '' },
  async handle(ctx, msg) {
    const bad = checkNote(msg);
    if (bad !== undefined) return refuse(bad);
    switch (msg.type) {
      case 'read': {
        const denied = mayRead(msg.caller, ctx.id);
        return denied === undefined ? ctx.state.text : refuse(denied);
      }
      case 'write': {
        const denied = mayWrite(msg.caller, ctx.id);
        if (denied !== undefined) return refuse(denied);
        await ctx.persist({ text: msg.text });
        return msg.text;
      }
      default: {
        const never: never = msg;
        return never;
      }
    }
  },
});

const codeOf = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);

test('reader reads, member writes, admin does both in any project; project B’s tokens cannot touch project A', async (t) => {
  const f = await identityFixture(t);
  unwrap(f.system.register(noteKind));
  const a = await f.project('project-a');
  const b = await f.project('project-b');
  await f.user('reader-a', 'pw-ra', a.id, 'reader');
  await f.user('member-a', 'pw-ma', a.id, 'member');
  await f.user('member-b', 'pw-mb', b.id, 'member');
  await f.user('admin-b', 'pw-ab', b.id, 'admin');
  const callerOf = async (userName: string, password: string) => unwrap(await f.login({ userName, password })).caller;
  const readerA = await callerOf('reader-a', 'pw-ra');
  const memberA = await callerOf('member-a', 'pw-ma');
  const memberB = await callerOf('member-b', 'pw-mb');
  const adminB = await callerOf('admin-b', 'pw-ab');
  const noteA = f.system.ref(noteKind, a.id);

  assert.equal(codeOf(await noteA.ask({ type: 'write', caller: memberA, text: 'from a' })), 'ok');
  assert.equal(unwrap(await noteA.ask({ type: 'read', caller: readerA })), 'from a');
  assert.equal(codeOf(await noteA.ask({ type: 'write', caller: readerA, text: 'x' })), 'FORBIDDEN');
  // Isolation: a member of B neither reads nor writes A's note.
  assert.equal(codeOf(await noteA.ask({ type: 'read', caller: memberB })), 'FORBIDDEN');
  assert.equal(codeOf(await noteA.ask({ type: 'write', caller: memberB, text: 'x' })), 'FORBIDDEN');
  // No caller, or a forged one, is UNAUTHORIZED.
  assert.equal(codeOf(await noteA.ask({ type: 'read' })), 'UNAUTHORIZED');
  assert.equal(codeOf(await noteA.ask({ type: 'read', caller: { userId: 'x', projectId: a.id, roles: ['admin'] } })), 'UNAUTHORIZED');
  // Admin is cloud-wide (Nova's default policy): an admin of B may act on A.
  assert.equal(codeOf(await noteA.ask({ type: 'write', caller: adminB, text: 'by admin' })), 'ok');
  assert.equal(unwrap(await noteA.ask({ type: 'read', caller: memberA })), 'by admin');
});

test('identity changes are for admins: a member may not create projects or users, grant roles or list users', async (t) => {
  const f = await identityFixture(t);
  const a = await f.project('project-a');
  const member = await f.user('member-a', 'pw', a.id, 'member');
  const caller = unwrap(await f.login({ userName: 'member-a', password: 'pw' })).caller;
  for (const msg of [
    { type: 'createProject', caller, name: 'mine' },
    { type: 'createUser', caller, name: 'friend', password: 'pw' },
    { type: 'grant', caller, userId: member.id, projectId: a.id, role: 'admin' },
    { type: 'updateUser', caller, userId: member.id, enabled: true },
    { type: 'deleteProject', caller, projectId: a.id },
    { type: 'listUsers', caller },
    { type: 'listProjects', caller },
    { type: 'listAssignments', caller },
  ] as const) {
    assert.equal(codeOf(await f.ask(msg)), 'FORBIDDEN', msg.type);
  }
  // What a member may see: its own user, its project, its projects and its own roles.
  assert.equal((unwrap(await f.ask({ type: 'showUser', caller, userId: member.id })) as UserView).name, 'member-a');
  assert.equal(codeOf(await f.ask({ type: 'showUser', caller, userId: f.admin.userId })), 'FORBIDDEN');
  assert.equal((unwrap(await f.ask({ type: 'showProject', caller, projectId: a.id })) as ProjectView).name, 'project-a');
  assert.equal(codeOf(await f.ask({ type: 'showProject', caller, projectId: f.adminProjectId })), 'FORBIDDEN');
  assert.deepEqual((unwrap(await f.ask({ type: 'projectsOf', caller })) as ProjectView[]).map((p) => p.name), ['project-a']);
  assert.equal((unwrap(await f.ask({ type: 'listAssignments', caller, userId: member.id })) as unknown[]).length, 1);
  // Anonymous requests are refused; bad input is BAD_REQUEST and names no value.
  assert.equal(codeOf(await f.ask({ type: 'listProjects' })), 'UNAUTHORIZED');
  const bad = await f.ask({ type: 'createUser', caller: f.admin, name: 'x', password: '' });
  assert.equal(codeOf(bad), 'BAD_REQUEST');
});

test('names are unique per domain: of two concurrent createUser with one name, exactly one wins', async (t) => {
  const f = await identityFixture(t);
  const results = await Promise.all(
    ['pw-1', 'pw-2', 'pw-3'].map((password) => f.ask({ type: 'createUser', caller: f.admin, name: 'erin', password })),
  );
  assert.deepEqual(results.map(codeOf).sort(), ['USER_NAME_TAKEN', 'USER_NAME_TAKEN', 'ok']);
  const users = unwrap(await f.ask({ type: 'listUsers', caller: f.admin, name: 'erin' })) as UserView[];
  assert.equal(users.length, 1);
  const projects = await Promise.all([1, 2].map(() => f.ask({ type: 'createProject', caller: f.admin, name: 'shared' })));
  assert.deepEqual(projects.map(codeOf).sort(), ['PROJECT_NAME_TAKEN', 'ok']);
  // Ids are 128-bit random hex.
  assert.match(users[0]!.id, /^[0-9a-f]{32}$/);
});

test('grants: a role on an unknown user or project is 404, exactly one target is required, a repeated grant is idempotent', async (t) => {
  const f = await identityFixture(t);
  const a = await f.project('project-a');
  const user = unwrap(await f.ask({ type: 'createUser', caller: f.admin, name: 'frank', password: 'pw' })) as UserView;
  const missing = '0'.repeat(32);
  assert.equal(codeOf(await f.ask({ type: 'grant', caller: f.admin, userId: missing, projectId: a.id, role: 'member' })), 'USER_NOT_FOUND');
  assert.equal(codeOf(await f.ask({ type: 'grant', caller: f.admin, userId: user.id, projectId: missing, role: 'member' })), 'PROJECT_NOT_FOUND');
  assert.equal(codeOf(await f.ask({ type: 'grant', caller: f.admin, userId: user.id, role: 'member' })), 'BAD_REQUEST');
  assert.equal(codeOf(await f.ask({ type: 'grant', caller: f.admin, userId: user.id, projectId: a.id, domain: true, role: 'member' })), 'BAD_REQUEST');
  unwrap(await f.ask({ type: 'grant', caller: f.admin, userId: user.id, projectId: a.id, role: 'member' }));
  unwrap(await f.ask({ type: 'grant', caller: f.admin, userId: user.id, projectId: a.id, role: 'member' }));
  assert.equal((unwrap(await f.ask({ type: 'listAssignments', caller: f.admin, userId: user.id })) as unknown[]).length, 1);
  assert.equal(codeOf(await f.system.ref('identity', 'elsewhere').ask({ type: 'listUsers', caller: f.admin } as { type: string })), 'DOMAIN_NOT_FOUND');
});

const role = fc.constantFrom('admin' as const, 'member' as const, 'reader' as const);
const caller = fc.record({
  userId: fc.constant('u'),
  userName: fc.constant('u'),
  domainId: fc.constant('default'),
  projectId: fc.option(fc.constantFrom('p1', 'p2'), { nil: null }),
  roles: fc.uniqueArray(role, { maxLength: 3 }),
  expiresAt: fc.constant(1),
});

test('the check functions: read ⇐ admin or same project; write ⇐ read and (admin or member); admin ⇐ role admin', () => {
  fc.assert(
    fc.property(caller, fc.constantFrom('p1', 'p2'), (c: Caller, project) => {
      assert.ok(isCaller(c));
      const admin = c.roles.includes('admin');
      assert.equal(mayRead(c, project) === undefined, admin || c.projectId === project);
      assert.equal(mayWrite(c, project) === undefined, admin || (c.projectId === project && c.roles.includes('member')));
      assert.equal(mustBeAdmin(c) === undefined, admin);
      // The same caller with a wrong field is no caller at all.
      assert.equal(mayRead({ ...c, roles: ['root'] }, project)?.code, 'UNAUTHORIZED');
    }),
  );
});
