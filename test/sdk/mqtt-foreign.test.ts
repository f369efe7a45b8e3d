// A foreign client: Debian's mosquitto_pub and mosquitto_sub processes drive compute with JSON
// envelopes over MQTT, exactly as docs/mqtt-api.md "Compute over MQTT" shows. Proves: a member
// logs in with its password, gets a token by an `authenticate` request, boots a server with
// the token (MQTT username `token`) and sees its events BUILD → ACTIVE; without a token (an
// anonymous connection, or an envelope without one) it is refused, and another project's token
// can neither hear the project's events nor see or delete its server; a reader's token lists and
// shows A's servers and is refused (FORBIDDEN) when it creates or deletes one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Cloud, Fabric } from '../../sdk/index.js';
import { shardOf } from '../../transports/topics.js';

interface Line {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** A `mosquitto_sub -v -d` process: its SUBACK grants and the messages it prints, as they come. */
class Subscriber {
  private readonly lines: Line[] = [];
  private buffer = '';
  private waiter: (() => void) | undefined;
  readonly granted: Promise<number[]>;

  constructor(private readonly child: ChildProcess) {
    let grant: (codes: number[]) => void = () => undefined;
    this.granted = new Promise((resolve) => (grant = resolve));
    child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const subscribed = /^Subscribed \(mid: \d+\): (.*)$/.exec(line);
        if (subscribed) grant(subscribed[1]!.split(', ').map(Number));
        const message = /^(cumulo\/\S+) (\{.*\})$/.exec(line);
        if (message) this.lines.push({ topic: message[1]!, payload: JSON.parse(message[2]!) as Record<string, unknown> });
        this.waiter?.();
      }
    });
  }

  /** The first message (from the start of the run) that matches, waiting up to 5 s for it. */
  async find(match: (line: Line) => boolean): Promise<Line> {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      this.waiter?.();
    }, 5000);
    try {
      for (;;) {
        const found = this.lines.find(match);
        if (found) return found;
        if (expired) throw new Error(`no matching message; got ${JSON.stringify(this.lines)}`);
        await new Promise<void>((resolve) => (this.waiter = resolve));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    this.child.kill();
  }
}

function subscribe(port: string, login: readonly string[], clientId: string, filters: readonly string[]): Subscriber {
  const args = ['-oL', 'mosquitto_sub', '-d', '-v', '-h', '127.0.0.1', '-p', port, ...login, '-i', clientId, '-q', '1'];
  for (const f of filters) args.push('-t', f);
  return new Subscriber(spawn('stdbuf', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Runs mosquitto_pub (never spawnSync: the broker lives in this very process). */
function publish(port: string, login: readonly string[], clientId: string, topic: string, message: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, ...login, '-i', clientId, '-q', '1', '-t', topic, '-m', message]);
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A JSON request envelope as docs/mqtt-api.md defines it (unsequenced: seq 0). */
function request(kind: string, id: string, type: string, from: string, token: string | null, body: Record<string, unknown>): { topic: string; message: string; corr: string } {
  const corr = randomBytes(16).toString('hex');
  const envelope = { v: 1, type, to: `${kind}/${id}`, from, replyTo: `cumulo/reply/${from}`, corr, inc: randomBytes(16).toString('hex'), seq: 0, deadline: null, token, body };
  return { topic: `cumulo/mbox/${shardOf(kind, id)}`, message: JSON.stringify(envelope), corr };
}

const replyBody = (line: Line): Record<string, unknown> => line.payload.body as Record<string, unknown>;

test('mosquitto_pub/mosquitto_sub boot a server with a token and see its events; no token or another project’s token is refused', async (t) => {
  const fabric = await Fabric.start({ transport: 'mqtt', hosts: 2, apiPort: null, passwordCost: 1024 });
  t.after(() => fabric.stop());
  const port = new URL(fabric.mqttUrl!).port;
  const admin = await Cloud.attach(fabric);
  t.after(() => admin.stop());
  const projects: Record<string, string> = {};
  for (const [project, user] of [
    ['A', 'alice'],
    ['B', 'bob'],
  ] as const) {
    const p = await admin.identity.createProject({ name: project });
    const u = await admin.identity.createUser({ name: user, password: `${user}-pw` });
    await admin.identity.assignProjectRoleToUser(p.id, u.id, 'member');
    projects[project] = p.id;
  }
  const subscribers: Subscriber[] = [];
  t.after(() => subscribers.forEach((s) => s.stop()));
  const sub = (login: readonly string[], clientId: string, filters: readonly string[]): Subscriber => {
    const s = subscribe(port, login, clientId, filters);
    subscribers.push(s);
    return s;
  };

  // 1. A token, by password over MQTT (username user@project), from identity/default.
  const pw = ['-u', 'alice@A', '-P', 'alice-pw'];
  const login = sub(pw, 'alice-login', ['cumulo/reply/alice-login']);
  assert.deepEqual(await login.granted, [1]);
  const auth = request('identity', 'default', 'authenticate', 'alice-login', null, { userName: 'alice', password: 'alice-pw', projectName: 'A' });
  assert.equal((await publish(port, pw, 'alice-login-pub', auth.topic, auth.message)).code, 0);
  const authReply = replyBody(await login.find((l) => l.payload.corr === auth.corr));
  assert.equal(authReply.type, 'ok', JSON.stringify(authReply));
  const token = (authReply.body as { token: string }).token;
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);

  // 2. With the token: replies and the project's events on one subscription, then the boot.
  const withToken = ['-u', 'token', '-P', token];
  const alice = sub(withToken, 'alice-1', ['cumulo/reply/alice-1', `cumulo/events/${projects.A}/#`]);
  assert.deepEqual(await alice.granted, [1, 1]);
  const serverId = randomUUID();
  const create = request('instance', serverId, 'create', 'alice-1', token, { name: 'web-1', flavorId: 'm1.tiny' });
  assert.equal((await publish(port, withToken, 'alice-1-pub', create.topic, create.message)).code, 0);
  const created = replyBody(await alice.find((l) => l.payload.corr === create.corr));
  assert.equal(created.type, 'ok', JSON.stringify(created));
  assert.deepEqual(
    [(created.body as { id: string }).id, (created.body as { status: string }).status, (created.body as { projectId: string }).projectId],
    [serverId, 'BUILD', projects.A],
  );
  const eventTopic = `cumulo/events/${projects.A}/instance/${serverId}`;
  const statusOf = (l: Line): unknown => (l.payload.body as { status?: unknown }).status;
  const build = await alice.find((l) => l.topic === eventTopic && l.payload.type === 'instance.status' && statusOf(l) === 'BUILD');
  const active = await alice.find((l) => l.topic === eventTopic && l.payload.type === 'instance.status' && statusOf(l) === 'ACTIVE');
  assert.equal((active.payload.body as { previous: unknown }).previous, 'BUILD');
  assert.ok((active.payload.seq as number) > (build.payload.seq as number), 'events come in order');
  assert.equal(active.payload.inc, build.payload.inc);

  // 3. No token: an anonymous connection is refused; a logged-in client's envelope without one is too.
  const anonymous = await publish(port, [], 'anon', create.topic, create.message);
  assert.notEqual(anonymous.code, 0);
  assert.match(anonymous.output, /refused/i);
  const tokenless = request('instance', randomUUID(), 'create', 'alice-1', null, { name: 'web-2', flavorId: 'm1.tiny' });
  await publish(port, withToken, 'alice-1-pub', tokenless.topic, tokenless.message);
  const refused = replyBody(await alice.find((l) => l.payload.corr === tokenless.corr));
  assert.equal((refused.error as { code: string }).code, 'UNAUTHORIZED');

  // 4. Another project's token: it may not hear A's events, and A's server does not exist for it.
  const bobAuth = await admin.identity.issueToken({ username: 'bob', password: 'bob-pw', projectName: 'B' });
  const bobLogin = ['-u', 'token', '-P', bobAuth.token];
  const bob = sub(bobLogin, 'bob-1', ['cumulo/reply/bob-1', `cumulo/events/${projects.A}/#`]);
  assert.deepEqual(await bob.granted, [1, 128]);
  for (const type of ['show', 'delete']) {
    const r = request('instance', serverId, type, 'bob-1', bobAuth.token, {});
    await publish(port, bobLogin, 'bob-1-pub', r.topic, r.message);
    const answer = replyBody(await bob.find((l) => l.payload.corr === r.corr));
    assert.equal((answer.error as { code: string }).code, 'INSTANCE_NOT_FOUND', `${type}: ${JSON.stringify(answer)}`);
  }
  const list = request('servers', projects.A!, 'list', 'bob-1', bobAuth.token, {});
  await publish(port, bobLogin, 'bob-1-pub', list.topic, list.message);
  assert.equal(((replyBody(await bob.find((l) => l.payload.corr === list.corr)).error as { code: string }).code), 'FORBIDDEN');
  // Bob's token cannot read A's reply topic either: a reply goes to the client id it names.
  const stolen = sub(bobLogin, 'bob-2', ['cumulo/reply/alice-1']);
  assert.deepEqual(await stolen.granted, [128]);

  // 5. A reader of A: it logs in by password like anyone, reads (list, show), and the actors
  // refuse its changes (FORBIDDEN).
  const reader = await admin.identity.createUser({ name: 'rita', password: 'rita-pw' });
  await admin.identity.assignProjectRoleToUser(projects.A!, reader.id, 'reader');
  const ritaPw = ['-u', 'rita@A', '-P', 'rita-pw'];
  const ritaLogin = sub(ritaPw, 'rita-login', ['cumulo/reply/rita-login']);
  assert.deepEqual(await ritaLogin.granted, [1]);
  const ritaAuth = request('identity', 'default', 'authenticate', 'rita-login', null, { userName: 'rita', password: 'rita-pw', projectName: 'A' });
  assert.equal((await publish(port, ritaPw, 'rita-login-pub', ritaAuth.topic, ritaAuth.message)).code, 0);
  const ritaToken = ((replyBody(await ritaLogin.find((l) => l.payload.corr === ritaAuth.corr)).body as { token: string }).token);
  const ritaWith = ['-u', 'token', '-P', ritaToken];
  const rita = sub(ritaWith, 'rita-1', ['cumulo/reply/rita-1', `cumulo/events/${projects.A}/#`]);
  assert.deepEqual(await rita.granted, [1, 1]);
  const asks = [
    { r: request('servers', projects.A!, 'list', 'rita-1', ritaToken, {}), want: 'ok' },
    { r: request('instance', serverId, 'show', 'rita-1', ritaToken, {}), want: 'ok' },
    { r: request('instance', randomUUID(), 'create', 'rita-1', ritaToken, { name: 'rita-1', flavorId: 'm1.tiny' }), want: 'FORBIDDEN' },
    { r: request('instance', serverId, 'delete', 'rita-1', ritaToken, {}), want: 'FORBIDDEN' },
  ];
  for (const { r, want } of asks) {
    assert.equal((await publish(port, ritaWith, 'rita-1-pub', r.topic, r.message)).code, 0);
    const answer = replyBody(await rita.find((l) => l.payload.corr === r.corr));
    assert.equal(answer.type === 'ok' ? 'ok' : (answer.error as { code: string }).code, want, `${r.topic}: ${JSON.stringify(answer)}`);
  }
  const listed = replyBody(await rita.find((l) => l.payload.corr === asks[0]!.r.corr)).body as { servers?: Array<{ id: string }> } | Array<{ id: string }>;
  assert.ok(JSON.stringify(listed).includes(serverId), 'the reader’s list shows A’s server');

  const seen = await admin.compute.getServer(serverId);
  assert.equal(seen.status, 'ACTIVE');
});
