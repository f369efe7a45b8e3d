// Proves the MQTT message API works for a foreign client holding only client credentials: Debian's
// mosquitto_pub sends JSON envelopes (seq 0, unsequenced, docs/mqtt-api.md) to an actor's mailbox
// shard on the embedded broker, and mosquitto_sub, subscribed to the client's own reply topic,
// reads the JSON replies an Endpoint (a node principal over connectMqtt) sends back: an ok reply,
// an error value from the handler, and BAD_ENVELOPE for an envelope missing a field. And that a
// client cannot put another user's reply topic in `replyTo`: the broker, which knows who
// publishes, refuses the request, so the other client gets nothing and no handler runs.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startBroker } from '../../transports/broker.js';
import { WallClock } from '../../transports/clock.js';
import { createEndpoint, type Endpoint } from '../../transports/endpoint.js';
import { BadRequest } from '../../transports/errors.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';
import { createStaticAuthenticator, type StaticUser } from '../../transports/static-authenticator.js';
import { topics } from '../../transports/topics.js';
import type { Transport } from '../../transports/transport.js';

const USERS: Readonly<Record<string, StaticUser>> = {
  'node-1': { password: 'node-secret', role: 'node' },
  cli: { password: 'cli-secret', role: 'client', projectId: 'p1', clientIds: ['cli-1', 'cli-1-pub'] },
  bob: { password: 'bob-secret', role: 'client', projectId: 'p1', clientIds: ['bob-1'] },
};
const ACTOR = { kind: 'echo', id: '01J9ZQ4V8N6W3X2Y1Z0A9B8C7D' };

/** Starts the broker and a node endpoint serving the actor's shard: `echo` is answered, other types refused. */
async function startFabric(t: TestContext): Promise<{ port: number; endpoint: Endpoint; transport: Transport }> {
  const broker = await startBroker({ port: 0, authenticator: await createStaticAuthenticator(USERS, { cost: 1024 }) });
  t.after(() => broker.close());
  const transport = await connectMqtt({ url: broker.url, clientId: 'node-a', username: 'node-1', password: USERS['node-1']!.password });
  t.after(() => transport.close());
  const endpoint = await createEndpoint({ transport, clock: new WallClock() });
  t.after(() => endpoint.close());
  await endpoint.serve(topics.mailboxOf(ACTOR.kind, ACTOR.id), (d) => {
    if (d.envelope.type === 'echo') return d.reply({ echo: d.envelope.body });
    return d.fail(BadRequest(`echo does not handle ${d.envelope.type}`));
  });
  return { port: broker.port, endpoint, transport };
}

function client(port: number, clientId: string, user = 'cli'): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-u', user, '-P', USERS[user]!.password, '-i', clientId, '-q', '1'];
}

/** Everything a child writes to stdout, with a way to await a pattern in it. */
function watchStdout(child: ChildProcess) {
  let text = '';
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout?.on('data', (d: Buffer) => {
    text += d.toString();
    wake();
  });
  child.once('exit', wake);
  const until = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(text)) {
          waiters.delete(check);
          resolve(text);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.delete(check);
          reject(new Error(`mosquitto_sub exited (${child.exitCode}) before ${pattern}: ${text}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { until, text: () => text };
}

function publish(port: number, message: string): Promise<number | null> {
  return publishWithStderr(port, message).then((r) => r.code);
}

function publishWithStderr(port: number, message: string): Promise<{ code: number | null; stderr: string }> {
  const args = [...client(port, 'cli-1-pub'), '-t', topics.mailboxOf(ACTOR.kind, ACTOR.id), '-m', message];
  return new Promise((resolve, reject) => {
    const pub = spawn('mosquitto_pub', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    pub.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    pub.once('error', reject);
    pub.once('close', (code) => resolve({ code, stderr }));
  });
}

const corr = (n: number): string => n.toString(16).padStart(32, '0');

function request(n: number, type: string, body: unknown): Record<string, unknown> {
  return {
    v: 1,
    type,
    to: `${ACTOR.kind}/${ACTOR.id}`,
    from: 'cli-1',
    replyTo: topics.reply('cli-1'),
    corr: corr(n),
    inc: 'fedcba9876543210fedcba9876543210',
    seq: 0,
    deadline: null,
    token: null,
    body,
  };
}

void test('mosquitto_pub sends JSON requests and mosquitto_sub reads the JSON replies on its reply topic', { timeout: 10_000 }, async (t) => {
  const { port } = await startFabric(t);
  // -d prints "Subscribed" once the SUBACK is in; stdbuf -oL flushes each line into the pipe.
  const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...client(port, 'cli-1'), '-d', '-C', '3', '-t', topics.reply('cli-1')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (sub.exitCode === null) sub.kill();
  });
  const output = watchStdout(sub);
  const closed = new Promise<void>((resolve) => sub.once('close', () => resolve()));
  await output.until(/Subscribed \(mid: \d+\): 1\n/);

  const missingFrom: Record<string, unknown> = request(3, 'echo', {});
  delete missingFrom.from;
  for (const message of [request(1, 'echo', { text: 'héllo' }), request(2, 'launch', {}), missingFrom]) {
    assert.equal(await publish(port, JSON.stringify(message)), 0);
  }
  // -C 3: mosquitto_sub exits after the third message; 'close' comes once its stdout is drained.
  await closed;
  const text = output.text();
  const replies = new Map<string, Record<string, unknown>>();
  for (const line of text.split('\n').filter((l) => l.startsWith('{'))) {
    const reply = JSON.parse(line) as Record<string, unknown>;
    replies.set(String(reply.corr), reply);
  }

  const ok = replies.get(corr(1));
  assert.deepEqual(
    { type: ok?.type, to: ok?.to, from: ok?.from, seq: ok?.seq, body: ok?.body },
    { type: 'reply', to: 'cli-1', from: `${ACTOR.kind}/${ACTOR.id}`, seq: 0, body: { type: 'ok', body: { echo: { text: 'héllo' } } } },
  );
  assert.deepEqual(replies.get(corr(2))?.body, {
    type: 'error',
    error: { code: 'BAD_REQUEST', message: 'echo does not handle launch', status: 400, retryable: false },
  });
  const bad = replies.get(corr(3))?.body as { type: string; error: { code: string; details?: { field?: string } } } | undefined;
  assert.equal(bad?.type, 'error');
  assert.equal(bad.error.code, 'BAD_ENVELOPE');
  assert.equal(bad.error.details?.field, 'from');
});

void test('a client cannot have replies sent to another client: a forged replyTo is refused by the broker', { timeout: 10_000 }, async (t) => {
  const { port, endpoint, transport } = await startFabric(t);
  // bob listens on its own reply topic; -C 1: it exits after the first message it gets.
  const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...client(port, 'bob-1', 'bob'), '-d', '-C', '1', '-t', topics.reply('bob-1')], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (sub.exitCode === null) sub.kill();
  });
  const output = watchStdout(sub);
  const closed = new Promise<void>((resolve) => sub.once('close', () => resolve()));
  await output.until(/Subscribed \(mid: \d+\): 1\n/);

  const forged = { ...request(7, 'echo', { text: 'for bob' }), replyTo: topics.reply('bob-1') };
  const malformed: Record<string, unknown> = { ...forged, corr: corr(8) };
  delete malformed.from; // answered BAD_ENVELOPE at the salvaged address, were it allowed
  for (const message of [forged, malformed]) {
    const r = await publishWithStderr(port, JSON.stringify(message));
    // aedes refuses a publish by closing the connection (MQTT 3.1.1 has no negative PUBACK).
    assert.match(r.stderr, /connection was lost/i);
  }
  // Its own reply topic is fine (and another connection of its user: the test above).
  assert.equal(await publish(port, JSON.stringify({ ...request(9, 'echo', {}), replyTo: topics.reply('cli-1-pub') })), 0);
  // Sent after the forged requests were refused: had a reply to bob gone out, bob would get it first.
  await transport.publish(topics.reply('bob-1'), Buffer.from('sentinel'));
  await closed;
  assert.equal(output.text().split('\n').filter((l) => l.length > 0 && !l.startsWith('Client') && !l.startsWith('Subscribed')).join('\n'), 'sentinel');
  assert.equal(endpoint.stats().handled, 1, 'only the honest request reached the handler');
  assert.equal(endpoint.stats().malformedAnswered, 0);
});
