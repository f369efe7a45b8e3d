// The admin's credentials for the OpenStack command line and SDKs: `<data-dir>/openrc` (a shell
// file to `source`) and `<data-dir>/clouds.yaml` (cloud `cumulo`), mode 0600. The first start
// makes a random admin password and writes both; a later start keeps the password (and any
// lines the operator added) and rewrites only the URLs, since the ports may change between runs.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OPENRC_FILE = 'openrc';
export const CLOUDS_YAML_FILE = 'clouds.yaml';
export const CLOUD_NAME = 'cumulo';
export const REGION_NAME = 'RegionOne';

export interface AdminCredentials {
  readonly userName: string;
  readonly password: string;
  readonly projectName: string;
}

export interface CloudEndpoints {
  /** The HTTP API's base URL; Keystone lives at `<apiUrl>/identity`. */
  readonly apiUrl: string;
  /** The MQTT broker's URL, for cumulo's own clients (CUMULO_MQTT_URL). */
  readonly mqttUrl: string;
}

export type CloudSettings = AdminCredentials & CloudEndpoints;

/** 144 random bits, base64url: shell- and YAML-safe, and never a fixed default. */
export function newAdminPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function authUrlOf(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/identity`;
}

/** Single-quoted for sh: nothing inside is expanded; a `'` becomes `'\''`. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function shellUnquote(raw: string): string {
  const quoted = /^'((?:[^']|'\\'')*)'$/.exec(raw);
  return quoted === null ? raw : quoted[1]!.replace(/'\\''/g, "'");
}

export function renderOpenrc(s: CloudSettings): string {
  const vars: ReadonlyArray<readonly [string, string]> = [
    ['OS_AUTH_URL', authUrlOf(s.apiUrl)],
    ['OS_USERNAME', s.userName],
    ['OS_PASSWORD', s.password],
    ['OS_PROJECT_NAME', s.projectName],
    ['OS_USER_DOMAIN_NAME', 'Default'],
    ['OS_PROJECT_DOMAIN_NAME', 'Default'],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_REGION_NAME', REGION_NAME],
    ['OS_INTERFACE', 'public'],
    ['CUMULO_MQTT_URL', s.mqttUrl],
  ];
  const lines = ['# cumulo admin credentials: `source` this file, then use the openstack command line.', '# Written by cumulo on first start; later starts update only the URLs.'];
  for (const [name, value] of vars) lines.push(`export ${name}=${shellQuote(value)}`);
  return lines.join('\n') + '\n';
}

/** JSON strings are valid YAML double-quoted scalars. */
const yamlString = (value: string): string => JSON.stringify(value);

export function renderCloudsYaml(s: CloudSettings): string {
  return [
    '# cumulo admin credentials for openstacksdk and the openstack command line (--os-cloud cumulo).',
    '# Written by cumulo on first start; later starts update only the URLs.',
    'clouds:',
    `  ${CLOUD_NAME}:`,
    '    auth:',
    `      auth_url: ${yamlString(authUrlOf(s.apiUrl))}`,
    `      username: ${yamlString(s.userName)}`,
    `      password: ${yamlString(s.password)}`,
    `      project_name: ${yamlString(s.projectName)}`,
    `      user_domain_name: ${yamlString('Default')}`,
    `      project_domain_name: ${yamlString('Default')}`,
    `    region_name: ${yamlString(REGION_NAME)}`,
    `    interface: ${yamlString('public')}`,
    '    identity_api_version: 3',
    `    cumulo_mqtt_url: ${yamlString(s.mqttUrl)}`,
    '',
  ].join('\n');
}

function openrcVar(text: string, name: string): string | undefined {
  const m = new RegExp(`^export ${name}=(.*)$`, 'm').exec(text);
  return m === null ? undefined : shellUnquote(m[1]!.trim());
}

function yamlVar(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s+${name}:\\s*(".*")\\s*$`, 'm').exec(text);
  if (m === null) return undefined;
  try {
    const value: unknown = JSON.parse(m[1]!);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The admin credentials a data dir already has (openrc first, then clouds.yaml), if any. */
export function readAdminCredentials(dataDir: string): AdminCredentials | undefined {
  const sources: ReadonlyArray<readonly [string, (text: string, name: string) => string | undefined, readonly [string, string, string]]> = [
    [OPENRC_FILE, openrcVar, ['OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME']],
    [CLOUDS_YAML_FILE, yamlVar, ['username', 'password', 'project_name']],
  ];
  for (const [file, read, [user, password, project]] of sources) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const found = { userName: read(text, user), password: read(text, password), projectName: read(text, project) };
    if (found.userName !== undefined && found.password !== undefined && found.projectName !== undefined) {
      return { userName: found.userName, password: found.password, projectName: found.projectName };
    }
  }
  return undefined;
}

/** Replaces the line that `pattern` matches, keeping its indent (group 1). */
function replaceLine(text: string, pattern: RegExp, line: (indent: string) => string): string {
  return text.replace(pattern, (_all, indent: string) => line(indent));
}

/** The same, or appends the line when the operator removed it (openrc is flat: the end is fine). */
function replaceOrAppend(text: string, pattern: RegExp, line: string): string {
  if (pattern.test(text)) return replaceLine(text, pattern, () => line);
  return (text.endsWith('\n') ? text : text + '\n') + line + '\n';
}

/** Writes through a temporary file and a rename: a reader never sees half a file, and the mode is 0600 from the start. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

export interface WrittenCredentials {
  readonly credentials: AdminCredentials;
  /** True when this call made the password (a first start). */
  readonly created: boolean;
  readonly openrcPath: string;
  readonly cloudsYamlPath: string;
}

/**
 * Makes sure `<dataDir>/openrc` and `<dataDir>/clouds.yaml` exist (mode 0600) and point at these
 * endpoints. The password comes from the files when there are any, else it is new and random;
 * bootstrap the admin with the returned credentials afterwards (bootstrap is idempotent, so a
 * crash between the two is repaired by the next start, which reads the same password).
 */
export function writeAdminCredentials(dataDir: string, endpoints: CloudEndpoints, admin?: Partial<AdminCredentials>): WrittenCredentials {
  const existing = readAdminCredentials(dataDir);
  const credentials: AdminCredentials = existing ?? {
    userName: admin?.userName ?? 'admin',
    projectName: admin?.projectName ?? 'admin',
    // A caller that already bootstrapped with a password it made passes it here.
    password: admin?.password ?? newAdminPassword(),
  };
  const settings: CloudSettings = { ...credentials, ...endpoints };
  const openrcPath = join(dataDir, OPENRC_FILE);
  const cloudsYamlPath = join(dataDir, CLOUDS_YAML_FILE);
  if (!existsSync(openrcPath)) {
    writeFileSync(openrcPath, renderOpenrc(settings), { mode: 0o600, flag: 'wx' });
  } else {
    let text = readFileSync(openrcPath, 'utf8');
    text = replaceOrAppend(text, /^()export OS_AUTH_URL=.*$/m, `export OS_AUTH_URL=${shellQuote(authUrlOf(endpoints.apiUrl))}`);
    text = replaceOrAppend(text, /^()export CUMULO_MQTT_URL=.*$/m, `export CUMULO_MQTT_URL=${shellQuote(endpoints.mqttUrl)}`);
    writePrivate(openrcPath, text);
  }
  if (!existsSync(cloudsYamlPath)) {
    writeFileSync(cloudsYamlPath, renderCloudsYaml(settings), { mode: 0o600, flag: 'wx' });
  } else {
    let text = readFileSync(cloudsYamlPath, 'utf8');
    // YAML nesting matters: lines the operator removed are not put back at a guessed place.
    text = replaceLine(text, /^(\s+)auth_url:.*$/m, (indent) => `${indent}auth_url: ${yamlString(authUrlOf(endpoints.apiUrl))}`);
    text = replaceLine(text, /^(\s+)cumulo_mqtt_url:.*$/m, (indent) => `${indent}cumulo_mqtt_url: ${yamlString(endpoints.mqttUrl)}`);
    writePrivate(cloudsYamlPath, text);
  }
  return { credentials, created: existing === undefined, openrcPath, cloudsYamlPath };
}
