// Keystone v3 bodies built from the identity actors' views: projects, users, roles, domains,
// role assignments and tokens (api-ref: identity v3, "Authentication and token management").
import { createHash } from 'node:crypto';
import type { AssignmentView, ProjectView, Role, UserView } from '../../actors/identity/index.js';
import { ROLES } from '../../actors/identity/index.js';
import { catalogOf } from './catalog.js';

/** The only domain there is, until domains can be created. */
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;

export function domainNameOf(domainId: string): string {
  return domainId === DEFAULT_DOMAIN.id ? DEFAULT_DOMAIN.name : domainId;
}

/** Keystone's timestamp form: `2026-01-01T12:00:00.000000Z`. */
export function keystoneTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function projectBody(base: string, p: ProjectView): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    is_domain: false,
    parent_id: p.domainId,
    tags: [],
    options: {},
    links: { self: `${base}/identity/v3/projects/${p.id}` },
  };
}

export function userBody(base: string, u: UserView): Record<string, unknown> {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    ...(u.defaultProjectId === null ? {} : { default_project_id: u.defaultProjectId }),
    password_expires_at: null,
    options: {},
    links: { self: `${base}/identity/v3/users/${u.id}` },
  };
}

/** Roles are the fabric's three fixed ones; a role's id is its name. */
export function roleBody(base: string, role: Role): Record<string, unknown> {
  return { id: role, name: role, domain_id: null, description: null, options: {}, links: { self: `${base}/identity/v3/roles/${role}` } };
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function domainBody(base: string): Record<string, unknown> {
  return {
    id: DEFAULT_DOMAIN.id,
    name: DEFAULT_DOMAIN.name,
    description: 'The default domain',
    enabled: true,
    tags: [],
    options: {},
    links: { self: `${base}/identity/v3/domains/${DEFAULT_DOMAIN.id}` },
  };
}

export function assignmentBody(base: string, a: AssignmentView, names: { readonly users?: ReadonlyMap<string, string>; readonly projects?: ReadonlyMap<string, string> } | undefined): Record<string, unknown> {
  const userName = names?.users?.get(a.userId);
  const projectName = a.projectId === null ? undefined : names?.projects?.get(a.projectId);
  const domain = names === undefined ? undefined : { id: a.domainId, name: domainNameOf(a.domainId) };
  const scope =
    a.projectId === null
      ? { domain: { id: a.domainId, ...(names === undefined ? {} : { name: domainNameOf(a.domainId) }) } }
      : { project: { id: a.projectId, ...(projectName === undefined ? {} : { name: projectName }), ...(domain === undefined ? {} : { domain }) } };
  const target = a.projectId === null ? `domains/${a.domainId}` : `projects/${a.projectId}`;
  return {
    role: { id: a.role, ...(names === undefined ? {} : { name: a.role }) },
    user: { id: a.userId, ...(userName === undefined ? {} : { name: userName }), ...(domain === undefined ? {} : { domain }) },
    scope,
    links: { assignment: `${base}/identity/v3/${target}/users/${a.userId}/roles/${a.role}` },
  };
}

/** What a token actor's `describe` answers (actors/identity token-messages TokenRecord). */
export interface TokenRecordView {
  readonly userId: string;
  readonly userName: string;
  readonly domainId: string;
  readonly projectId: string | null;
  readonly domainScoped: boolean;
  readonly roles: readonly Role[];
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/** Keystone's audit id: 22 url-safe characters that name a token in logs without revealing it. */
export function auditIdOf(token: string): string {
  return createHash('sha256').update(`audit:${token}`).digest('base64url').slice(0, 22);
}

export interface TokenBodyOptions {
  readonly methods: readonly string[];
  readonly auditId: string;
  readonly projectName: string | null;
  readonly withCatalog: boolean;
}

export function tokenBody(base: string, record: TokenRecordView, options: TokenBodyOptions): Record<string, unknown> {
  const domain = { id: record.domainId, name: domainNameOf(record.domainId) };
  const scoped = record.projectId !== null || record.domainScoped;
  return {
    token: {
      methods: options.methods,
      user: { id: record.userId, name: record.userName, domain, password_expires_at: null },
      audit_ids: [options.auditId],
      expires_at: keystoneTime(record.expiresAt),
      issued_at: keystoneTime(record.issuedAt),
      ...(record.projectId === null ? {} : { project: { id: record.projectId, name: options.projectName ?? record.projectId, domain }, is_domain: false }),
      ...(record.domainScoped ? { domain } : {}),
      ...(scoped ? { roles: record.roles.map((r) => ({ id: r, name: r })) } : {}),
      ...(scoped && options.withCatalog ? { catalog: catalogOf(base) } : {}),
    },
  };
}
