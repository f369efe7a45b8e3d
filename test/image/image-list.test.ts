// Listing (Glance's GET /v2/images): filters (name, status, owner, tags, formats, size range,
// protected, hidden, ids, extra properties), sort keys in both directions with ties broken by
// id, and marker/limit pages that walk the whole list exactly once; a marker that is not in the
// list is BAD_REQUEST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noise } from '../workers/image-fixtures.js';
import type { ImageView } from '../../actors/image/index.js';
import { alice, code, setup, uploaded } from './image-fixture.js';

void test('filters, sorting and pages', async (t) => {
  const f = setup(t);
  const made: ImageView[] = [];
  for (let i = 0; i < 7; i++) {
    f.clock.advance(1000);
    const fields = { name: `img-${i % 3}`, tags: i % 2 === 0 ? ['even', 'all'] : ['all'], properties: { n: String(i) }, protected: i === 3, osHidden: i === 6 };
    made.push(i < 5 ? await uploaded(f, alice, noise(i + 1, 1000 * (i + 1)), fields) : ((await f.service.create(alice, fields)) as { value: ImageView }).value);
  }
  const list = async (query: object): Promise<string[]> => {
    const r = await f.service.list(alice, query);
    assert.ok(r.ok, JSON.stringify(r));
    return r.value.images.map((i) => i.id);
  };
  const id = (...n: number[]): string[] => n.map((i) => made[i]!.id);
  assert.deepEqual(await list({}), id(5, 4, 3, 2, 1, 0), 'newest first; the hidden one is not listed');
  assert.deepEqual(await list({ osHidden: true }), id(6));
  assert.deepEqual(await list({ name: 'img-1' }), id(4, 1));
  assert.deepEqual(await list({ status: 'queued' }), id(5));
  assert.deepEqual(await list({ tags: ['even'] }), id(4, 2, 0));
  assert.deepEqual(await list({ tags: ['even', 'all'], sortDir: 'asc' }), id(0, 2, 4));
  assert.deepEqual(await list({ sizeMin: 2000, sizeMax: 4000, sortKey: 'size', sortDir: 'asc' }), id(1, 2, 3));
  assert.deepEqual(await list({ protected: true }), id(3));
  assert.deepEqual(await list({ properties: { n: '2' } }), id(2));
  assert.deepEqual(await list({ ids: id(1, 5) }), id(5, 1));
  assert.deepEqual(await list({ owner: 'project-b' }), []);
  assert.deepEqual(await list({ diskFormat: 'raw', containerFormat: 'bare', sortKey: 'name', sortDir: 'asc' }).then((x) => x.length), 5);
  // Pages: every image once, in order.
  const seen: string[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await f.service.list(alice, { limit: 2, sortKey: 'name', sortDir: 'asc', ...(marker === undefined ? {} : { marker }) });
    assert.ok(r.ok);
    seen.push(...r.value.images.map((i) => i.id));
    if (r.value.next === null) break;
    marker = r.value.next;
  }
  const byName = [...made.slice(0, 6)].sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : a.id < b.id ? -1 : 1)).map((i) => i.id);
  assert.deepEqual(seen, byName);
  assert.equal(code(await f.service.list(alice, { marker: '00000000-0000-0000-0000-000000000000' })), 'BAD_REQUEST');
  assert.equal(code(await f.service.list(alice, { sortKey: 'bogus' } as never)), 'BAD_REQUEST');
});
