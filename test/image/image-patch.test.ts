// Image updates by JSON patch (application/openstack-images-v2.1-json-patch) with Glance's rules:
// add and replace set core attributes, add creates or replaces extra properties, replace and
// remove need the property to exist (409), core attributes cannot be removed, read-only and
// reserved attributes are 403 with Glance's messages, formats change only while queued, values
// are validated (400 naming the field), bad pointers are 400, and a failed patch changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noise } from '../workers/image-fixtures.js';
import { admin, alice, code, setup, uploaded } from './image-fixture.js';

void test('core attributes and extra properties', async (t) => {
  const f = setup(t);
  const created = await f.service.create(alice, { name: 'before', properties: { keep: 'k' } });
  assert.ok(created.ok);
  const id = created.value.id;
  const r = await f.service.update(alice, id, [
    { op: 'replace', path: '/name', value: 'after' },
    { op: 'add', path: '/min_ram', value: 512 },
    { op: 'replace', path: '/os_hidden', value: true },
    { op: 'add', path: '/tags', value: ['a', 'b'] },
    { op: 'add', path: '/hw_disk_bus', value: 'virtio' },
    { op: 'add', path: '/keep', value: 'replaced by add' },
    { op: 'add', path: '/a~0c', value: 'pointer escapes' },
    { op: 'replace', path: '/disk_format', value: 'qcow2' },
    { op: 'replace', path: '/container_format', value: 'bare' },
    { op: 'replace', path: '/name', value: null },
  ]);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    [r.value.name, r.value.minRam, r.value.osHidden, r.value.tags, r.value.diskFormat, r.value.containerFormat],
    [null, 512, true, ['a', 'b'], 'qcow2', 'bare'],
  );
  assert.deepEqual(r.value.properties, { keep: 'replaced by add', hw_disk_bus: 'virtio', 'a~c': 'pointer escapes' });
  const removed = await f.service.update(alice, id, [{ op: 'remove', path: '/keep' }]);
  assert.ok(removed.ok);
  assert.equal(removed.value.properties['keep'], undefined);
  assert.ok(removed.value.updatedAt >= removed.value.createdAt);
});

void test('Glance\'s refusals, each leaving the image unchanged', async (t) => {
  const f = setup(t);
  const image = await uploaded(f, alice, noise(1, 1000), { name: 'fixed', properties: { p: 'v' } });
  const cases: ReadonlyArray<[unknown[], string, RegExp?]> = [
    [[{ op: 'replace', path: '/missing', value: 'x' }], 'IMAGE_PROPERTY_CONFLICT', /Property missing does not exist/],
    [[{ op: 'remove', path: '/missing' }], 'IMAGE_PROPERTY_CONFLICT'],
    [[{ op: 'remove', path: '/name' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /may not be removed/],
    [[{ op: 'replace', path: '/status', value: 'active' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /Attribute 'status' is read-only/],
    [[{ op: 'replace', path: '/checksum', value: 'x' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /read-only/],
    [[{ op: 'add', path: '/size', value: 1 }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /read-only/],
    [[{ op: 'add', path: '/deleted', value: 'x' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /Attribute 'deleted' is reserved/],
    [[{ op: 'add', path: '/os_glance_import', value: 'x' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /reserved/],
    [[{ op: 'replace', path: '/disk_format', value: 'qcow2' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /only replaced for a queued image/],
    [[{ op: 'replace', path: '/owner', value: 'project-b' }], 'IMAGE_ATTRIBUTE_FORBIDDEN', /admins only/],
    [[{ op: 'replace', path: '/min_ram', value: -1 }], 'BAD_REQUEST'],
    [[{ op: 'replace', path: '/protected', value: 'yes' }], 'BAD_REQUEST'],
    [[{ op: 'replace', path: '/visibility', value: 'everyone' }], 'BAD_REQUEST'],
    [[{ op: 'add', path: '/p2', value: 42 }], 'BAD_REQUEST', /must be a string/],
    [[{ op: 'add', path: 'name', value: 'x' }], 'BAD_REQUEST', /does not start with/],
    [[{ op: 'add', path: '/a/b', value: 'x' }], 'BAD_REQUEST'],
    [[{ op: 'add', path: '/a~1b', value: 'x' }], 'BAD_REQUEST', /Invalid property name/],
    [[{ op: 'add', path: '/bad~2escape', value: 'x' }], 'BAD_REQUEST', /escape/],
    [[{ op: 'move', path: '/name', from: '/x' }], 'BAD_REQUEST'],
    // The first operation applies, the second fails: nothing is kept.
    [[{ op: 'replace', path: '/name', value: 'changed' }, { op: 'replace', path: '/id', value: 'x' }], 'IMAGE_ATTRIBUTE_FORBIDDEN'],
  ];
  for (const [patch, expected, message] of cases) {
    const r = await f.service.ref(image.id).ask({ type: 'update', caller: alice, patch } as never);
    assert.equal(code(r), expected, JSON.stringify(patch));
    if (message !== undefined) assert.match(!r.ok ? r.error.message : '', message);
  }
  const after = await f.service.show(alice, image.id);
  assert.ok(after.ok);
  assert.deepEqual([after.value.name, after.value.properties, after.value.diskFormat], ['fixed', { p: 'v' }, 'raw']);
  // Admins may move an image to another project.
  const moved = await f.service.update(admin, image.id, [{ op: 'replace', path: '/owner', value: 'project-b' }]);
  assert.ok(moved.ok && moved.value.owner === 'project-b');
});

void test('tags: add is idempotent, remove of a missing tag is NOT_FOUND; properties and tags are bounded', async (t) => {
  const f = setup(t);
  const created = await f.service.create(alice, { name: 'tags' });
  assert.ok(created.ok);
  const ref = f.service.ref(created.value.id);
  assert.ok((await ref.ask({ type: 'addTag', caller: alice, tag: 'x' })).ok);
  const twice = await ref.ask({ type: 'addTag', caller: alice, tag: 'x' });
  assert.ok(twice.ok && 'tags' in twice.value && twice.value.tags.length === 1);
  assert.equal(code(await ref.ask({ type: 'removeTag', caller: alice, tag: 'y' })), 'NOT_FOUND');
  assert.ok((await ref.ask({ type: 'removeTag', caller: alice, tag: 'x' })).ok);
  const many = Array.from({ length: 129 }, (_, i) => ({ op: 'add' as const, path: `/p${i}`, value: 'v' }));
  const tooMany = await f.service.update(alice, created.value.id, many);
  assert.equal(code(tooMany), 'IMAGE_QUOTA_EXCEEDED');
  assert.equal(code(await f.service.create(alice, { name: 'x', properties: { status: 'active' } })), 'IMAGE_ATTRIBUTE_FORBIDDEN');
  assert.equal(code(await f.service.create(alice, { name: 'x', properties: { name: 'n' } })), 'BAD_REQUEST');
});
