// A fresh identity service on a memory store and a virtual clock, bootstrapped with an admin,
// plus small helpers that the identity tests share (create a project, a user with a role, log in).
import type { TestContext } from 'node:test';
import { VirtualClock } from '../../transports/clock.js';
import type { Result } from '../../transports/errors.js';
import { createActorSystem, createMemoryStore, type ActorSystem } from '../../supervision/index.js';
import {
  bootstrapAdmin,
  issueToken,
  registerIdentity,
  IDENTITY_KIND,
  type AuthResult,
  type Caller,
  type IdentityMessage,
  type IdentityOptions,
  type PasswordLogin,
  type ProjectView,
  type Role,
  type UserView,
} from '../../actors/identity/index.js';

export const ADMIN_PASSWORD = 'first-start-secret-3b1f';

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

export interface IdentityFixture {
  readonly clock: VirtualClock;
  readonly system: ActorSystem;
  /** The bootstrapped admin's project-scoped caller. */
  readonly admin: Caller;
  readonly adminProjectId: string;
  ask(msg: IdentityMessage): Promise<Result<unknown>>;
  project(name: string): Promise<ProjectView>;
  /** A user with a role on a project. */
  user(name: string, password: string, projectId: string, role: Role): Promise<UserView>;
  login(login: PasswordLogin): Promise<Result<AuthResult>>;
}

export async function identityFixture(t: TestContext, options: IdentityOptions = {}, system?: ActorSystem): Promise<IdentityFixture> {
  const clock = new VirtualClock(1_700_000_000_000);
  const sys = system ?? createActorSystem({ store: createMemoryStore(), clock });
  t.after(() => sys.stop());
  // A low scrypt cost keeps the tests fast; the production default is 2^14.
  unwrap(registerIdentity(sys, { passwordCost: 1024, ...options }));
  const boot = unwrap(await bootstrapAdmin(sys, { password: ADMIN_PASSWORD }));
  const admin = unwrap(await issueToken(sys, { userName: 'admin', password: ADMIN_PASSWORD, projectName: 'admin' })).caller;
  const ask = (msg: IdentityMessage) => sys.ref(IDENTITY_KIND, 'default').ask(msg);
  return {
    clock: sys.clock as VirtualClock,
    system: sys,
    admin,
    adminProjectId: boot.projectId,
    ask,
    project: async (name) => unwrap(await ask({ type: 'createProject', caller: admin, name })) as ProjectView,
    user: async (name, password, projectId, role) => {
      const user = unwrap(await ask({ type: 'createUser', caller: admin, name, password, defaultProjectId: projectId })) as UserView;
      unwrap(await ask({ type: 'grant', caller: admin, userId: user.id, projectId, role }));
      return user;
    },
    login: (login) => issueToken(sys, login),
  };
}
