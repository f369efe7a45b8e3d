// flavors/catalog: DevStack defaults (idempotent, never brought back after an admin deletes one),
// Nova's validation (ids, names, sizes, extra spec keys), unique ids and names, private flavors
// visible only to projects with access and to admins, only admins change anything, retried
// creates answer the same flavor, and the catalog survives a new ActorSystem over the same store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../transports/clock.js';
import { createActorSystem, createMemoryStore, type ActorStore } from '../../supervision/index.js';
import type { Caller, Role } from '../../actors/identity/caller.js';
import { createFlavorKind, FLAVOR_CATALOG_ID, type FlavorList, type FlavorView } from '../../actors/compute/catalog.js';

function caller(projectId: string | null, role: Role): Caller {
  const userId = `${role}-of-${projectId}`;
  return { userId, userName: userId, domainId: 'default', projectId, roles: [role], expiresAt: Number.MAX_SAFE_INTEGER };
}
const admin = caller('admin', 'admin');
const member = caller('p1', 'member');
const reader = caller('p1', 'reader');
const stranger = caller('p2', 'member');

function setup(t: { after: (fn: () => Promise<void>) => void }, store: ActorStore = createMemoryStore()) {
  const system = createActorSystem({ store, clock: new VirtualClock(0), seed: 1 });
  let n = 0;
  const kind = createFlavorKind({ newId: () => `generated-${++n}` });
  assert.ok(system.register(kind).ok);
  t.after(() => system.stop());
  return { system, flavors: system.ref(kind, FLAVOR_CATALOG_ID) };
}

const names = (r: { ok: boolean; value?: unknown }): string[] => (r.value as FlavorList).flavors.map((f) => f.name);

void test('ensureDefaults creates DevStack\'s m1 flavors once', async (t) => {
  const { flavors } = setup(t);
  assert.deepEqual(await flavors.ask({ type: 'ensureDefaults' }), { ok: true, value: { created: ['1', '2', '3', '4', '5'] } });
  assert.deepEqual(await flavors.ask({ type: 'ensureDefaults', caller: admin }), { ok: true, value: { created: [] } });
  const small = await flavors.ask({ type: 'get', caller: reader, idOrName: 'm1.small' });
  assert.deepEqual(small, {
    ok: true,
    value: { id: '2', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20, ephemeralGb: 0, swapMb: 0, isPublic: true, description: null, extraSpecs: {} },
  });
  const byId = await flavors.ask({ type: 'get', caller: member, idOrName: '5' });
  assert.ok(byId.ok && 'vcpus' in byId.value);
  assert.deepEqual([byId.value.name, byId.value.vcpus, byId.value.ramMb, byId.value.diskGb], ['m1.xlarge', 8, 16384, 160]);
  // A default the admin deleted stays deleted.
  assert.ok((await flavors.ask({ type: 'delete', caller: admin, id: '1' })).ok);
  assert.deepEqual(await flavors.ask({ type: 'ensureDefaults' }), { ok: true, value: { created: [] } });
  assert.deepEqual(names(await flavors.ask({ type: 'list', caller: member })), ['m1.small', 'm1.medium', 'm1.large', 'm1.xlarge']);
  const denied = await flavors.ask({ type: 'ensureDefaults', caller: member });
  assert.equal(!denied.ok && denied.error.code, 'FORBIDDEN');
});

void test('an admin\'s flavor that took a default\'s name first is kept', async (t) => {
  const { flavors } = setup(t);
  assert.ok((await flavors.ask({ type: 'create', caller: admin, id: 'custom', name: 'm1.tiny', vcpus: 2, ramMb: 256, diskGb: 0 })).ok);
  assert.deepEqual(await flavors.ask({ type: 'ensureDefaults' }), { ok: true, value: { created: ['2', '3', '4', '5'] } });
  const tiny = await flavors.ask({ type: 'get', caller: member, idOrName: 'm1.tiny' });
  assert.ok(tiny.ok && 'id' in tiny.value && tiny.value.id === 'custom');
});

void test('create: ids and names are unique; a retried create answers the same flavor; ids are generated', async (t) => {
  const { flavors } = setup(t);
  const body = { type: 'create', caller: admin, id: 'gpu.1', name: 'gpu large', vcpus: 16, ramMb: 65536, diskGb: 100, ephemeralGb: 10, swapMb: 1024, description: 'with a GPU', extraSpecs: { 'pci_passthrough:alias': 'a1:1' } } as const;
  const first = await flavors.ask(body);
  assert.deepEqual(first, {
    ok: true,
    value: { id: 'gpu.1', name: 'gpu large', vcpus: 16, ramMb: 65536, diskGb: 100, ephemeralGb: 10, swapMb: 1024, isPublic: true, description: 'with a GPU', extraSpecs: { 'pci_passthrough:alias': 'a1:1' } },
  });
  assert.deepEqual(await flavors.ask(body), first);
  const sameId = await flavors.ask({ ...body, name: 'other' });
  assert.ok(!sameId.ok);
  assert.equal(sameId.error.code, 'FLAVOR_EXISTS');
  assert.equal(sameId.error.status, 409);
  assert.equal(sameId.error.message, 'Flavor with ID gpu.1 already exists.');
  const sameName = await flavors.ask({ type: 'create', caller: admin, name: 'gpu large', vcpus: 1, ramMb: 1, diskGb: 0 });
  assert.equal(!sameName.ok && sameName.error.message, 'Flavor with name gpu large already exists.');
  const generated = await flavors.ask({ type: 'create', caller: admin, name: 'no id', vcpus: 1, ramMb: 64, diskGb: 0 });
  assert.ok(generated.ok && 'id' in generated.value && generated.value.id === 'generated-1');
});

void test('validation: Nova\'s field rules refuse BAD_REQUEST naming the field', async (t) => {
  const { flavors } = setup(t);
  const base = { type: 'create', caller: admin, name: 'f', vcpus: 1, ramMb: 64, diskGb: 0 };
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ vcpus: 0 }, '/vcpus'],
    [{ vcpus: 1.5 }, '/vcpus'],
    [{ ramMb: 0 }, '/ramMb'],
    [{ diskGb: -1 }, '/diskGb'],
    [{ swapMb: -1 }, '/swapMb'],
    [{ name: '' }, '/name'],
    [{ name: ' padded' }, '/name'],
    [{ name: 'tab\tinside' }, '/name'],
    [{ id: 'has/slash' }, '/id'],
    [{ id: 'trailing ' }, '/id'],
    [{ id: '__proto__' }, '/id'],
    [{ extraSpecs: { 'bad key!': 'x' } }, '/extraSpecs/bad key!'],
    [{ extraSpecs: { ['k'.repeat(256)]: 'x' } }, `/extraSpecs/${'k'.repeat(256)}`],
    [{ extraSpecs: { 'hw:cpu_policy': 'v'.repeat(256) } }, '/extraSpecs/hw:cpu_policy'],
    [{ extraSpecs: { 'hw:cpu_policy': 1 } }, '/extraSpecs/hw:cpu_policy'],
    [{ extraSpecs: JSON.parse('{"__proto__": "x"}') }, '/extraSpecs/__proto__'],
    [{ isPublic: 'yes' }, '/isPublic'],
    [{ surprise: 1 }, '/surprise'],
  ];
  for (const [change, field] of cases) {
    const r = await flavors.ask({ ...base, ...change } as never);
    assert.ok(!r.ok, JSON.stringify(change));
    assert.equal(r.error.code, 'BAD_REQUEST');
    assert.equal(r.error.details?.field, field, JSON.stringify(change));
  }
  const bad = await flavors.ask({ type: 'unsetExtraSpecs', caller: admin, id: '1', keys: [] } as never);
  assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST');
  assert.deepEqual(names(await flavors.ask({ type: 'list', caller: admin })), []);
});

void test('permissions: only admins change the catalog; reading needs a token', async (t) => {
  const { flavors } = setup(t);
  await flavors.ask({ type: 'ensureDefaults' });
  const changes = [
    { type: 'create', name: 'x', vcpus: 1, ramMb: 1, diskGb: 0 },
    { type: 'delete', id: '1' },
    { type: 'setExtraSpecs', id: '1', extraSpecs: { a: 'b' } },
    { type: 'unsetExtraSpecs', id: '1', keys: ['a'] },
    { type: 'addAccess', id: '1', projectId: 'p1' },
    { type: 'removeAccess', id: '1', projectId: 'p1' },
    { type: 'listAccess', id: '1' },
  ];
  for (const change of changes) {
    for (const who of [member, reader, undefined]) {
      const r = await flavors.ask((who === undefined ? change : { ...change, caller: who }) as never);
      assert.equal(!r.ok && r.error.code, who === undefined ? 'UNAUTHORIZED' : 'FORBIDDEN', `${change.type} by ${who?.userId}`);
    }
  }
  const anonymous = await flavors.ask({ type: 'list' });
  assert.equal(!anonymous.ok && anonymous.error.code, 'UNAUTHORIZED');
  assert.equal(names(await flavors.ask({ type: 'list', caller: reader })).length, 5);
});

void test('private flavors: visible to projects with access and to admins, hidden (not found) from others', async (t) => {
  const { flavors } = setup(t);
  await flavors.ask({ type: 'ensureDefaults' });
  assert.ok((await flavors.ask({ type: 'create', caller: admin, id: 'secret', name: 'p1 only', vcpus: 2, ramMb: 1024, diskGb: 10, isPublic: false })).ok);
  for (const who of [member, stranger]) {
    const hidden = await flavors.ask({ type: 'get', caller: who, idOrName: 'secret' });
    assert.equal(!hidden.ok && hidden.error.code, 'FLAVOR_NOT_FOUND');
    assert.equal(names(await flavors.ask({ type: 'list', caller: who })).includes('p1 only'), false);
  }
  assert.deepEqual(await flavors.ask({ type: 'addAccess', caller: admin, id: 'secret', projectId: 'p1' }), { ok: true, value: { id: 'secret', projects: ['p1'] } });
  const again = await flavors.ask({ type: 'addAccess', caller: admin, id: 'secret', projectId: 'p1' });
  assert.equal(!again.ok && again.error.code, 'FLAVOR_ACCESS_EXISTS');
  assert.ok((await flavors.ask({ type: 'get', caller: member, idOrName: 'p1 only' })).ok);
  assert.ok((await flavors.ask({ type: 'get', caller: reader, idOrName: 'secret' })).ok);
  assert.equal(names(await flavors.ask({ type: 'list', caller: member })).includes('p1 only'), true);
  const other = await flavors.ask({ type: 'get', caller: stranger, idOrName: 'secret' });
  assert.equal(!other.ok && other.error.code, 'FLAVOR_NOT_FOUND');
  assert.deepEqual(await flavors.ask({ type: 'listAccess', caller: admin, id: 'secret' }), { ok: true, value: { id: 'secret', projects: ['p1'] } });
  assert.ok((await flavors.ask({ type: 'get', caller: admin, idOrName: 'secret' })).ok);
  assert.deepEqual(await flavors.ask({ type: 'removeAccess', caller: admin, id: 'secret', projectId: 'p1' }), { ok: true, value: { id: 'secret', projects: [] } });
  const gone = await flavors.ask({ type: 'removeAccess', caller: admin, id: 'secret', projectId: 'p1' });
  assert.equal(!gone.ok && gone.error.code, 'FLAVOR_ACCESS_NOT_FOUND');
  const hiddenAgain = await flavors.ask({ type: 'get', caller: member, idOrName: 'secret' });
  assert.equal(!hiddenAgain.ok && hiddenAgain.error.code, 'FLAVOR_NOT_FOUND');
  // Public flavors have no access list.
  const publicAccess = await flavors.ask({ type: 'addAccess', caller: admin, id: '1', projectId: 'p1' });
  assert.ok(!publicAccess.ok);
  assert.equal(publicAccess.error.code, 'FLAVOR_IS_PUBLIC');
  assert.equal(publicAccess.error.message, 'Can not add access to a public flavor.');
  const publicList = await flavors.ask({ type: 'listAccess', caller: admin, id: '1' });
  assert.equal(!publicList.ok && publicList.error.code, 'FLAVOR_IS_PUBLIC');
});

void test('extra specs: set merges, unset removes, a missing key is not found', async (t) => {
  const { flavors } = setup(t);
  await flavors.ask({ type: 'ensureDefaults' });
  assert.deepEqual(await flavors.ask({ type: 'setExtraSpecs', caller: admin, id: '3', extraSpecs: { 'hw:cpu_policy': 'dedicated', 'trait:HW_CPU_X86_AVX2': 'required' } }), {
    ok: true,
    value: { id: '3', extraSpecs: { 'hw:cpu_policy': 'dedicated', 'trait:HW_CPU_X86_AVX2': 'required' } },
  });
  assert.deepEqual(await flavors.ask({ type: 'setExtraSpecs', caller: admin, id: '3', extraSpecs: { 'hw:cpu_policy': 'shared', constructor: 'x' } }), {
    ok: true,
    value: { id: '3', extraSpecs: { 'hw:cpu_policy': 'shared', 'trait:HW_CPU_X86_AVX2': 'required', constructor: 'x' } },
  });
  const missing = await flavors.ask({ type: 'unsetExtraSpecs', caller: admin, id: '3', keys: ['toString'] });
  assert.ok(!missing.ok);
  assert.equal(missing.error.code, 'FLAVOR_EXTRA_SPEC_NOT_FOUND');
  assert.equal(missing.error.message, 'Flavor 3 has no extra specs with key toString.');
  assert.deepEqual(await flavors.ask({ type: 'unsetExtraSpecs', caller: admin, id: '3', keys: ['trait:HW_CPU_X86_AVX2', 'constructor'] }), {
    ok: true,
    value: { id: '3', extraSpecs: { 'hw:cpu_policy': 'shared' } },
  });
  const shown = await flavors.ask({ type: 'get', caller: reader, idOrName: '3' });
  assert.deepEqual(shown.ok && (shown.value as FlavorView).extraSpecs, { 'hw:cpu_policy': 'shared' });
  const nowhere = await flavors.ask({ type: 'setExtraSpecs', caller: admin, id: 'nope', extraSpecs: { a: 'b' } });
  assert.equal(!nowhere.ok && nowhere.error.code, 'FLAVOR_NOT_FOUND');
  const deleted = await flavors.ask({ type: 'delete', caller: admin, id: 'nope' });
  assert.equal(!deleted.ok && deleted.error.status, 404);
});

void test('the catalog survives a new ActorSystem over the same store', async (t) => {
  const store = createMemoryStore();
  const first = setup(t, store);
  await first.flavors.ask({ type: 'ensureDefaults' });
  assert.ok((await first.flavors.ask({ type: 'create', caller: admin, id: 'secret', name: 'private', vcpus: 1, ramMb: 64, diskGb: 0, isPublic: false })).ok);
  assert.ok((await first.flavors.ask({ type: 'addAccess', caller: admin, id: 'secret', projectId: 'p1' })).ok);
  assert.ok((await first.flavors.ask({ type: 'delete', caller: admin, id: '4' })).ok);
  await first.system.stop();
  const second = setup(t, store);
  assert.deepEqual(names(await second.flavors.ask({ type: 'list', caller: member })), ['m1.tiny', 'm1.small', 'm1.medium', 'm1.xlarge', 'private']);
  assert.deepEqual(names(await second.flavors.ask({ type: 'list', caller: stranger })), ['m1.tiny', 'm1.small', 'm1.medium', 'm1.xlarge']);
  assert.deepEqual(await second.flavors.ask({ type: 'ensureDefaults' }), { ok: true, value: { created: [] } });
});
