// Proves, without a broker, that grants never widen: a subscription filter passes only if every
// topic it can match lies under one grant; role grants give a client its mailbox shards, own
// reply topic and own project's events and nothing else; the static authenticator keeps only
// scrypt hashes and refuses missing, wrong and ill-formed credentials with stable codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { covers, permits } from '../../transports/broker-security.js';
import { clientGrants, grantsFor, mosquittoAclFile, nodeGrants, observerGrants, dynsecCommands, type Grants } from '../../transports/acl.js';
import { createStaticAuthenticator } from '../../transports/static-authenticator.js';
import { hashPassword, verifyPassword } from '../../transports/password-hash.js';
import { isErrorValue, type ErrorValue } from '../../transports/errors.js';
import { topics } from '../../transports/topics.js';

function grants(g: Grants | ErrorValue): Grants {
  if (isErrorValue(g)) throw new Error(`expected grants, got ${g.code}`);
  return g;
}

void test('covers: a filter is allowed only when its topics are a subset of the grant', () => {
  const yes: Array<[string, string]> = [
    ['cumulo/#', 'cumulo/#'],
    ['cumulo/#', 'cumulo'], // `#` includes the parent level (§4.7.1.2)
    ['cumulo/#', 'cumulo/events/+/x'],
    ['cumulo/mbox/+', 'cumulo/mbox/7'],
    ['cumulo/mbox/+', 'cumulo/mbox/+'],
    ['cumulo/events/p1/#', 'cumulo/events/p1/server/+'],
    ['cumulo/events/p1/#', 'cumulo/events/p1/#'],
    ['#', 'anything/at/all'],
  ];
  const no: Array<[string, string]> = [
    ['cumulo/reply/alice', 'cumulo/reply/+'],
    ['cumulo/reply/alice', 'cumulo/#'],
    ['cumulo/reply/alice', 'cumulo/reply/alice/#'],
    ['cumulo/mbox/+', 'cumulo/mbox/#'], // `+` is one level; `#` reaches deeper and the parent
    ['cumulo/mbox/+', 'cumulo/mbox/1/x'],
    ['cumulo/mbox/+', 'cumulo/mbox'],
    ['cumulo/events/p1/#', 'cumulo/events/+/server/x'],
    ['cumulo/events/p1/#', 'cumulo/events/#'],
    ['cumulo/events/p1/#', 'cumulo/events/p10/x'],
    ['#', '$SYS/broker/uptime'], // wildcard-first grants skip `$` topics (§4.7.2)
    ['+/broker/uptime', '$SYS/broker/uptime'],
  ];
  for (const [g, f] of yes) assert.equal(covers(g, f), true, `${g} should cover ${f}`);
  for (const [g, f] of no) assert.equal(covers(g, f), false, `${g} should not cover ${f}`);
});

void test('permits refuses ill-formed filters even under a catch-all grant', () => {
  for (const bad of ['', 'cumulo/#/x', 'cumulo/a+', 'cumulo/#x', 'cumulo/\u0000']) assert.equal(permits(['#'], bad), false, JSON.stringify(bad));
  assert.equal(permits(['cumulo/reply/a', 'cumulo/mbox/+'], 'cumulo/mbox/3'), true);
});

void test('a client may publish to mailbox shards only and read only its own reply topic and project events', () => {
  const g = grants(clientGrants({ clientId: 'alice-1', projectId: 'p1' }));
  assert.equal(permits(g.publish, topics.mailboxOf('server', '01J8Z0000000000000000000AA')), true);
  for (const t of [topics.host('h1'), topics.lease(3), topics.event('p1', 'server', 's1'), topics.event('p2', 'server', 's1'), topics.reply('bob-1'), topics.reply('alice-1')]) {
    assert.equal(permits(g.publish, t), false, `publish ${t}`);
  }
  for (const f of [topics.reply('alice-1'), 'cumulo/events/p1/#', 'cumulo/events/p1/server/+', topics.event('p1', 'server', 's1')]) {
    assert.equal(permits(g.subscribe, f), true, `subscribe ${f}`);
  }
  for (const f of ['#', 'cumulo/#', 'cumulo/reply/+', topics.reply('bob-1'), 'cumulo/events/+/server/s1', 'cumulo/events/p2/#', 'cumulo/mbox/+', 'cumulo/lease/+', 'cumulo/host/#']) {
    assert.equal(permits(g.subscribe, f), false, `subscribe ${f}`);
  }
});

void test('an observer reads its project events and publishes nothing; a node reaches all of cumulo/#', () => {
  const o = grants(observerGrants({ clientId: 'dash', projectId: 'p1' }));
  assert.deepEqual(o.publish, []);
  assert.equal(permits(o.subscribe, 'cumulo/events/p1/#'), true);
  assert.equal(permits(o.subscribe, 'cumulo/events/p2/#'), false);
  const n = grants(nodeGrants('node-1'));
  assert.equal(permits(n.publish, topics.lease(9)), true);
  assert.equal(permits(n.subscribe, 'cumulo/#'), true);
  assert.equal(permits(n.subscribe, '#'), false);
  assert.equal(permits(n.publish, '$SYS/x'), false);
});

void test('client and project ids that are not plain topic levels are refused', () => {
  for (const id of ['a/b', 'a+', '#', '', 'a b']) {
    const g = clientGrants({ clientId: id, projectId: 'p1' });
    assert.equal(isErrorValue(g) && g.code, 'INVALID_CLIENT_ID', JSON.stringify(id));
  }
  const p = clientGrants({ clientId: 'c', projectId: 'p/+' });
  assert.equal(isErrorValue(p) && p.code, 'INVALID_ACL_NAME');
  const pinned = grantsFor({ role: 'client', projectId: 'p1', clientIds: ['alice-1'] }, 'alice-2');
  assert.equal(isErrorValue(pinned) && pinned.code, 'FORBIDDEN');
});

void test('the mosquitto ACL file mirrors the grants and refuses names that could inject lines', () => {
  const text = mosquittoAclFile({ 'node-1': { role: 'node' }, alice: { role: 'client', projectId: 'p1' } });
  assert.match(text, /^pattern read cumulo\/reply\/%c$/m);
  assert.match(text, /^user node-1\ntopic readwrite cumulo\/#$/m);
  assert.match(text, /^user alice\ntopic write cumulo\/mbox\/\+\ntopic read cumulo\/events\/p1\/#$/m);
  assert.throws(() => mosquittoAclFile({ 'eve\ntopic readwrite #': { role: 'node' } }), /INVALID_ACL_NAME/);
  assert.throws(() => dynsecCommands({ alice: { role: 'client', projectId: 'p1' } }), /clientIds/);
});

void test('password hashes: scrypt with a per-hash salt, verified in constant time', async () => {
  const a = await hashPassword('s3cret', 1024);
  const b = await hashPassword('s3cret', 1024);
  assert.notDeepEqual(a.salt, b.salt);
  assert.notDeepEqual(a.hash, b.hash);
  assert.equal(await verifyPassword(Buffer.from('s3cret'), a), true);
  assert.equal(await verifyPassword('s3creT', a), false);
});

void test('the static authenticator refuses missing and wrong credentials and keeps no password', async () => {
  const password = 'correct horse battery staple';
  const auth = await createStaticAuthenticator(
    { alice: { password, role: 'client', projectId: 'p1' }, 'node-1': { password: 'n', role: 'node' } },
    { cost: 1024 },
  );
  const code = (v: unknown) => (isErrorValue(v) ? v.code : 'ok');
  assert.equal(code(await auth.authenticate('alice-1', undefined, undefined)), 'UNAUTHORIZED');
  assert.equal(code(await auth.authenticate('alice-1', 'alice', undefined)), 'UNAUTHORIZED');
  assert.equal(code(await auth.authenticate('alice-1', 'alice', Buffer.from('wrong'))), 'UNAUTHORIZED');
  assert.equal(code(await auth.authenticate('alice-1', 'mallory', Buffer.from(password))), 'UNAUTHORIZED');
  assert.equal(code(await auth.authenticate('a/b', 'alice', Buffer.from(password))), 'INVALID_CLIENT_ID');
  const p = await auth.authenticate('alice-1', 'alice', Buffer.from(password));
  assert.deepEqual(p, { id: 'alice', ...grants(clientGrants({ clientId: 'alice-1', projectId: 'p1' })) });
  const n = await auth.authenticate('node-x', 'node-1', Buffer.from('n'));
  assert.deepEqual(isErrorValue(n) ? n : [n.publish, n.subscribe], [['cumulo/#'], ['cumulo/reply/node-x', 'cumulo/#']]);
  assert.equal(inspect(auth, { depth: Infinity, showHidden: true }).includes(password), false);
});
