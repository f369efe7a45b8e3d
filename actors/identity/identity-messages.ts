// Messages of `identity/<domainId>` (one actor per domain: its projects, users and role
// assignments), as TypeBox schemas: the one source of their validation and types. Keystone v3
// sections: Projects, Users, Roles / role assignments, Authentication (POST /v3/auth/tokens).
import { Type, type Static } from '@sinclair/typebox';
import type { Caller, Role } from './caller.js';

/** Checked by the caller helpers (caller.ts); a client never chooses its own. */
const CallerField = Type.Optional(Type.Unknown());
/** Ids are 128-bit random, 32 lowercase hex characters (transports/ids.ts). */
export const Id = Type.String({ pattern: '^[0-9a-f]{32}$' });
/** Keystone allows 255 characters (64 for user names); no control characters, no padding. */
const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\u0000-\\u001f\\u007f\\s](?:[^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f\\s])?$' });
const UserName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f\\s](?:[^\\u0000-\\u001f\\u007f]*[^\\u0000-\\u001f\\u007f\\s])?$' });
const Description = Type.String({ maxLength: 1024 });
/** Keystone's default max_password_length is 4096. */
const Password = Type.String({ minLength: 1, maxLength: 4096 });
export const RoleName = Type.Union([Type.Literal('admin'), Type.Literal('member'), Type.Literal('reader')]);

/** A role on a project (projectId) or on the whole domain (domain: true); exactly one of them. */
const Target = {
  projectId: Type.Optional(Id),
  domain: Type.Optional(Type.Literal(true)),
};

const strict = { additionalProperties: false } as const;

export const IdentityMessage = Type.Union([
  /**
   * First start: project `admin`, user `admin` with role admin on it and on the domain. SYSTEM
   * only. It answers before the password's hash is stored: `settlePasswords` stores it, and a
   * login arriving in between waits for the hash.
   */
  Type.Object({ type: Type.Literal('bootstrap'), caller: CallerField, adminPassword: Password }, strict),
  /** Stores the password hashes a bootstrap left to compute; answers once they are durable. SYSTEM only. */
  Type.Object({ type: Type.Literal('settlePasswords'), caller: CallerField }, strict),
  Type.Object({ type: Type.Literal('createProject'), caller: CallerField, name: Name, description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) }, strict),
  Type.Object({ type: Type.Literal('updateProject'), caller: CallerField, projectId: Id, description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) }, strict),
  Type.Object({ type: Type.Literal('deleteProject'), caller: CallerField, projectId: Id }, strict),
  Type.Object({ type: Type.Literal('showProject'), caller: CallerField, projectId: Id }, strict),
  Type.Object({ type: Type.Literal('listProjects'), caller: CallerField, name: Type.Optional(Name) }, strict),
  /** The projects the caller's user holds a role on (GET /v3/auth/projects). */
  Type.Object({ type: Type.Literal('projectsOf'), caller: CallerField }, strict),
  Type.Object(
    { type: Type.Literal('createUser'), caller: CallerField, name: UserName, password: Password, defaultProjectId: Type.Optional(Id), enabled: Type.Optional(Type.Boolean()) },
    strict,
  ),
  Type.Object(
    {
      type: Type.Literal('updateUser'),
      caller: CallerField,
      userId: Id,
      password: Type.Optional(Password),
      enabled: Type.Optional(Type.Boolean()),
      defaultProjectId: Type.Optional(Type.Union([Id, Type.Null()])),
    },
    strict,
  ),
  /** A user changes its own password, proving the current one (POST /v3/users/{id}/password). */
  Type.Object({ type: Type.Literal('changePassword'), caller: CallerField, userId: Id, originalPassword: Password, password: Password }, strict),
  Type.Object({ type: Type.Literal('deleteUser'), caller: CallerField, userId: Id }, strict),
  Type.Object({ type: Type.Literal('showUser'), caller: CallerField, userId: Id }, strict),
  Type.Object({ type: Type.Literal('listUsers'), caller: CallerField, name: Type.Optional(UserName) }, strict),
  Type.Object({ type: Type.Literal('grant'), caller: CallerField, userId: Id, role: RoleName, ...Target }, strict),
  Type.Object({ type: Type.Literal('revoke'), caller: CallerField, userId: Id, role: RoleName, ...Target }, strict),
  Type.Object({ type: Type.Literal('listAssignments'), caller: CallerField, userId: Type.Optional(Id), projectId: Type.Optional(Id) }, strict),
  /**
   * Password authentication (POST /v3/auth/tokens). Scope: a project by id or name, the domain,
   * or none (the user's default project when it holds a role there, else an unscoped token).
   */
  Type.Object(
    {
      type: Type.Literal('authenticate'),
      caller: CallerField,
      userName: UserName,
      password: Password,
      projectId: Type.Optional(Id),
      projectName: Type.Optional(Name),
      scope: Type.Optional(Type.Literal('domain')),
    },
    strict,
  ),
  /**
   * A token for the named user without a password: how the process that owns the store logs its
   * own admin client in. SYSTEM only (refused for every token, whatever its roles).
   */
  Type.Object(
    {
      type: Type.Literal('mintToken'),
      caller: CallerField,
      userName: UserName,
      projectId: Type.Optional(Id),
      projectName: Type.Optional(Name),
      scope: Type.Optional(Type.Literal('domain')),
    },
    strict,
  ),
  /**
   * Token authentication (POST /v3/auth/tokens, methods ["token"]): the caller's own token buys
   * one on another scope the user holds a role on; it expires when the caller's token does.
   */
  Type.Object(
    { type: Type.Literal('rescope'), caller: CallerField, projectId: Type.Optional(Id), projectName: Type.Optional(Name), scope: Type.Optional(Type.Literal('domain')) },
    strict,
  ),
]);
export type IdentityMessage = Static<typeof IdentityMessage>;

export interface ProjectView {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly description: string;
  readonly enabled: boolean;
}

export interface UserView {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly defaultProjectId: string | null;
  readonly enabled: boolean;
}

/** A role of a user on a project, or on the domain (projectId null). */
export interface AssignmentView {
  readonly userId: string;
  readonly projectId: string | null;
  readonly domainId: string;
  readonly role: Role;
}

export interface AuthResult {
  /** The secret: 32 random bytes, base64url. Never stored; only its sha256 is. */
  readonly token: string;
  readonly caller: Caller;
  readonly expiresAt: number;
}

export interface BootstrapResult {
  readonly projectId: string;
  readonly userId: string;
  /** False when the admin already existed (its password is left as it is). */
  readonly created: boolean;
}

export type IdentityReply =
  | ProjectView
  | UserView
  | AssignmentView
  | AuthResult
  | BootstrapResult
  | readonly ProjectView[]
  | readonly UserView[]
  | readonly AssignmentView[]
  | { readonly deleted: string }
  | { readonly settled: number };
