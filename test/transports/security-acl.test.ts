// Proves the topic ACL holds against foreign clients (Debian's mosquitto_pub and mosquitto_sub,
// real processes) on three brokers set up from one user table: the embedded aedes broker with
// the static authenticator, mosquitto 2 with a password file and mosquittoAclFile(), and
// mosquitto 2 with the dynamic-security plugin and dynsecCommands(). A client reaches mailbox
// shards, its own reply topic and its project's events, and nothing else. "Nothing arrives" is
// shown by a sentinel on an allowed topic sent after the forbidden messages on the same path.
// It also checks that docs/mqtt-security.md shows exactly the generated ACL file and commands.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker } from '../../transports/broker.js';
import { createStaticAuthenticator, type StaticUser } from '../../transports/static-authenticator.js';
import { dynsecCommands, mosquittoAclFile } from '../../transports/acl.js';
import { topics } from '../../transports/topics.js';
import { freePort } from '../helpers/mosquitto.js';

/** The table of docs/mqtt-security.md's examples. */
const USERS: Readonly<Record<string, StaticUser>> = {
  'node-1': { password: 'node-secret', role: 'node' },
  alice: { password: 'alice-secret', role: 'client', projectId: 'p1', clientIds: ['alice-1', 'alice-2'] },
  bob: { password: 'bob-secret', role: 'client', projectId: 'p2', clientIds: ['bob-1'] },
};
const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const ADMIN = { username: 'admin', password: 'admin-secret' };
const SERVER = '01J9ZQ4V8N6W3X2Y1Z0A9B8C7D';

// --- processes --------------------------------------------------------------------------

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; stdin is /dev/null (mosquitto_ctrl would otherwise prompt). */
function run(command: string, args: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Everything a child writes to one stream, with a way to await a pattern in it. */
function watch(child: ChildProcess, stream: 'stdout' | 'stderr') {
  let text = '';
  const waiters = new Set<() => void>();
  child[stream]?.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters) w();
  });
  child.once('exit', () => {
    for (const w of waiters) w();
  });
  return {
    text: () => text,
    /** Resolves once the text so far matches; rejects if the process ends first. */
    until: (pattern: RegExp): Promise<string> =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            waiters.delete(check);
            resolve(text);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`${child.spawnargs.join(' ')} exited (${child.exitCode}) before ${pattern}: ${text}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * A private directory for broker files. mosquitto started by root drops to the `mosquitto`
 * user, which must still read the password and ACL files (hence 0755, not mkdtemp's 0700).
 */
function brokerDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-security-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function runMosquitto(t: TestContext, dir: string, lines: readonly string[]): Promise<number> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [...lines, `listener ${port} 127.0.0.1`, 'set_tcp_nodelay true', 'log_dest stderr', 'persistence false'].join('\n') + '\n');
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = watch(child, 'stderr');
  t.after(() => stop(child));
  await log.until(/running/);
  return port;
}

// --- the three brokers --------------------------------------------------------------------

interface Setup {
  readonly name: string;
  /** What mosquitto_pub sees of a refused QoS 1 publish. */
  readonly refusedPublish: 'connection lost' | 'acknowledged';
  /** SUBACK code of a refused subscription; mosquitto's acl_file grants it and filters delivery. */
  readonly refusedSubscribe: 128 | 0;
  start(t: TestContext): Promise<number>;
}

const SETUPS: readonly Setup[] = [
  {
    name: 'embedded aedes broker with the static authenticator',
    refusedPublish: 'connection lost',
    refusedSubscribe: 128,
    start: async (t) => {
      const broker = await startBroker({ port: 0, authenticator: await createStaticAuthenticator(USERS, { cost: 1024 }) });
      t.after(() => broker.close());
      return broker.port;
    },
  },
  {
    name: 'mosquitto with password_file and acl_file',
    refusedPublish: 'acknowledged',
    refusedSubscribe: 0,
    start: async (t) => {
      const dir = brokerDir(t);
      const passwd = join(dir, 'passwd');
      writeFileSync(passwd, Object.entries(USERS).map(([name, u]) => `${name}:${u.password}\n`).join(''));
      const hashed = await run('mosquitto_passwd', ['-U', passwd]); // hashes the plain file in place
      assert.equal(hashed.code, 0, hashed.stderr);
      writeFileSync(join(dir, 'acl'), mosquittoAclFile(USERS));
      return runMosquitto(t, dir, ['allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`]);
    },
  },
  {
    name: 'mosquitto with the dynamic-security plugin',
    refusedPublish: 'acknowledged',
    refusedSubscribe: 128,
    start: async (t) => {
      const dir = brokerDir(t);
      const config = join(dir, 'dynamic-security.json');
      const init = await run('mosquitto_ctrl', ['dynsec', 'init', config, ADMIN.username, ADMIN.password]);
      assert.equal(init.code, 0, init.stderr);
      chmodSync(config, 0o666); // the plugin saves every change here, as the `mosquitto` user
      const port = await runMosquitto(t, dir, ['per_listener_settings false', `plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${config}`]);
      const ctrl = ['-h', '127.0.0.1', '-p', String(port), '-u', ADMIN.username, '-P', ADMIN.password, 'dynsec'];
      const passwords = Object.entries(USERS).map(([name, u]) => ['setClientPassword', name, u.password]);
      for (const args of [...dynsecCommands(USERS), ...passwords]) {
        const r = await run('mosquitto_ctrl', [...ctrl, ...args]);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout} ${r.stderr}`);
        assert.doesNotMatch(r.stdout + r.stderr, /Error/, args.join(' '));
      }
      return port;
    },
  },
];

// --- clients --------------------------------------------------------------------------------

function credentials(username: string, clientId: string): string[] {
  return ['-u', username, '-P', USERS[username]!.password, '-i', clientId];
}

/** mosquitto_pub at QoS 1 as alice, to its end. */
function alicePublishes(port: number, topic: string, message: string): Promise<Exit> {
  return run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), ...credentials('alice', 'alice-2'), '-q', '1', '-t', topic, '-m', message]);
}

/** A node (mqtt.js) that records every topic under cumulo/# and can await one. */
async function nodeObserver(t: TestContext, port: number) {
  const node = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: 'node-observer',
    username: 'node-1',
    password: USERS['node-1']!.password,
    reconnectPeriod: 0,
  });
  t.after(() => node.endAsync());
  await node.subscribeAsync('cumulo/#', { qos: 1 });
  const seen: string[] = [];
  const waiters: Array<() => void> = [];
  node.on('message', (topic, payload) => {
    seen.push(`${topic} ${payload.toString()}`);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (line: string): Promise<void> => {
    while (!seen.includes(line)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { node, seen, until };
}

for (const setup of SETUPS) {
  void test(`${setup.name}: a client publishes only to mailbox shards`, async (t) => {
    const port = await setup.start(t);
    const observer = await nodeObserver(t, port);
    const forbidden = [
      topics.event('p2', 'server', SERVER), // another project's events
      topics.event('p1', 'server', SERVER), // its own project's events: only nodes publish events
      topics.host('h1'),
      topics.lease(3),
      topics.reply('bob-1'), // another client's replies
      topics.reply('alice-1'),
      'elsewhere/outside-cumulo',
    ];
    for (const topic of forbidden) {
      const r = await alicePublishes(port, topic, 'forbidden');
      // aedes closes the connection (MQTT 3.1.1 has no negative PUBACK); mosquitto acks and drops.
      if (setup.refusedPublish === 'acknowledged') assert.equal(r.code, 0, `${topic}: ${r.stderr}`);
      else assert.match(r.stderr, /connection was lost/i, topic);
    }
    // Each forbidden publish was settled (acked or cut off) before this one starts, and a
    // broker routes a publish before acknowledging it; had any passed, it would arrive first.
    const mailbox = topics.mailboxOf('server', SERVER);
    const sent = await alicePublishes(port, mailbox, '{"type":"sentinel"}');
    assert.equal(sent.code, 0, sent.stderr);
    await observer.until(`${mailbox} {"type":"sentinel"}`);
    assert.deepEqual(observer.seen, [`${mailbox} {"type":"sentinel"}`]);
  });

  void test(`${setup.name}: a client receives only its own replies and its project's events`, async (t) => {
    const port = await setup.start(t);
    const { node } = await nodeObserver(t, port);
    const allowed = [topics.reply('alice-1'), 'cumulo/events/p1/#'];
    const refused = ['cumulo/#', 'cumulo/reply/+', topics.reply('bob-1'), 'cumulo/events/p2/#', 'cumulo/events/+/server/+', 'cumulo/lease/+', 'cumulo/host/h1', '#'];
    const filters = [...allowed, ...refused];
    // stdbuf -oL: mosquitto_sub's stdout is a pipe here, which stdio would buffer until exit.
    const args = ['-h', '127.0.0.1', '-p', String(port), ...credentials('alice', 'alice-1'), '-d', '-v', ...filters.flatMap((f) => ['-t', f])];
    const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = watch(sub, 'stdout');
    t.after(() => stop(sub));
    const subscribed = await output.until(/Subscribed \(mid: \d+\): [\d, ]+\n/);
    const granted = /Subscribed \(mid: \d+\): ([\d, ]+)\n/.exec(subscribed)![1]!.split(', ').map(Number);
    assert.deepEqual(granted, [...allowed.map(() => 0), ...refused.map(() => setup.refusedSubscribe)]);

    const secrets = [topics.reply('bob-1'), topics.event('p2', 'server', SERVER), topics.lease(1), topics.host('h1'), topics.mailbox(1)];
    for (const topic of secrets) await node.publishAsync(topic, 'secret', { qos: 1 });
    // Sent after the secrets by the same connection, so they arrive after any secret that passed.
    await node.publishAsync(topics.event('p1', 'server', SERVER), 'event-sentinel', { qos: 1 });
    await node.publishAsync(topics.reply('alice-1'), 'reply-sentinel', { qos: 1 });
    const out = await output.until(/reply-sentinel/);
    const received = out.split('\n').filter((l) => l.startsWith('cumulo/'));
    assert.ok(received.includes(`${topics.event('p1', 'server', SERVER)} event-sentinel`), out);
    assert.equal(received.filter((l) => l.endsWith('secret')).length, 0, out);
  });
}

void test('docs/mqtt-security.md shows exactly the generated ACL file and dynamic-security commands', () => {
  const doc = readFileSync(new URL('../../../docs/mqtt-security.md', import.meta.url), 'utf8');
  assert.ok(doc.includes('```\n' + mosquittoAclFile(USERS) + '```'), 'the acl_file block differs from mosquittoAclFile()');
  const script = dynsecCommands(USERS)
    .map((args) => `$CTRL dynsec ${args.join(' ')}`)
    .join('\n');
  assert.ok(doc.includes(script), 'the dynamic-security commands differ from dynsecCommands()');
});
