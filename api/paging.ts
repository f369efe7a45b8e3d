// limit / marker / sort for every list the API answers. Lists come whole from the actors (an
// index actor per project, a catalog); the route sorts and pages them here, so paging behaves the
// same on every collection: sort by the given keys (then by id, so pages are stable), skip past
// the marker's item (400 when it is not in the list, as Nova), stop at limit (capped at 1000).
import { Type, type Static } from '@sinclair/typebox';
import { BadRequest } from '../transports/errors.js';
import { fail } from './errors.js';

export const MAX_LIMIT = 1000;

const Strings = Type.Union([Type.String({ maxLength: 255 }), Type.Array(Type.String({ maxLength: 255 }), { maxItems: 16 })]);

/** Query parameters of every list route (Nova's and Keystone's names). */
export const PagingQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  marker: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  sort_key: Type.Optional(Strings),
  sort_dir: Type.Optional(Strings),
};
const _PagingObject = Type.Object(PagingQuery);
export type PagingParams = Static<typeof _PagingObject>;

export type SortValue = string | number | boolean | null;
export type Direction = 'asc' | 'desc';

export interface Collection<T> {
  /** Each item's id, which markers name. */
  readonly id: (item: T) => string;
  /** The sort keys a client may name, and how to read each. */
  readonly keys: Readonly<Record<string, (item: T) => SortValue>>;
  /** Used when the query names no sort_key. */
  readonly defaultSort: readonly (readonly [string, Direction])[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** The marker of the next page, when this one is full (Nova adds a `next` link then). */
  readonly next: string | undefined;
}

function listOf(v: string | readonly string[] | undefined): readonly string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : v;
}

function compare(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  // Nulls last, as Nova's default for ascending sorts.
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** The sort order a query asks for, checked against the collection's keys. */
export function sortOrder<T>(query: PagingParams, c: Collection<T>): readonly (readonly [string, Direction])[] {
  const keys = listOf(query.sort_key);
  const dirs = listOf(query.sort_dir);
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') fail(BadRequest(`Invalid sort direction ${d.slice(0, 64)}: use asc or desc`, { field: 'sort_dir' }));
  if (keys.length === 0) return c.defaultSort;
  return keys.map((k, i) => {
    if (!Object.hasOwn(c.keys, k)) fail(BadRequest(`Invalid sort key ${k.slice(0, 64)}: one of ${Object.keys(c.keys).join(', ')}`, { field: 'sort_key' }));
    return [k, (dirs[i] ?? dirs[dirs.length - 1] ?? 'asc') as Direction] as const;
  });
}

export function paginate<T>(all: readonly T[], query: PagingParams, c: Collection<T>): Page<T> {
  const order = sortOrder(query, c);
  const sorted = [...all].sort((x, y) => {
    for (const [key, dir] of order) {
      const read = c.keys[key]!;
      const d = compare(read(x), read(y));
      if (d !== 0) return dir === 'asc' ? d : -d;
    }
    return compare(c.id(x), c.id(y));
  });
  let start = 0;
  if (query.marker !== undefined) {
    const at = sorted.findIndex((item) => c.id(item) === query.marker);
    if (at < 0) fail(BadRequest(`marker [${query.marker.slice(0, 255)}] not found`, { field: 'marker' }));
    start = at + 1;
  }
  const limit = query.limit === undefined ? MAX_LIMIT : Math.min(query.limit, MAX_LIMIT);
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const next = query.limit !== undefined && items.length === limit && last !== undefined ? c.id(last) : undefined;
  return { items, next };
}
