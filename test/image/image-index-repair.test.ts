// The index stays true across failures between two actors: a change persisted by an image whose
// index update did not go through (the index refused, or the process died right after the
// persist) reaches the index when the image's durable sync reminder fires, in the same process
// or a new one over the same store; a quota slot admitted for an image that was never created
// (a crash between admit and create) is freed after the grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import {
  createImageBlobKind,
  createImageIndexKind,
  createImageKind,
  IMAGE_INDEX_ID,
  IMAGE_INDEX_KIND,
  ImageDataStore,
  PROVISIONAL_GRACE_MS,
  type ImageIndexMessage,
} from '../../actors/image/index.js';
import { createActorSystem, createMemoryStore, defineKind, refuse } from '../../supervision/index.js';
import { VirtualClock } from '../../transports/clock.js';
import { Unavailable } from '../../transports/errors.js';
import { alice, eventually, setup, tempDataDir } from './image-fixture.js';


void test('a change the index missed reaches it through the sync reminder, after a restart too', async (t) => {
  const store = createMemoryStore();
  const dataDir = tempDataDir(t);
  const clock = new VirtualClock(1_000_000);
  const broken = createActorSystem({ store, clock, seed: 1 });
  const real = createImageIndexKind();
  // An index that takes admissions but drops every put, as if the process died after the persist.
  const deaf = defineKind({ ...real, handle: (ctx, msg) => (msg.type === 'put' ? refuse(Unavailable('index down')) : real.handle(ctx, msg)) });
  const data = new ImageDataStore(dataDir);
  data.prepare();
  assert.ok(broken.register(createImageKind({ incarnation: 'a' })).ok);
  assert.ok(broken.register(deaf).ok);
  assert.ok(broken.register(createImageBlobKind(data)).ok);
  const id = '11111111-2222-4333-8444-555555555555';
  const created = await broken.ref('image', id).ask({ type: 'create', caller: alice, name: 'missed', visibility: 'private' } as never);
  assert.ok(created.ok, JSON.stringify(created));
  const unseen = await broken.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID).ask({ type: 'list', caller: alice } as ImageIndexMessage);
  assert.ok(unseen.ok);
  assert.deepEqual((unseen.value as { images: unknown[] }).images, [], 'admitted only: not listed');
  await broken.stop();

  const f = setup(t, { store, dataDir });
  f.clock.advanceTo(clock.now() + 10_000);
  await f.clock.advanceAsync(1);
  await eventually(async () => {
    const listed = await f.service.list(alice);
    return listed.ok && listed.value.images.length === 1;
  });
  const listed = await f.service.list(alice);
  assert.ok(listed.ok);
  assert.deepEqual(listed.value.images.map((i) => [i.id, i.name]), [[id, 'missed']]);
  // And a later change goes through at once.
  assert.ok((await f.service.update(alice, id, [{ op: 'replace', path: '/name', value: 'seen' }])).ok);
  const after = await f.service.list(alice);
  assert.ok(after.ok && after.value.images[0]?.name === 'seen');
});

void test('a quota slot admitted for an image never created is freed after the grace period', async (t) => {
  const f = setup(t, { limits: { imageCount: 1, uploading: 10, storageBytes: -1 } });
  const index = f.system.ref(IMAGE_INDEX_KIND, IMAGE_INDEX_ID);
  const ghost = '99999999-8888-4777-8666-555555555555';
  assert.ok((await index.ask({ type: 'admit', caller: SYSTEM_CALLER, id: ghost, owner: 'project-a' } as ImageIndexMessage)).ok);
  const blocked = await f.service.create(alice, { name: 'blocked' });
  assert.ok(!blocked.ok && blocked.error.code === 'IMAGE_QUOTA_EXCEEDED', 'the ghost holds the only slot');
  f.clock.advance(PROVISIONAL_GRACE_MS + 1);
  await f.clock.advanceAsync(1);
  await eventually(async () => {
    const usage = await f.service.usage(alice, 'project-a');
    return usage.ok && usage.value.usage.imageCount === 0;
  });
  assert.ok((await f.service.create(alice, { name: 'now fits' })).ok);
});
