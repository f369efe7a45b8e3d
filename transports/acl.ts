// Topic ACLs: what each role may publish and subscribe. One rule table feeds the embedded
// broker's grants and the equivalent mosquitto configurations (acl_file text, dynamic-security
// commands), so the three cannot drift apart; docs/mqtt-security.md shows their output.
import { defineError, Forbidden, FabricError, type ErrorValue } from './errors.js';
import type { Principal } from './broker-security.js';
import { isSegment, ROOT } from './topics.js';

/** CONNECT carried a client id that cannot be a topic level (MQTT CONNACK 2, identifier rejected). */
export const InvalidClientId = defineError('INVALID_CLIENT_ID', 400);
/** A project id or username that cannot be a topic level or an ACL-file token. */
export const InvalidAclName = defineError('INVALID_ACL_NAME', 400);

/**
 * node: a fabric process (serves mailboxes, hosts, leases, publishes events): all of `cumulo/#`.
 * client: sends requests to mailbox shards, reads its own replies and its project's events.
 * observer: reads its project's events (and its own reply topic); publishes nothing. Dashboards, audit.
 */
export type Role = 'node' | 'client' | 'observer';

/** A user's role; clients and observers belong to one project. */
export type RoleBinding =
  | { readonly role: 'node'; readonly clientIds?: readonly string[] }
  | { readonly role: 'client' | 'observer'; readonly projectId: string; readonly clientIds?: readonly string[] };
// clientIds, when given, pins the client ids a user may connect with (the embedded broker
// refuses others; dynamic-security grants exactly their reply topics). See docs/mqtt-security.md.

export type Grants = Pick<Principal, 'publish' | 'subscribe'>;

type Access = 'read' | 'write' | 'readwrite';

/** A filter that may name `{clientId}` (the connection's) or `{projectId}` (the user's). */
interface Rule {
  readonly access: Access;
  readonly filter: string;
}

/** Every principal reads its own reply topic (topics.reply). */
const EVERYONE: readonly Rule[] = [{ access: 'read', filter: `${ROOT}/reply/{clientId}` }];

const RULES: Readonly<Record<Role, readonly Rule[]>> = {
  node: [{ access: 'readwrite', filter: `${ROOT}/#` }],
  client: [
    // Requests go to mailbox shards only: not to hosts, leases, events or others' replies.
    { access: 'write', filter: `${ROOT}/mbox/+` },
    { access: 'read', filter: `${ROOT}/events/{projectId}/#` },
  ],
  observer: [{ access: 'read', filter: `${ROOT}/events/{projectId}/#` }],
};

const reads = (a: Access): boolean => a !== 'write';
const writes = (a: Access): boolean => a !== 'read';

function substitute(filter: string, clientId: string, projectId: string | undefined): string {
  return filter.replace('{clientId}', clientId).replace('{projectId}', projectId ?? '');
}

/** The grants of a role for one connection; refuses ids that are not plain topic levels. */
export function grantsFor(binding: RoleBinding, clientId: string): Grants | ErrorValue {
  if (!isSegment(clientId)) return InvalidClientId(`client id ${JSON.stringify(clientId)} is not a plain topic level`);
  const projectId = binding.role === 'node' ? undefined : binding.projectId;
  if (projectId !== undefined && !isSegment(projectId)) return InvalidAclName(`project id ${JSON.stringify(projectId)} is not a plain topic level`);
  if (binding.clientIds !== undefined && !binding.clientIds.includes(clientId)) return Forbidden(`client id ${clientId} is not one this user may use`);
  const rules = [...EVERYONE, ...RULES[binding.role]];
  return {
    publish: rules.filter((r) => writes(r.access)).map((r) => substitute(r.filter, clientId, projectId)),
    subscribe: rules.filter((r) => reads(r.access)).map((r) => substitute(r.filter, clientId, projectId)),
  };
}

/** A fabric node: everything under `cumulo/#`. */
export function nodeGrants(clientId: string): Grants | ErrorValue {
  return grantsFor({ role: 'node' }, clientId);
}

/** A client: publish to mailbox shards; subscribe to its reply topic and its project's events. */
export function clientGrants(who: { readonly clientId: string; readonly projectId: string }): Grants | ErrorValue {
  return grantsFor({ role: 'client', projectId: who.projectId }, who.clientId);
}

/** An observer: subscribe to its project's events (and its reply topic, which nobody answers). */
export function observerGrants(who: { readonly clientId: string; readonly projectId: string }): Grants | ErrorValue {
  return grantsFor({ role: 'observer', projectId: who.projectId }, who.clientId);
}

function checkName(kind: string, name: string): void {
  if (!isSegment(name)) throw new FabricError(InvalidAclName(`${kind} ${JSON.stringify(name)} is not a plain topic level`));
}

function describe(binding: RoleBinding): string {
  return binding.role === 'node' ? 'node' : `${binding.role} of project ${binding.projectId}`;
}

/**
 * The mosquitto 2 `acl_file` granting the same as the embedded broker. `{clientId}` becomes a
 * global `pattern ... %c` line (mosquitto applies patterns to every user); the rest are per-user
 * `topic` lines. clientIds cannot be enforced by an ACL file.
 */
export function mosquittoAclFile(users: Readonly<Record<string, RoleBinding>>): string {
  const lines = [
    '# cumulo topic ACL for mosquitto 2 (acl_file), generated by mosquittoAclFile() in transports/acl.ts.',
    '# Every client reads its own reply topic, named by its client id.',
  ];
  for (const r of EVERYONE) lines.push(`pattern ${r.access} ${r.filter.replace('{clientId}', '%c')}`);
  for (const [username, binding] of Object.entries(users)) {
    checkName('username', username);
    const projectId = binding.role === 'node' ? undefined : binding.projectId;
    if (projectId !== undefined) checkName('project id', projectId);
    lines.push('', `# ${username}: ${describe(binding)}`, `user ${username}`);
    for (const r of RULES[binding.role]) lines.push(`topic ${r.access} ${substitute(r.filter, '%c', projectId)}`);
  }
  return lines.join('\n') + '\n';
}

/** dynamic-security ACL types for one rule (subscribePattern compares filters as a subset). */
function dynsecAcls(r: Rule): string[] {
  const acls: string[] = [];
  if (writes(r.access)) acls.push('publishClientSend');
  if (reads(r.access)) acls.push('subscribePattern');
  return acls;
}

/**
 * `mosquitto_ctrl dynsec` commands (argument lists, after the connection options) that grant
 * the same as the embedded broker: one role per role name and project, and one role per user
 * holding its reply topics — dynamic-security 2.0 has no `%c`, so reply topics are literal and
 * a client or observer must list its clientIds. Passwords are set with setClientPassword.
 */
export function dynsecCommands(users: Readonly<Record<string, RoleBinding>>): string[][] {
  const commands: string[][] = [];
  const roles = new Set<string>();
  const role = (name: string, rules: readonly Rule[], projectId: string | undefined) => {
    if (roles.has(name)) return;
    roles.add(name);
    commands.push(['createRole', name]);
    for (const r of rules) for (const type of dynsecAcls(r)) commands.push(['addRoleACL', name, type, substitute(r.filter, '', projectId), 'allow']);
  };
  for (const [username, binding] of Object.entries(users)) {
    checkName('username', username);
    const projectId = binding.role === 'node' ? undefined : binding.projectId;
    if (projectId !== undefined) checkName('project id', projectId);
    const clientIds = binding.clientIds ?? [];
    if (binding.role !== 'node' && clientIds.length === 0) {
      throw new FabricError(InvalidAclName(`user ${username}: dynamic-security needs its clientIds to grant reply topics`));
    }
    const shared = projectId === undefined ? `cumulo-${binding.role}` : `cumulo-${binding.role}-${projectId}`;
    role(shared, RULES[binding.role], projectId);
    commands.push(['createClient', username], ['addClientRole', username, shared]);
    if (binding.role === 'node') continue; // cumulo/# already holds its reply topic
    for (const id of clientIds) checkName('client id', id);
    const own = `cumulo-reply-${username}`;
    role(own, clientIds.flatMap((id) => EVERYONE.map((r) => ({ ...r, filter: substitute(r.filter, id, projectId) }))), projectId);
    commands.push(['addClientRole', username, own]);
  }
  return commands;
}
