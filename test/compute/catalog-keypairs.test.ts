// keypairs/<userId>: generated ed25519 keys are real OpenSSH keys (the private key decodes to the
// seed of the public key, ssh-keygen reads it, and it is answered once, never stored); imports
// accept well-formed ed25519/RSA/ECDSA keys and refuse malformed ones (KEYPAIR_INVALID); names
// are unique per user, re-importing the same key is idempotent; only the user (not with the
// reader role) or an admin manages them; a per-user limit; persistence over a new system.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import type { Caller, Role } from '../../actors/identity/caller.js';
import { createKeypairKind, type GeneratedKeypairView, type KeypairList } from '../../actors/compute/catalog.js';

function caller(userId: string, role: Role): Caller {
  return { userId, userName: userId, domainId: 'default', projectId: 'p1', roles: [role], expiresAt: Number.MAX_SAFE_INTEGER };
}
const alice = caller('alice', 'member');
const aliceReading = caller('alice', 'reader');
const bob = caller('bob', 'member');
const admin = caller('root', 'admin');

// Made with ssh-keygen 8.4; fingerprints from `ssh-keygen -l -E md5`.
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDDfPDgmG2JehalBFSbEU97OK5ttGhNXspgGKMeC4KYqasD3Vu5LyXoPrdKtk4UyqJr6F+7yjXsfdEvF1LLVuTLCincmCDrWrR/Pey71JEineVec/L/uZ86NmLEKsfiLvU34/TBWGRG0f2fa7IXIPPVKPUznC9Iw5o8sDdDcF+wmEn17LZQuh+gMqzMC0nmQvAAWjbR3ptkuPG5Li4jb0a9cvSiNI7vMCoUn3g+icxBISpXHInnNWMVXvT1lzW79knKgJ/Jk/pkCyDD4KzUESYNGNWzA0DHNt7DHHyA4D7U6esMc2zZ/DlPpGOQtykBwxKX4pOy4UmixFWccq4UHPgN rsa-test';
const RSA_MD5 = '7d:5b:cf:67:ab:a9:90:6e:31:ac:d3:63:2a:93:78:3f';
const ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOnYH6HmrS1ZVKljnDNpnCtfrLGkoihGKrwNIu9QpXPYd96TdBxa18oF5LiGxGucOcc/gqXKzTSCmbcXxzMhbcA= root@vm';
const ECDSA_MD5 = '42:77:e6:87:ed:14:3e:8d:1d:05:6d:23:06:b6:66:d0';

/** Deterministic bytes: 0, 1, 2, ... */
function counterBytes(): (n: number) => Buffer {
  let next = 0;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore = createMemoryStore(), maxPerUser?: number) {
  const system = createActorSystem({ store, clock: new VirtualClock(1000), seed: 1 });
  const kind = createKeypairKind(maxPerUser === undefined ? { randomBytes: counterBytes() } : { randomBytes: counterBytes(), maxPerUser });
  assert.ok(system.register(kind).ok);
  t.after(() => system.stop());
  return { system, store, keys: (user: string) => system.ref(kind, user) };
}

function sshString(data: Buffer | string): Buffer {
  const body = Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

/** The fields of an openssh-key-v1 private key, read independently of the code under test. */
function readOpensshPrivate(pem: string): { publicBlob: Buffer; seed: Buffer; pk: Buffer; comment: string } {
  const b64 = pem.replace('-----BEGIN OPENSSH PRIVATE KEY-----', '').replace('-----END OPENSSH PRIVATE KEY-----', '').replace(/\s/g, '');
  const buf = Buffer.from(b64, 'base64');
  assert.equal(buf.subarray(0, 15).toString('latin1'), 'openssh-key-v1\0');
  let at = 15;
  const str = (): Buffer => {
    const n = buf.readUInt32BE(at);
    const out = buf.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return out;
  };
  assert.equal(str().toString(), 'none');
  assert.equal(str().toString(), 'none');
  assert.equal(str().length, 0);
  assert.equal(buf.readUInt32BE(at), 1);
  at += 4;
  const publicBlob = str();
  const section = str();
  assert.equal(at, buf.length);
  assert.equal(section.length % 8, 0);
  assert.deepEqual(section.subarray(0, 4), section.subarray(4, 8), 'check words match');
  const inner = Buffer.from(section.subarray(8));
  let j = 0;
  const istr = (): Buffer => {
    const n = inner.readUInt32BE(j);
    const out = inner.subarray(j + 4, j + 4 + n);
    j += 4 + n;
    return out;
  };
  assert.equal(istr().toString(), 'ssh-ed25519');
  const pk = istr();
  const sk = istr();
  const comment = istr().toString();
  assert.deepEqual(sk.subarray(32), pk);
  return { publicBlob, seed: Buffer.from(sk.subarray(0, 32)), pk: Buffer.from(pk), comment };
}

void test('create without a public key generates an ed25519 key pair in OpenSSH formats', async (t) => {
  const { keys, store } = setup(t);
  const made = await keys('alice').ask({ type: 'create', caller: alice, name: 'laptop' });
  assert.ok(made.ok);
  const key = made.value as GeneratedKeypairView;
  assert.match(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} Generated-by-cumulo$/);
  assert.equal(key.keyType, 'ssh');
  assert.equal(key.userId, 'alice');
  assert.equal(key.createdAt, 1000);
  const blob = Buffer.from(key.publicKey.split(' ')[1]!, 'base64');
  assert.equal(key.fingerprint, (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':'));
  // The private key holds the seed whose public key is the one published.
  const parsed = readOpensshPrivate(key.privateKey);
  assert.deepEqual(parsed.publicBlob, blob);
  assert.equal(parsed.comment, 'Generated-by-cumulo');
  assert.deepEqual(parsed.seed, Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 'the seed came from the injected randomness');
  const derived = createPublicKey(createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), parsed.seed]), format: 'der', type: 'pkcs8' }));
  assert.deepEqual(derived.export({ format: 'der', type: 'spki' }).subarray(-32), parsed.pk);
  assert.deepEqual(blob, Buffer.concat([sshString('ssh-ed25519'), sshString(parsed.pk)]));
  // OpenSSH itself reads the private key back (openssh-client is installed by the test command).
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'id'), key.privateKey, { mode: 0o600 });
  assert.equal(execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')]).toString().trim(), key.publicKey);
  // Answered once: never shown again, never stored.
  const got = await keys('alice').ask({ type: 'get', caller: alice, name: 'laptop' });
  assert.ok(got.ok);
  assert.equal('privateKey' in got.value, false);
  assert.equal(JSON.stringify(store.load('keypairs/alice')).includes('PRIVATE'), false);
  const again = await keys('alice').ask({ type: 'create', caller: alice, name: 'laptop' });
  assert.ok(!again.ok);
  assert.equal(again.error.code, 'KEYPAIR_EXISTS');
  assert.equal(again.error.message, "Key pair 'laptop' already exists.");
});

void test('import accepts ed25519, RSA and ECDSA keys with Nova\'s MD5 fingerprints; re-import is idempotent', async (t) => {
  const { keys } = setup(t);
  const rsa = await keys('alice').ask({ type: 'import', caller: alice, name: 'rsa', publicKey: `  ${RSA}\n` });
  assert.deepEqual(rsa, { ok: true, value: { name: 'rsa', userId: 'alice', keyType: 'ssh', publicKey: RSA, fingerprint: RSA_MD5, createdAt: 1000 } });
  const ecdsa = await keys('alice').ask({ type: 'create', caller: alice, name: 'ecdsa key', publicKey: ECDSA, keyType: 'ssh' });
  assert.ok(ecdsa.ok && 'fingerprint' in ecdsa.value && ecdsa.value.fingerprint === ECDSA_MD5);
  const generated = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const ed = `ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(generated)]).toString('base64')}`;
  assert.ok((await keys('alice').ask({ type: 'import', caller: alice, name: 'ed', publicKey: ed })).ok);
  assert.deepEqual(await keys('alice').ask({ type: 'import', caller: alice, name: 'rsa', publicKey: RSA }), rsa);
  const other = await keys('alice').ask({ type: 'import', caller: alice, name: 'rsa', publicKey: ECDSA });
  assert.equal(!other.ok && other.error.code, 'KEYPAIR_EXISTS');
  const list = await keys('alice').ask({ type: 'list', caller: alice });
  assert.deepEqual((list.ok ? (list.value as KeypairList).keypairs : []).map((k) => k.name), ['ecdsa key', 'ed', 'rsa']);
  // Names are per user: bob may use the same one.
  assert.ok((await keys('bob').ask({ type: 'import', caller: bob, name: 'rsa', publicKey: RSA })).ok);
});

void test('malformed public keys are refused KEYPAIR_INVALID (400)', async (t) => {
  const { keys } = setup(t);
  const [, rsaData] = RSA.split(' ');
  const rsaBlob = Buffer.from(rsaData!, 'base64');
  const small = generateKeyPairSync('rsa', { modulusLength: 512 }).publicKey.export({ format: 'jwk' });
  const mpint = (b64url: string): Buffer => {
    const raw = Buffer.from(b64url, 'base64url');
    return sshString(raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const smallRsa = Buffer.concat([sshString('ssh-rsa'), mpint(small.e!), mpint(small.n!)]).toString('base64');
  const offCurve = Buffer.from(ECDSA.split(' ')[1]!, 'base64');
  offCurve.writeUInt8(offCurve.readUInt8(offCurve.length - 1) ^ 1, offCurve.length - 1);
  const cases: Array<[string, RegExp]> = [
    ['not a key', /not base64|expected/],
    ['ssh-rsa', /expected "type base64/],
    [`ssh-rsa ${rsaData!.slice(0, -8)}`, /not base64|malformed/],
    [`ssh-ed25519 ${rsaData}`, /not a ssh-ed25519 key/],
    [`ssh-rsa ${Buffer.concat([rsaBlob, Buffer.from([0])]).toString('base64')}`, /trailing bytes/],
    [`ssh-rsa ${smallRsa}`, /at least 1024 bits, this one has 512/],
    [`ecdsa-sha2-nistp256 ${offCurve.toString('base64')}`, /not on its curve/],
    [`ssh-dss ${Buffer.concat([sshString('ssh-dss'), sshString('x')]).toString('base64')}`, /unsupported key type ssh-dss/],
    [`ssh-ed25519 ${Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(31))]).toString('base64')}`, /32 bytes/],
    [`${RSA}\nssh-rsa AAAA`, /one line/],
    [`ssh-rsa ${rsaData}!`, /not base64/],
  ];
  for (const [publicKey, reason] of cases) {
    const r = await keys('alice').ask({ type: 'import', caller: alice, name: 'bad', publicKey });
    assert.ok(!r.ok, publicKey);
    assert.equal(r.error.code, 'KEYPAIR_INVALID', publicKey);
    assert.equal(r.error.status, 400);
    assert.match(r.error.message, /^Keypair data is invalid: /);
    assert.match(r.error.message, reason, publicKey);
  }
  const list = await keys('alice').ask({ type: 'list', caller: alice });
  assert.deepEqual(list, { ok: true, value: { keypairs: [] } });
});

void test('validation: names, types and unknown fields are refused BAD_REQUEST', async (t) => {
  const { keys } = setup(t);
  const bodies: Array<[Record<string, unknown>, string]> = [
    [{ type: 'create', caller: alice, name: '' }, '/name'],
    [{ type: 'create', caller: alice, name: 'a/b' }, '/name'],
    [{ type: 'create', caller: alice, name: ' lead' }, '/name'],
    [{ type: 'create', caller: alice, name: 'x'.repeat(256) }, '/name'],
    [{ type: 'create', caller: alice, name: 'ok', keyType: 'x509' }, '/keyType'],
    [{ type: 'import', caller: alice, name: 'ok' }, '/publicKey'],
    [{ type: 'import', caller: alice, name: 'ok', publicKey: 'x'.repeat(16385) }, '/publicKey'],
    [{ type: 'get', caller: alice, name: 'ok', extra: 1 }, '/extra'],
  ];
  for (const [body, field] of bodies) {
    const r = await keys('alice').ask(body as never);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'BAD_REQUEST');
    assert.equal(r.error.details?.field, field, JSON.stringify(body).slice(0, 80));
  }
});

void test('permissions: the user or an admin; the reader role and other users change nothing', async (t) => {
  const { keys } = setup(t);
  assert.ok((await keys('alice').ask({ type: 'import', caller: alice, name: 'k', publicKey: RSA })).ok);
  for (const msg of [{ type: 'create', name: 'n' }, { type: 'import', name: 'n', publicKey: RSA }, { type: 'delete', name: 'k' }]) {
    const byReader = await keys('alice').ask({ ...msg, caller: aliceReading } as never);
    assert.ok(!byReader.ok);
    assert.equal(byReader.error.message, 'the reader role may not change anything');
    const byBob = await keys('alice').ask({ ...msg, caller: bob } as never);
    assert.equal(!byBob.ok && byBob.error.code, 'FORBIDDEN');
    const anonymous = await keys('alice').ask(msg as never);
    assert.equal(!anonymous.ok && anonymous.error.code, 'UNAUTHORIZED');
  }
  for (const msg of [{ type: 'list' }, { type: 'get', name: 'k' }] as const) {
    assert.ok((await keys('alice').ask({ ...msg, caller: aliceReading })).ok);
    const byBob = await keys('alice').ask({ ...msg, caller: bob });
    assert.equal(!byBob.ok && byBob.error.code, 'FORBIDDEN');
    assert.ok((await keys('alice').ask({ ...msg, caller: admin })).ok);
  }
  // An admin manages another user's key pairs.
  assert.ok((await keys('alice').ask({ type: 'create', caller: admin, name: 'by admin' })).ok);
  assert.deepEqual(await keys('alice').ask({ type: 'delete', caller: admin, name: 'by admin' }), { ok: true, value: { name: 'by admin' } });
});

void test('delete, not found, and the per-user limit (QUOTA_EXCEEDED)', async (t) => {
  const { keys } = setup(t, createMemoryStore(), 2);
  assert.ok((await keys('alice').ask({ type: 'create', caller: alice, name: 'one' })).ok);
  assert.ok((await keys('alice').ask({ type: 'create', caller: alice, name: 'two' })).ok);
  const third = await keys('alice').ask({ type: 'create', caller: alice, name: 'three' });
  assert.ok(!third.ok);
  assert.equal(third.error.code, 'QUOTA_EXCEEDED');
  assert.equal(third.error.message, 'Quota exceeded, too many key pairs.');
  assert.deepEqual(await keys('alice').ask({ type: 'delete', caller: alice, name: 'one' }), { ok: true, value: { name: 'one' } });
  const gone = await keys('alice').ask({ type: 'delete', caller: alice, name: 'one' });
  assert.ok(!gone.ok);
  assert.equal(gone.error.code, 'KEYPAIR_NOT_FOUND');
  assert.equal(gone.error.message, 'Keypair one not found for user alice');
  const missing = await keys('alice').ask({ type: 'get', caller: alice, name: 'one' });
  assert.equal(!missing.ok && missing.error.status, 404);
  assert.ok((await keys('alice').ask({ type: 'create', caller: alice, name: 'three' })).ok);
});

void test('key pairs survive a new ActorSystem over the same store', async (t) => {
  const store = createMemoryStore();
  const first = setup(t, store);
  const made = await first.keys('alice').ask({ type: 'create', caller: alice, name: 'laptop' });
  assert.ok((await first.keys('alice').ask({ type: 'import', caller: alice, name: 'rsa', publicKey: RSA })).ok);
  await first.system.stop();
  const second = setup(t, store);
  const got = await second.keys('alice').ask({ type: 'get', caller: alice, name: 'laptop' });
  assert.ok(made.ok && got.ok);
  const { privateKey: _secret, ...shown } = made.value as GeneratedKeypairView;
  assert.deepEqual(got.value, shown);
  const list = await second.keys('alice').ask({ type: 'list', caller: alice });
  assert.deepEqual(list.ok && (list.value as KeypairList).keypairs.map((k) => k.name), ['laptop', 'rsa']);
});
