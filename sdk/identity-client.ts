// The identity client, `cloud.identity`: openstacksdk's identity (Keystone v3) proxy in camelCase
// — tokens, projects, users, role assignments — as messages to `identity/<domainId>` (the
// caller's domain) and `token/<sha256 of the token>`. Answers the value or throws a FabricError.
import { hashToken, IDENTITY_KIND, TOKEN_KIND, type AssignmentView, type AuthResult, type ProjectView, type Role, type UserView } from '../actors/identity/index.js';
import { must } from './client-errors.js';
import type { Session } from './session.js';

export interface TokenRequest {
  readonly username: string;
  readonly password: string;
  /** Scope: a project by name or id (default: the user's default project, else unscoped). */
  readonly projectName?: string;
  readonly projectId?: string;
}

export interface CreateProjectOptions {
  readonly name: string;
  readonly description?: string;
  readonly enabled?: boolean;
}

export interface CreateUserOptions {
  readonly name: string;
  readonly password: string;
  readonly defaultProjectId?: string;
  readonly enabled?: boolean;
}

export interface UpdateUserOptions {
  readonly password?: string;
  readonly enabled?: boolean;
  readonly defaultProjectId?: string | null;
}

/** Keystone's token validation body (GET /v3/auth/tokens). */
export type TokenDescription = Readonly<Record<string, unknown>>;

export class IdentityClient {
  constructor(private readonly session: Session) {}

  /** A new token for a user, with its Caller and expiry (POST /v3/auth/tokens, password method). */
  issueToken(request: TokenRequest): Promise<AuthResult> {
    const { username, ...scope } = request;
    return this.call('authenticate', { userName: username, ...scope });
  }

  /** Ends a token at once (its user, or an admin). Only its hash crosses the wire. */
  async revokeToken(token: string): Promise<void> {
    must(await this.session.ask(TOKEN_KIND, hashToken(token), 'revoke'));
  }

  /** A valid token's record (its user, or an admin); NOT_FOUND when it is unknown, expired or revoked. */
  async validateToken(token: string): Promise<TokenDescription> {
    return must(await this.session.ask<TokenDescription>(TOKEN_KIND, hashToken(token), 'describe'));
  }

  // --- projects ------------------------------------------------------------------------------

  /** Every project of the domain (admins), optionally by name. */
  projects(query: { readonly name?: string } = {}): Promise<readonly ProjectView[]> {
    return this.call('listProjects', { ...query });
  }

  /** The projects the caller's user holds a role on (GET /v3/auth/projects). */
  userProjects(): Promise<readonly ProjectView[]> {
    return this.call('projectsOf');
  }

  getProject(projectId: string): Promise<ProjectView> {
    return this.call('showProject', { projectId });
  }

  createProject(options: CreateProjectOptions): Promise<ProjectView> {
    return this.call('createProject', { ...options });
  }

  updateProject(projectId: string, changes: { readonly description?: string; readonly enabled?: boolean }): Promise<ProjectView> {
    return this.call('updateProject', { projectId, ...changes });
  }

  async deleteProject(projectId: string): Promise<void> {
    await this.call('deleteProject', { projectId });
  }

  // --- users ---------------------------------------------------------------------------------

  users(query: { readonly name?: string } = {}): Promise<readonly UserView[]> {
    return this.call('listUsers', { ...query });
  }

  getUser(userId: string): Promise<UserView> {
    return this.call('showUser', { userId });
  }

  createUser(options: CreateUserOptions): Promise<UserView> {
    return this.call('createUser', { ...options });
  }

  updateUser(userId: string, changes: UpdateUserOptions): Promise<UserView> {
    return this.call('updateUser', { userId, ...changes });
  }

  async deleteUser(userId: string): Promise<void> {
    await this.call('deleteUser', { userId });
  }

  /** A user changes its own password, proving the current one; its tokens end. */
  async changePassword(userId: string, originalPassword: string, password: string): Promise<void> {
    await this.call('changePassword', { userId, originalPassword, password });
  }

  // --- role assignments (roles: admin, member, reader) ---------------------------------------

  async assignProjectRoleToUser(projectId: string, userId: string, role: Role): Promise<void> {
    await this.call('grant', { projectId, userId, role });
  }

  async unassignProjectRoleFromUser(projectId: string, userId: string, role: Role): Promise<void> {
    await this.call('revoke', { projectId, userId, role });
  }

  async assignDomainRoleToUser(userId: string, role: Role): Promise<void> {
    await this.call('grant', { domain: true, userId, role });
  }

  async unassignDomainRoleFromUser(userId: string, role: Role): Promise<void> {
    await this.call('revoke', { domain: true, userId, role });
  }

  roleAssignments(query: { readonly userId?: string; readonly projectId?: string } = {}): Promise<readonly AssignmentView[]> {
    return this.call('listAssignments', { ...query });
  }

  private async call<T>(type: string, body: Record<string, unknown> = {}): Promise<T> {
    return must(await this.session.ask<T>(IDENTITY_KIND, this.session.caller.domainId, type, body));
  }
}
