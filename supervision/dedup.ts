// De-duplication of redelivered messages. A message may carry its sender's incarnation and
// sequence number; the actor keeps the highest applied seq per incarnation (persisted with its
// state, in the record's dedup marks) and the last reply per incarnation (in memory), so a
// redelivered duplicate is answered the same without being applied twice. Both are bounded.
import type { Result } from '../transports/errors.js';

export type Marks = Record<string, number>;

export interface CachedReply {
  seq: number;
  result: Result<unknown>;
}

/** Whether (inc, seq) was applied before, given the marks. */
export function isDuplicate(marks: Marks | undefined, inc: string, seq: number): boolean {
  if (marks === undefined) return false;
  const mark = marks[inc];
  return mark !== undefined && seq <= mark;
}

/**
 * Records (inc, seq) as applied. When a new incarnation would exceed `limit`, the oldest one is
 * forgotten (a redelivery from it could then apply again: the bound is what keeps records small).
 */
export function markApplied(marks: Marks | undefined, inc: string, seq: number, limit: number): Marks {
  const m = marks ?? {};
  if (m[inc] === undefined) {
    const keys = Object.keys(m);
    if (keys.length >= limit) delete m[keys[0]!];
  }
  m[inc] = seq;
  return m;
}

/** Copies stored marks into a mutable object, or undefined when there are none. */
export function loadMarks(stored: Readonly<Marks> | undefined): Marks | undefined {
  if (stored === undefined) return undefined;
  for (const _ in stored) return { ...stored };
  return undefined;
}

/** Keeps the last reply per incarnation, at most `limit` incarnations (oldest evicted). */
export function cacheReply(cache: Map<string, CachedReply> | undefined, inc: string, seq: number, result: Result<unknown>, limit: number): Map<string, CachedReply> {
  const c = cache ?? new Map<string, CachedReply>();
  const entry = c.get(inc);
  if (entry !== undefined) {
    entry.seq = seq;
    entry.result = result;
    return c;
  }
  if (c.size >= limit) c.delete(c.keys().next().value!);
  c.set(inc, { seq, result });
  return c;
}
