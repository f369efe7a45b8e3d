// Isolation and visibility: a private image of project A does not exist for project B (show,
// list, download, host fetch, update, delete all answer IMAGE_NOT_FOUND, and B's quota is not
// touched); public images are everyone's, community images are usable by all but listed only
// when asked for; shared images reach their members (listed once accepted, usable by id at any
// member status), members change only their own status; readers of A may read but not write;
// a request without a caller is UNAUTHORIZED; only admins publish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noise } from '../workers/image-fixtures.js';
import { admin, alice, aliceReader, bob, bodyOf, carol, code, readAll, setup, uploaded } from './image-fixture.js';

const ids = async (f: ReturnType<typeof setup>, who: unknown, query = {}): Promise<string[]> => {
  const r = await f.service.list(who, query);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value.images.map((i) => i.id).sort();
};

void test('a private image of project A is invisible to project B, even by id', async (t) => {
  const f = setup(t);
  const secret = await uploaded(f, alice, noise(1, 4096), { visibility: 'private', name: 'secret' });
  assert.deepEqual(await ids(f, alice), [secret.id]);
  assert.deepEqual(await ids(f, bob), []);
  assert.deepEqual(await ids(f, bob, { visibility: 'all' }), []);
  assert.deepEqual(await ids(f, bob, { owner: 'project-a' }), []);
  assert.equal(code(await f.service.show(bob, secret.id)), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.download({ caller: bob, imageId: secret.id })), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.download({ caller: bob, imageId: secret.id, range: { start: 0, end: 10 } })), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.fetchForHost({ caller: bob, imageId: secret.id, hostId: 'host-1', format: 'raw' })), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.update(bob, secret.id, [{ op: 'replace', path: '/name', value: 'mine' }])), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.delete(bob, secret.id)), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.ref(secret.id).ask({ type: 'listMembers', caller: bob })), 'IMAGE_NOT_FOUND');
  assert.equal(code(await f.service.upload({ caller: bob, imageId: secret.id, body: bodyOf(Buffer.from('x')) })), 'IMAGE_NOT_FOUND');
  // B creating an image with A's id: taken, and A's image unchanged.
  assert.equal(code(await f.service.create(bob, { id: secret.id, name: 'squat' })), 'IMAGE_EXISTS');
  const still = await f.service.show(alice, secret.id);
  assert.ok(still.ok && still.value.name === 'secret' && still.value.status === 'active');
  // Nor may B put its image in A's project.
  assert.equal(code(await f.service.create(bob, { name: 'planted', owner: 'project-a' })), 'FORBIDDEN');
  const usage = await f.service.usage(bob, 'project-b');
  assert.ok(usage.ok);
  assert.deepEqual(usage.value.usage, { imageCount: 0, uploading: 0, storageBytes: 0 });
  assert.equal(code(await f.service.usage(bob, 'project-a')), 'FORBIDDEN');
  // Admins see everything.
  assert.deepEqual(await ids(f, admin), [secret.id]);
  const byAdmin = await f.service.download({ caller: admin, imageId: secret.id });
  assert.ok(byAdmin.ok);
  assert.equal((await readAll(byAdmin.value.body)).length, 4096);
});

void test('public images are everyone\'s; only admins publish; community images are listed only on request', async (t) => {
  const f = setup(t);
  assert.equal(code(await f.service.create(alice, { name: 'p', visibility: 'public' })), 'FORBIDDEN');
  const pub = await uploaded(f, admin, noise(2, 1000), { visibility: 'public', name: 'public' });
  const community = await uploaded(f, alice, noise(3, 1000), { visibility: 'community', name: 'community' });
  const own = await f.service.create(alice, { name: 'draft', visibility: 'private' });
  assert.ok(own.ok);
  assert.equal(code(await f.service.update(alice, own.value.id, [{ op: 'replace', path: '/visibility', value: 'public' }])), 'IMAGE_ATTRIBUTE_FORBIDDEN');
  assert.deepEqual(await ids(f, bob), [pub.id]);
  assert.deepEqual(await ids(f, bob, { visibility: 'community' }), [community.id]);
  assert.deepEqual(await ids(f, bob, { visibility: 'all' }), [pub.id, community.id].sort());
  assert.deepEqual(await ids(f, alice), [pub.id, community.id, own.value.id].sort(), 'owners list their community images');
  const fetched = await f.service.download({ caller: bob, imageId: community.id });
  assert.ok(fetched.ok);
  assert.equal((await readAll(fetched.value.body)).length, 1000);
  assert.equal(code(await f.service.update(bob, pub.id, [{ op: 'replace', path: '/name', value: 'x' }])), 'FORBIDDEN');
  assert.equal(code(await f.service.delete(bob, community.id)), 'FORBIDDEN');
});

void test('shared images: members see them by id at once, in lists once accepted; members set only their own status', async (t) => {
  const f = setup(t);
  const shared = await uploaded(f, alice, noise(4, 2000), { visibility: 'shared', name: 'shared' });
  const ref = f.service.ref(shared.id);
  assert.equal(code(await f.service.show(bob, shared.id)), 'IMAGE_NOT_FOUND');
  const added = await ref.ask({ type: 'addMember', caller: alice, memberId: 'project-b' });
  assert.ok(added.ok);
  assert.equal(code(await ref.ask({ type: 'addMember', caller: alice, memberId: 'project-b' })), 'IMAGE_MEMBER_EXISTS');
  assert.equal(code(await ref.ask({ type: 'addMember', caller: bob, memberId: 'project-c' })), 'FORBIDDEN');
  // Pending: usable by id, not listed.
  assert.ok((await f.service.show(bob, shared.id)).ok);
  assert.deepEqual(await ids(f, bob), []);
  assert.deepEqual(await ids(f, bob, { memberStatus: 'pending' }), [shared.id]);
  assert.equal(code(await ref.ask({ type: 'updateMember', caller: alice, memberId: 'project-b', status: 'accepted' })), 'FORBIDDEN');
  assert.equal(code(await ref.ask({ type: 'updateMember', caller: carol, memberId: 'project-b', status: 'accepted' })), 'IMAGE_NOT_FOUND');
  assert.ok((await ref.ask({ type: 'updateMember', caller: bob, memberId: 'project-b', status: 'accepted' })).ok);
  assert.deepEqual(await ids(f, bob), [shared.id]);
  assert.deepEqual(await ids(f, bob, { visibility: 'shared' }), [shared.id]);
  assert.deepEqual(await ids(f, carol), []);
  // The owner sees all members, a member only itself.
  const all = await ref.ask({ type: 'addMember', caller: alice, memberId: 'project-c' });
  assert.ok(all.ok);
  const ownerView = await ref.ask({ type: 'listMembers', caller: alice });
  assert.ok(ownerView.ok && 'members' in ownerView.value);
  assert.deepEqual(ownerView.value.members.map((m) => [m.memberId, m.status]), [['project-b', 'accepted'], ['project-c', 'pending']]);
  const memberView = await ref.ask({ type: 'listMembers', caller: bob });
  assert.ok(memberView.ok && 'members' in memberView.value);
  assert.deepEqual(memberView.value.members.map((m) => m.memberId), ['project-b']);
  assert.equal(code(await ref.ask({ type: 'showMember', caller: bob, memberId: 'project-c' })), 'IMAGE_MEMBER_NOT_FOUND');
  // Removed: gone for the member again.
  assert.ok((await ref.ask({ type: 'removeMember', caller: alice, memberId: 'project-b' })).ok);
  assert.equal(code(await f.service.download({ caller: bob, imageId: shared.id })), 'IMAGE_NOT_FOUND');
  // Members belong to shared images only.
  const priv = await f.service.create(alice, { name: 'p', visibility: 'private' });
  assert.ok(priv.ok);
  assert.equal(code(await f.service.ref(priv.value.id).ask({ type: 'addMember', caller: alice, memberId: 'project-b' })), 'IMAGE_NOT_SHARED');
});

void test('readers read but never write; no caller is UNAUTHORIZED', async (t) => {
  const f = setup(t);
  const image = await uploaded(f, alice, noise(5, 100), { visibility: 'private' });
  assert.ok((await f.service.show(aliceReader, image.id)).ok);
  assert.deepEqual(await ids(f, aliceReader), [image.id]);
  assert.equal(code(await f.service.create(aliceReader, { name: 'r' })), 'FORBIDDEN');
  assert.equal(code(await f.service.update(aliceReader, image.id, [{ op: 'replace', path: '/name', value: 'r' }])), 'FORBIDDEN');
  assert.equal(code(await f.service.delete(aliceReader, image.id)), 'FORBIDDEN');
  for (const nobody of [undefined, null, { userId: 'forged' }]) {
    assert.equal(code(await f.service.show(nobody, image.id)), 'UNAUTHORIZED');
    assert.equal(code(await f.service.list(nobody)), 'UNAUTHORIZED');
    assert.equal(code(await f.service.create(nobody, { name: 'x' })), 'UNAUTHORIZED');
    assert.equal(code(await f.service.download({ caller: nobody, imageId: image.id })), 'UNAUTHORIZED');
  }
  // The service's own messages are not for clients.
  assert.equal(code(await f.service.ref(image.id).ask({ type: 'reindex', caller: alice })), 'FORBIDDEN');
});
