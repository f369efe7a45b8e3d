// The admin's credential files: openrc and clouds.yaml carry every OpenStack setting (sourced by
// a real shell, parsed by a real YAML parser), mode 0600, with a random password per data dir;
// a later start with other ports keeps the password and the operator's own lines and rewrites
// only the URLs; the password the files hold is the one bootstrap gives the admin.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAdminCredentials, renderOpenrc, writeAdminCredentials } from '../../sdk/openrc.js';
import { unwrap } from './identity-fixture.js';
import { bootstrapAdmin, issueToken, registerIdentity } from '../../actors/identity/index.js';
import { createActorSystem, createMemoryStore } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';

// js-yaml comes with the dev tools (eslint); a real parser, not a regex, checks the YAML.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-openrc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment after `source openrc` in bash. */
function sourced(path: string): Record<string, string> {
  const out = execFileSync('bash', ['-c', `set -a; . "$1"; env -0`, 'bash', path], { env: {} }).toString();
  return Object.fromEntries(out.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const FIRST = { apiUrl: 'http://127.0.0.1:5000', mqttUrl: 'mqtt://127.0.0.1:1883' };
const LATER = { apiUrl: 'http://127.0.0.1:6111/', mqttUrl: 'mqtt://127.0.0.1:2883' };

test('first start: openrc and clouds.yaml with every setting, mode 0600, a random password', (t) => {
  const dir = dataDir(t);
  const written = writeAdminCredentials(dir, FIRST);
  assert.equal(written.created, true);
  assert.match(written.credentials.password, /^[A-Za-z0-9_-]{24}$/);
  for (const path of [written.openrcPath, written.cloudsYamlPath]) assert.equal(statSync(path).mode & 0o777, 0o600, path);

  const env = sourced(written.openrcPath);
  assert.deepEqual(
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('OS_') || k.startsWith('CUMULO_'))),
    {
      OS_AUTH_URL: 'http://127.0.0.1:5000/identity',
      OS_USERNAME: 'admin',
      OS_PASSWORD: written.credentials.password,
      OS_PROJECT_NAME: 'admin',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
      OS_REGION_NAME: 'RegionOne',
      OS_INTERFACE: 'public',
      CUMULO_MQTT_URL: 'mqtt://127.0.0.1:1883',
    },
  );
  assert.deepEqual(yaml.load(readFileSync(written.cloudsYamlPath, 'utf8')), {
    clouds: {
      cumulo: {
        auth: {
          auth_url: 'http://127.0.0.1:5000/identity',
          username: 'admin',
          password: written.credentials.password,
          project_name: 'admin',
          user_domain_name: 'Default',
          project_domain_name: 'Default',
        },
        region_name: 'RegionOne',
        interface: 'public',
        identity_api_version: 3,
        cumulo_mqtt_url: 'mqtt://127.0.0.1:1883',
      },
    },
  });
  // A password the caller made is used on a first start only; the files' one wins later.
  const given = writeAdminCredentials(dataDir(t), FIRST, { password: 'made-by-the-caller' });
  assert.equal(given.credentials.password, 'made-by-the-caller');
  assert.equal(writeAdminCredentials(dir, FIRST, { password: 'made-by-the-caller' }).credentials.password, written.credentials.password);
  // Another data dir, another password.
  assert.notEqual(writeAdminCredentials(dataDir(t), FIRST).credentials.password, written.credentials.password);
});

test('a later start on other ports keeps the password and the operator’s lines, and rewrites the URLs', (t) => {
  const dir = dataDir(t);
  const first = writeAdminCredentials(dir, FIRST);
  appendFileSync(first.openrcPath, 'export OS_CACERT=/etc/ssl/mine.pem\n');
  const later = writeAdminCredentials(dir, LATER);
  assert.equal(later.created, false);
  assert.deepEqual(later.credentials, first.credentials);
  const env = sourced(later.openrcPath);
  assert.equal(env.OS_AUTH_URL, 'http://127.0.0.1:6111/identity');
  assert.equal(env.CUMULO_MQTT_URL, 'mqtt://127.0.0.1:2883');
  assert.equal(env.OS_PASSWORD, first.credentials.password);
  assert.equal(env.OS_CACERT, '/etc/ssl/mine.pem');
  const cloud = (yaml.load(readFileSync(later.cloudsYamlPath, 'utf8')) as { clouds: { cumulo: { auth: Record<string, string>; cumulo_mqtt_url: string } } }).clouds.cumulo;
  assert.equal(cloud.auth.auth_url, 'http://127.0.0.1:6111/identity');
  assert.equal(cloud.auth.password, first.credentials.password);
  assert.equal(cloud.cumulo_mqtt_url, 'mqtt://127.0.0.1:2883');
  for (const path of [later.openrcPath, later.cloudsYamlPath]) assert.equal(statSync(path).mode & 0o777, 0o600, path);

  // A lost clouds.yaml is made again from openrc's password.
  unlinkSync(later.cloudsYamlPath);
  const again = writeAdminCredentials(dir, LATER);
  assert.deepEqual(readAdminCredentials(dir), first.credentials);
  assert.equal(again.created, false);
});

test('awkward passwords survive the shell and YAML quoting', (t) => {
  const dir = dataDir(t);
  const password = `it's "quoted" $HOME \`x\` \\ # :`;
  writeFileSync(join(dir, 'openrc'), renderOpenrc({ userName: 'admin', projectName: 'admin', password, ...FIRST }), { mode: 0o600 });
  assert.equal(sourced(join(dir, 'openrc')).OS_PASSWORD, password);
  const written = writeAdminCredentials(dir, FIRST);
  assert.equal(written.credentials.password, password);
  const cloud = yaml.load(readFileSync(written.cloudsYamlPath, 'utf8')) as { clouds: { cumulo: { auth: { password: string } } } };
  assert.equal(cloud.clouds.cumulo.auth.password, password);
});

test('the files’ password is the admin’s: bootstrap with it on first start, log in with it', async (t) => {
  const dir = dataDir(t);
  const system = createActorSystem({ store: createMemoryStore(), clock: new VirtualClock(1) });
  t.after(() => system.stop());
  unwrap(registerIdentity(system, { passwordCost: 1024 }));
  const written = writeAdminCredentials(dir, FIRST);
  assert.equal(unwrap(await bootstrapAdmin(system, { password: written.credentials.password })).created, true);
  // A later start reads the same password; bootstrap leaves the admin as it is.
  const later = writeAdminCredentials(dir, LATER);
  assert.equal(unwrap(await bootstrapAdmin(system, { password: later.credentials.password })).created, false);
  const login = unwrap(await issueToken(system, { userName: 'admin', password: readAdminCredentials(dir)!.password, projectName: 'admin' }));
  assert.deepEqual(login.caller.roles, ['admin', 'member', 'reader']);
});
