// Proves that a subscription the broker's ACL refuses (SUBACK 0x80, MQTT 3.1.1 §3.9.3) rejects
// its subscribe() with SUBSCRIPTION_REFUSED instead of leaving it pending forever, on the embedded
// aedes broker (static authenticator) and on mosquitto 2 (dynamic-security plugin); that the filters
// granted in the same session still work; and that a refused filter left in the transport does
// not stop the re-subscription after a broker restart from going live.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dynsecCommands } from '../../transports/acl.js';
import { startBroker, type EmbeddedBroker } from '../../transports/broker.js';
import { FabricError } from '../../transports/errors.js';
import { connectMqtt, SubscriptionRefused } from '../../transports/mqtt-transport.js';
import { createStaticAuthenticator, type StaticUser } from '../../transports/static-authenticator.js';
import { topics } from '../../transports/topics.js';
import type { Transport, TransportStatus } from '../../transports/transport.js';
import { Inbox, bytes } from '../helpers/brokers.js';
import { freePort } from '../helpers/mosquitto.js';

const USERS: Readonly<Record<string, StaticUser>> = {
  'node-1': { password: 'node-secret', role: 'node' },
  alice: { password: 'alice-secret', role: 'client', projectId: 'p1', clientIds: ['alice-1'] },
};
const DYNSEC_PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const ADMIN = { username: 'admin', password: 'admin-secret' };
const TIMEOUT = { timeout: 10_000 };

interface Setup {
  readonly url: string;
  restart(): Promise<void>;
}

async function aedes(t: TestContext): Promise<Setup> {
  const authenticator = await createStaticAuthenticator(USERS, { cost: 1024 });
  let broker: EmbeddedBroker = await startBroker({ port: 0, authenticator });
  const port = broker.port;
  t.after(() => broker.close());
  return {
    url: broker.url,
    restart: async () => {
      await broker.close();
      broker = await startBroker({ port, authenticator });
    },
  };
}

/** mosquitto 2 with the dynamic-security plugin (an acl_file grants every SUBSCRIBE and filters delivery). */
async function mosquitto(t: TestContext): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-suback-'));
  chmodSync(dir, 0o755); // mosquitto started by root reads its files as the `mosquitto` user
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'dynamic-security.json');
  execFileSync('mosquitto_ctrl', ['dynsec', 'init', config, ADMIN.username, ADMIN.password], { stdio: 'ignore' });
  chmodSync(config, 0o666);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    ['per_listener_settings false', `plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${config}`, `listener ${port} 127.0.0.1`, 'set_tcp_nodelay true', 'log_dest stderr', 'persistence false'].join('\n') + '\n',
  );
  let child: ChildProcess | undefined;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let seen = '';
      c.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('running')) resolve();
      });
      c.once('exit', (code) => reject(new Error(`mosquitto exited with ${code}: ${seen}`)));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await launch();
  t.after(stop);
  const ctrl = ['-h', '127.0.0.1', '-p', String(port), '-u', ADMIN.username, '-P', ADMIN.password, 'dynsec'];
  const passwords = Object.entries(USERS).map(([name, u]) => ['setClientPassword', name, u.password]);
  for (const args of [...dynsecCommands(USERS), ...passwords]) execFileSync('mosquitto_ctrl', [...ctrl, ...args], { stdio: 'ignore' });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

function nextStatus(transport: Transport, wanted: TransportStatus): Promise<void> {
  return new Promise((resolve) => {
    const off = transport.onStatus((s) => {
      if (s !== wanted) return;
      off();
      resolve();
    });
  });
}

for (const [name, start] of [
  ['aedes', aedes],
  ['mosquitto', mosquitto],
] as const) {
  void test(`${name}: a subscription refused by the ACL rejects with SUBSCRIPTION_REFUSED; granted ones still work, after a restart too`, TIMEOUT, async (t) => {
    const setup = await start(t);
    const alice = await connectMqtt({ url: setup.url, clientId: 'alice-1', username: 'alice', password: USERS.alice!.password });
    t.after(() => alice.close());
    const node = await connectMqtt({ url: setup.url, clientId: 'node-a', username: 'node-1', password: USERS['node-1']!.password });
    t.after(() => node.close());

    const own = new Inbox();
    await alice.subscribe(topics.reply('alice-1'), own.handler);
    await assert.rejects(alice.subscribe(topics.reply('bob-1'), () => undefined), (e: unknown) => {
      assert.ok(e instanceof FabricError && SubscriptionRefused.is(e.value), String(e));
      return true;
    });
    await assert.rejects(alice.subscribe('cumulo/#', () => undefined), /SUBSCRIPTION_REFUSED/);

    await node.publish(topics.reply('alice-1'), bytes('before'));
    await own.received('before');

    // The restart re-subscribes what the transport holds: the refused filters are no longer in
    // it, and even if one were, the granted ones must go live.
    const back = nextStatus(alice, 'connected');
    await setup.restart();
    await back;
    await node.publish(topics.reply('alice-1'), bytes('after'));
    await own.received('after');
  });
}
