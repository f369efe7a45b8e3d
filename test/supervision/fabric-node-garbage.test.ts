// Hostile input on a live actor's mailbox, end to end: 10,000 random, truncated, corrupted,
// invalid and oversized payloads published through the embedded broker to the mailbox shard of
// host/host-1 in a running fabric. Each one with a readable reply address gets an error reply, the
// rest are counted drops, the actor never sees any of them, and it keeps serving correct
// requests in the middle of the storm and after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fabric } from '../../sdk/index.js';
import { Session } from '../../sdk/session.js';
import { wallClock } from '../../transports/clock.js';
import { MAX_PAYLOAD_BYTES, decodeEnvelope, salvageReplyAddress } from '../../transports/codec.js';
import { connectMqtt } from '../../transports/mqtt-transport.js';
import { matches } from '../../transports/topic-matcher.js';
import { topics } from '../../transports/topics.js';
import { garbage, prng } from '../helpers/garbage.js';

const TOTAL = 10_000;

test('10,000 malformed payloads to an actor mailbox are answered or counted; the actor serves on', { timeout: 120_000 }, async (t) => {
  const fabric = await Fabric.start({ apiPort: null, hosts: 1 });
  t.after(() => fabric.stop());
  const login = { username: 'admin@admin', password: fabric.adminPassword };
  const raw = await connectMqtt({ url: fabric.mqttUrl!, clientId: 'garbage-raw', ...login });
  t.after(() => raw.close());
  const opened = await Session.open({
    transport: await connectMqtt({ url: fabric.mqttUrl!, clientId: 'garbage-asker', ...login }),
    clock: wallClock,
    login: { username: 'admin', password: fabric.adminPassword, projectName: 'admin' },
  });
  assert.ok(opened.ok);
  const asker = opened.value;
  t.after(() => asker.close());
  const mailbox = topics.mailboxOf('host', 'host-1');
  const heartbeat = () => asker.ask('host', 'host-1', 'heartbeat', {});

  const replyTopic = topics.reply('garbage-raw');
  const replies: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  await raw.subscribe(replyTopic, (_topic, payload) => {
    replies.push(payload);
    wake?.();
  });

  const before = fabric.endpoint.stats();
  let toUs = 0;
  let answerable = 0;
  let oversized = 0;
  let sent = 0;
  let batch: Promise<void>[] = [];
  for (const payload of garbage(prng(0xacdc), replyTopic, TOTAL)) {
    const salvaged = salvageReplyAddress(payload);
    // Only reply topics of the scheme are answered: see InboxOptions.replyTopics.
    if (salvaged && matches('cumulo/reply/+', salvaged.replyTo)) answerable++;
    if (salvaged?.replyTo === replyTopic) toUs++;
    if (payload.length > MAX_PAYLOAD_BYTES) oversized++;
    batch.push(raw.publish(mailbox, payload));
    if (++sent % 1_000 === 0) {
      await Promise.all(batch);
      batch = [];
      const r = await heartbeat();
      assert.ok(r.ok, `heartbeat after ${sent} payloads: ${JSON.stringify(r)}`);
    }
  }
  await Promise.all(batch);
  while (replies.length < toUs) await new Promise<void>((resolve) => (wake = resolve));

  const described = await asker.ask('host', 'host-1', 'describe', {});
  assert.ok(described.ok);
  assert.equal((described.value as { heartbeats: number }).heartbeats, TOTAL / 1_000, 'the actor saw only the correct requests');
  const after = fabric.endpoint.stats();
  assert.equal(after.malformedAnswered - before.malformedAnswered, answerable);
  assert.equal(after.malformedDropped - before.malformedDropped, TOTAL - answerable);
  assert.equal(replies.length, toUs);
  const codes = new Map<string, number>();
  for (const payload of replies) {
    const decoded = decodeEnvelope(payload);
    assert.ok(decoded.ok);
    const body = decoded.value.envelope.body as { type: string; error: { code: string } };
    assert.equal(body.type, 'error');
    codes.set(body.error.code, (codes.get(body.error.code) ?? 0) + 1);
  }
  assert.equal(codes.get('PAYLOAD_TOO_LARGE'), oversized);
  assert.equal(codes.get('BAD_ENVELOPE'), toUs - oversized);
});
