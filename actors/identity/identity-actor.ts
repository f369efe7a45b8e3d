// `identity/<domainId>`: one domain's projects, users and role assignments (small data, one
// serial actor per domain, so names stay unique under races), and password authentication.
// Changes that must end tokens (a user disabled or deleted, a password changed, a role or a
// project removed) queue sweeps persisted with the change (sweeps.ts). Keystone v3 semantics.
import { defineKind, refuse, type GrainContext, type Refusal } from '../../supervision/index.js';
import { BadRequest, Forbidden, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import { newId } from '../../transports/ids.js';
import { hashPassword, verifyPassword } from '../../transports/password-hash.js';
import type { EventSink } from '../events.js';
import { AUTH_FAILED, authenticate, decoyFor, mintForSystem, rescope, type Authenticator } from './authenticate.js';
import { isCaller, mayRead, mustBeAdmin, mustBeSystem, type Caller } from './caller.js';
import { AssignmentNotFound, DomainNotFound, ProjectNameTaken, ProjectNotFound, UserNameTaken, UserNotFound } from './errors.js';
import { IdentityMessage, type BootstrapResult, type IdentityReply } from './identity-messages.js';
import {
  assignmentView,
  domainNameOf,
  EMPTY_IDENTITY,
  fromStored,
  projectByName,
  projectView,
  toStored,
  userByName,
  userView,
  type AssignmentRecord,
  type IdentityState,
  type ProjectRecord,
  type StoredPassword,
  type Sweep,
  type UserRecord,
} from './identity-state.js';
import { compileCheck } from '../schema-check.js';
import { runSweeps, withSweeps } from './sweeps.js';

export interface IdentityKindOptions {
  /** Token lifetime on the actor system's clock. */
  readonly tokenTtlMs: number;
  /** scrypt cost N of new password hashes. */
  readonly passwordCost: number;
  readonly events: EventSink;
}

type Ctx = GrainContext<IdentityState, IdentityMessage>;
type Msg<T extends IdentityMessage['type']> = Extract<IdentityMessage, { type: T }>;
type Answer = IdentityReply | Refusal;

const check = compileCheck(IdentityMessage);

export const IDENTITY_KIND = 'identity';
export const ADMIN_NAME = 'admin';

function publish(ctx: Ctx, events: EventSink, type: string, projectId: string, kind: string, id: string, body: Record<string, unknown>): void {
  events.publish({ type, projectId, kind, id, at: ctx.clock.now(), body });
}

function sameAssignment(a: AssignmentRecord, b: AssignmentRecord): boolean {
  return a.userId === b.userId && a.projectId === b.projectId && a.role === b.role;
}

/** The target of a grant or revoke: a project id, or null for the domain. */
function targetOf(msg: { readonly projectId?: string; readonly domain?: true }): string | null | ErrorValue {
  if ((msg.projectId === undefined) === (msg.domain === undefined)) return BadRequest('give either projectId or domain: true');
  return msg.projectId ?? null;
}

/** Persists `next`, then runs its sweeps (tokens the change ended). */
async function commit(ctx: Ctx, next: IdentityState): Promise<void> {
  await ctx.persist(next);
  await runSweeps(ctx);
}

export function createIdentityKind(options: IdentityKindOptions) {
  const { events } = options;
  const hash = async (password: string) => toStored(await hashPassword(password, options.passwordCost));
  /**
   * Hashes a bootstrap started and settlePasswords has not stored yet, by `<domain>/<user>`. In
   * memory on purpose: a process that dies first leaves the user's password null, and the next
   * start's bootstrap hashes openrc's password again.
   */
  const pending = new Map<string, Promise<StoredPassword>>();
  const auth: Authenticator = {
    tokenTtlMs: options.tokenTtlMs,
    decoy: decoyFor(options.passwordCost),
    passwordOf: async (domainId, user) => {
      if (user.password !== null) return fromStored(user.password);
      const computing = pending.get(`${domainId}/${user.id}`);
      return computing === undefined ? undefined : fromStored(await computing);
    },
  };

  function startHash(domainId: string, userId: string, password: string): void {
    const key = `${domainId}/${userId}`;
    if (pending.has(key)) return;
    const computing = hash(password);
    // Awaited by logins and settlePasswords; a failure shows there, never as an unhandled rejection.
    computing.catch(() => undefined);
    pending.set(key, computing);
  }

  /** Stores every hash of this domain still being computed, in one write. */
  async function settlePasswords(ctx: Ctx): Promise<Answer> {
    const mine = [...pending.entries()].filter(([key]) => key.startsWith(`${ctx.id}/`));
    // A hash that failed is dropped: the user keeps no password until the next bootstrap.
    const hashes = await Promise.allSettled(mine.map(([, computing]) => computing));
    const users = { ...ctx.state.users };
    let settled = 0;
    mine.forEach(([key], i) => {
      const userId = key.slice(ctx.id.length + 1);
      const user = users[userId];
      const hashed = hashes[i]!;
      // A password set meanwhile (updateUser) wins over the bootstrap's.
      if (user !== undefined && user.password === null && hashed.status === 'fulfilled') {
        users[userId] = { ...user, password: hashed.value };
        settled++;
      }
    });
    if (settled > 0) await ctx.persist({ ...ctx.state, users });
    for (const [key] of mine) pending.delete(key);
    return { settled };
  }

  async function bootstrap(ctx: Ctx, msg: Msg<'bootstrap'>): Promise<BootstrapResult> {
    const state = ctx.state;
    const project: ProjectRecord = projectByName(state, ADMIN_NAME) ?? { id: newId(), name: ADMIN_NAME, description: 'Bootstrap project for initializing the cloud.', enabled: true };
    const existing = userByName(state, ADMIN_NAME);
    // An admin that exists keeps its password: the operator may have changed it since. Its hash
    // is computed off this mailbox's turn (libuv's pool) and stored by settlePasswords; a start
    // that died before storing it left null, so this one hashes openrc's password again.
    const user: UserRecord = existing ?? { id: newId(), name: ADMIN_NAME, password: null, defaultProjectId: project.id, enabled: true };
    if (user.password === null) startHash(ctx.id, user.id, msg.adminPassword);
    const wanted: AssignmentRecord[] = [
      { userId: user.id, projectId: project.id, role: 'admin' },
      { userId: user.id, projectId: null, role: 'admin' },
    ];
    const missing = wanted.filter((w) => !state.assignments.some((a) => sameAssignment(a, w)));
    if (existing === undefined || missing.length > 0 || state.projects[project.id] === undefined) {
      await ctx.persist({
        ...state,
        projects: { ...state.projects, [project.id]: project },
        users: { ...state.users, [user.id]: user },
        assignments: [...state.assignments, ...missing],
      });
    }
    return { projectId: project.id, userId: user.id, created: existing === undefined };
  }

  async function createProject(ctx: Ctx, msg: Msg<'createProject'>): Promise<Answer> {
    if (projectByName(ctx.state, msg.name) !== undefined) return refuse(ProjectNameTaken(`a project named ${msg.name} exists in this domain`, { name: msg.name }));
    const project: ProjectRecord = { id: newId(), name: msg.name, description: msg.description ?? '', enabled: msg.enabled ?? true };
    await ctx.persist({ ...ctx.state, projects: { ...ctx.state.projects, [project.id]: project } });
    const view = projectView(ctx.id, project);
    publish(ctx, events, 'identity.project.created', project.id, 'project', project.id, { ...view });
    return view;
  }

  /** Sweeps of every user with a role on the project, for the tokens scoped to it. */
  function projectSweeps(state: IdentityState, projectId: string): Sweep[] {
    const users = new Set(state.assignments.filter((a) => a.projectId === projectId).map((a) => a.userId));
    return [...users].map((userId) => ({ userId, target: projectId }));
  }

  async function updateProject(ctx: Ctx, msg: Msg<'updateProject'>): Promise<Answer> {
    const state = ctx.state;
    const project = state.projects[msg.projectId];
    if (project === undefined) return refuse(ProjectNotFound(`no project ${msg.projectId}`));
    const next: ProjectRecord = { ...project, description: msg.description ?? project.description, enabled: msg.enabled ?? project.enabled };
    const disabled = project.enabled && !next.enabled;
    const updated = { ...state, projects: { ...state.projects, [next.id]: next } };
    await commit(ctx, disabled ? withSweeps(updated, projectSweeps(state, next.id)) : updated);
    const view = projectView(ctx.id, next);
    publish(ctx, events, 'identity.project.updated', next.id, 'project', next.id, { ...view });
    return view;
  }

  async function deleteProject(ctx: Ctx, msg: Msg<'deleteProject'>): Promise<Answer> {
    const state = ctx.state;
    if (state.projects[msg.projectId] === undefined) return refuse(ProjectNotFound(`no project ${msg.projectId}`));
    const projects = { ...state.projects };
    delete projects[msg.projectId];
    const users: Record<string, UserRecord> = {};
    for (const u of Object.values(state.users)) users[u.id] = u.defaultProjectId === msg.projectId ? { ...u, defaultProjectId: null } : u;
    const assignments = state.assignments.filter((a) => a.projectId !== msg.projectId);
    await commit(ctx, withSweeps({ ...state, projects, users, assignments }, projectSweeps(state, msg.projectId)));
    publish(ctx, events, 'identity.project.deleted', msg.projectId, 'project', msg.projectId, {});
    return { deleted: msg.projectId };
  }

  async function createUser(ctx: Ctx, msg: Msg<'createUser'>): Promise<Answer> {
    const state = ctx.state;
    if (userByName(state, msg.name) !== undefined) return refuse(UserNameTaken(`a user named ${msg.name} exists in this domain`, { name: msg.name }));
    if (msg.defaultProjectId !== undefined && state.projects[msg.defaultProjectId] === undefined) return refuse(ProjectNotFound(`no project ${msg.defaultProjectId}`));
    // The mailbox is serial, so no other createUser can take the name while scrypt runs.
    const user: UserRecord = { id: newId(), name: msg.name, password: await hash(msg.password), defaultProjectId: msg.defaultProjectId ?? null, enabled: msg.enabled ?? true };
    await ctx.persist({ ...state, users: { ...state.users, [user.id]: user } });
    return userView(ctx.id, user);
  }

  async function updateUser(ctx: Ctx, msg: Msg<'updateUser'>): Promise<Answer> {
    const state = ctx.state;
    const user = state.users[msg.userId];
    if (user === undefined) return refuse(UserNotFound(`no user ${msg.userId}`));
    if (typeof msg.defaultProjectId === 'string' && state.projects[msg.defaultProjectId] === undefined) return refuse(ProjectNotFound(`no project ${msg.defaultProjectId}`));
    const next: UserRecord = {
      ...user,
      password: msg.password === undefined ? user.password : await hash(msg.password),
      enabled: msg.enabled ?? user.enabled,
      defaultProjectId: msg.defaultProjectId === undefined ? user.defaultProjectId : msg.defaultProjectId,
    };
    // Keystone revokes a user's tokens when it is disabled or its password changes.
    const endTokens = (user.enabled && !next.enabled) || msg.password !== undefined;
    const updated = { ...state, users: { ...state.users, [next.id]: next } };
    await commit(ctx, endTokens ? withSweeps(updated, [{ userId: next.id, target: '*' }]) : updated);
    return userView(ctx.id, next);
  }

  async function changePassword(ctx: Ctx, msg: Msg<'changePassword'>, caller: Caller): Promise<Answer> {
    // Only for oneself: an admin resets others' passwords with updateUser.
    if (caller.userId !== msg.userId) return refuse(Forbidden('a user may change only its own password'));
    const user = ctx.state.users[msg.userId];
    const stored = user === undefined ? undefined : await auth.passwordOf(ctx.id, user);
    const matches = await verifyPassword(msg.originalPassword, stored ?? (await auth.decoy()));
    if (user === undefined || stored === undefined || !matches) return refuse(Unauthorized(AUTH_FAILED));
    const next: UserRecord = { ...user, password: await hash(msg.password) };
    // Keystone ends every token of the user, the one used for this request included.
    await commit(ctx, withSweeps({ ...ctx.state, users: { ...ctx.state.users, [next.id]: next } }, [{ userId: next.id, target: '*' }]));
    return userView(ctx.id, next);
  }

  async function deleteUser(ctx: Ctx, msg: Msg<'deleteUser'>): Promise<Answer> {
    const state = ctx.state;
    if (state.users[msg.userId] === undefined) return refuse(UserNotFound(`no user ${msg.userId}`));
    const users = { ...state.users };
    delete users[msg.userId];
    const assignments = state.assignments.filter((a) => a.userId !== msg.userId);
    await commit(ctx, withSweeps({ ...state, users, assignments }, [{ userId: msg.userId, target: '*' }]));
    return { deleted: msg.userId };
  }

  async function grant(ctx: Ctx, msg: Msg<'grant'>): Promise<Answer> {
    const state = ctx.state;
    const target = targetOf(msg);
    if (target !== null && typeof target !== 'string') return refuse(target);
    if (state.users[msg.userId] === undefined) return refuse(UserNotFound(`no user ${msg.userId}`));
    if (target !== null && state.projects[target] === undefined) return refuse(ProjectNotFound(`no project ${target}`));
    const assignment: AssignmentRecord = { userId: msg.userId, projectId: target, role: msg.role };
    if (!state.assignments.some((a) => sameAssignment(a, assignment))) {
      await ctx.persist({ ...state, assignments: [...state.assignments, assignment] });
      if (target !== null) publish(ctx, events, 'identity.role.granted', target, 'user', msg.userId, { role: msg.role });
    }
    return assignmentView(ctx.id, assignment);
  }

  async function revoke(ctx: Ctx, msg: Msg<'revoke'>): Promise<Answer> {
    const state = ctx.state;
    const target = targetOf(msg);
    if (target !== null && typeof target !== 'string') return refuse(target);
    const assignment: AssignmentRecord = { userId: msg.userId, projectId: target, role: msg.role };
    if (!state.assignments.some((a) => sameAssignment(a, assignment))) {
      return refuse(AssignmentNotFound(`user ${msg.userId} has no role ${msg.role} on ${target ?? 'the domain'}`));
    }
    const assignments = state.assignments.filter((a) => !sameAssignment(a, assignment));
    // Keystone revokes the user's tokens on that target: their roles were fixed when issued.
    await commit(ctx, withSweeps({ ...state, assignments }, [{ userId: msg.userId, target: target ?? '@domain' }]));
    if (target !== null) publish(ctx, events, 'identity.role.revoked', target, 'user', msg.userId, { role: msg.role });
    return assignmentView(ctx.id, assignment);
  }

  function listAssignments(ctx: Ctx, msg: Msg<'listAssignments'>, caller: Caller): Answer {
    // Anyone may list their own roles; everything else is for admins.
    if (msg.userId !== caller.userId) {
      const denied = mustBeAdmin(caller);
      if (denied !== undefined) return refuse(denied);
    }
    return ctx.state.assignments
      .filter((a) => (msg.userId === undefined || a.userId === msg.userId) && (msg.projectId === undefined || a.projectId === msg.projectId))
      .map((a) => assignmentView(ctx.id, a));
  }

  function projectsOf(ctx: Ctx, caller: Caller): Answer {
    const ids = new Set(ctx.state.assignments.filter((a) => a.userId === caller.userId && a.projectId !== null).map((a) => a.projectId as string));
    return [...ids].flatMap((id) => {
      const p = ctx.state.projects[id];
      return p !== undefined && p.enabled ? [projectView(ctx.id, p)] : [];
    });
  }

  async function handle(ctx: Ctx, msg: IdentityMessage): Promise<Answer> {
    const bad = check(msg);
    if (bad !== undefined) return refuse(bad);
    if (domainNameOf(ctx.id) === undefined) return refuse(DomainNotFound(`no domain ${ctx.id}`));
    switch (msg.type) {
      case 'authenticate':
        return authenticate(ctx, msg, auth);
      case 'bootstrap':
      case 'settlePasswords':
      case 'mintToken': {
        const denied = mustBeSystem(msg.caller);
        if (denied !== undefined) return refuse(denied);
        if (msg.type === 'bootstrap') return bootstrap(ctx, msg);
        return msg.type === 'mintToken' ? mintForSystem(ctx, msg, auth) : settlePasswords(ctx);
      }
      default:
        break;
    }
    const caller = msg.caller;
    if (!isCaller(caller)) return refuse(mustBeAdmin(caller)!);
    // Reads open to non-admins check their own rules; every change is for admins.
    switch (msg.type) {
      case 'showProject': {
        const denied = mayRead(caller, msg.projectId);
        if (denied !== undefined) return refuse(denied);
        const p = ctx.state.projects[msg.projectId];
        return p === undefined ? refuse(ProjectNotFound(`no project ${msg.projectId}`)) : projectView(ctx.id, p);
      }
      case 'showUser': {
        if (msg.userId !== caller.userId && mustBeAdmin(caller) !== undefined) return refuse(mustBeAdmin(caller)!);
        const u = ctx.state.users[msg.userId];
        return u === undefined ? refuse(UserNotFound(`no user ${msg.userId}`)) : userView(ctx.id, u);
      }
      case 'projectsOf':
        return projectsOf(ctx, caller);
      case 'changePassword':
        return changePassword(ctx, msg, caller);
      case 'listAssignments':
        return listAssignments(ctx, msg, caller);
      case 'rescope':
        return rescope(ctx, msg, caller);
      default:
        break;
    }
    const denied = mustBeAdmin(caller);
    if (denied !== undefined) return refuse(denied);
    switch (msg.type) {
      case 'createProject':
        return createProject(ctx, msg);
      case 'updateProject':
        return updateProject(ctx, msg);
      case 'deleteProject':
        return deleteProject(ctx, msg);
      case 'listProjects':
        return Object.values(ctx.state.projects)
          .filter((p) => msg.name === undefined || p.name === msg.name)
          .map((p) => projectView(ctx.id, p));
      case 'createUser':
        return createUser(ctx, msg);
      case 'updateUser':
        return updateUser(ctx, msg);
      case 'deleteUser':
        return deleteUser(ctx, msg);
      case 'listUsers':
        return Object.values(ctx.state.users)
          .filter((u) => msg.name === undefined || u.name === msg.name)
          .map((u) => userView(ctx.id, u));
      case 'grant':
        return grant(ctx, msg);
      case 'revoke':
        return revoke(ctx, msg);
      default: {
        const never: never = msg;
        return never;
      }
    }
  }

  return defineKind<IdentityState, IdentityMessage, IdentityReply>({
    name: IDENTITY_KIND,
    messageTypes: {
      bootstrap: true,
      createProject: true,
      updateProject: true,
      deleteProject: true,
      showProject: true,
      listProjects: true,
      projectsOf: true,
      createUser: true,
      updateUser: true,
      changePassword: true,
      deleteUser: true,
      showUser: true,
      listUsers: true,
      grant: true,
      revoke: true,
      listAssignments: true,
      authenticate: true,
      mintToken: true,
      rescope: true,
      settlePasswords: true,
    },
    initialState: EMPTY_IDENTITY,
    handle,
    // Sweeps a crash interrupted are finished before anything else is served.
    onActivate: (ctx) => runSweeps(ctx),
  });
}
