// Nova's resource links (self under /v2.1, bookmark without the version) and its time formats.
import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../links.js';

export interface Link {
  readonly rel: string;
  readonly href: string;
}

export function computeBase(req: FastifyRequest): string {
  return `${baseUrl(req)}/compute`;
}

export function linksOf(req: FastifyRequest, collection: string, id: string): Link[] {
  const base = computeBase(req);
  return [
    { rel: 'self', href: `${base}/v2.1/${collection}/${id}` },
    { rel: 'bookmark', href: `${base}/${collection}/${id}` },
  ];
}

/** `servers_links` / `flavors_links`: the next page, when a page was full. */
export function nextLinks(req: FastifyRequest, path: string, next: string | undefined): Record<string, Link[]> {
  if (next === undefined) return {};
  const url = new URL(`${computeBase(req)}/v2.1/${path}`);
  const query = req.query as Record<string, unknown>;
  for (const [k, v] of Object.entries(query)) {
    if (k === 'marker') continue;
    for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(one));
  }
  url.searchParams.set('marker', next);
  const collection = path.split('/')[0]!.replace(/^os-/, '').replace(/-/g, '_');
  return { [`${collection}_links`]: [{ rel: 'next', href: url.toString() }] };
}

/**
 * A formatter that remembers its last answers: a listing formats the same few timestamps again
 * and again (each server's created, updated, launched_at), and Date's ISO form with a regular
 * expression was an eighth of a detail listing's CPU.
 */
function remembered(format: (ms: number) => string): (ms: number) => string {
  const kept = new Map<number, string>();
  return (ms) => {
    let text = kept.get(ms);
    if (text === undefined) {
      text = format(ms);
      if (kept.size >= 8192) kept.clear();
      kept.set(ms, text);
    }
    return text;
  };
}

/** Nova's `created` / `updated`: seconds, Z. */
export const isoSeconds = remembered((ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/** Nova's launched_at / terminated_at and `created_at` of some resources: microseconds, no zone. */
export const isoMicros = remembered((ms) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000'));
