// Checks on a real fabric's compute books, through an admin Session: waiting (by the project's
// events, no polling) until servers have settled, and reading what hosts, the servers index and
// the quota hold, so a test can compare them with the servers themselves.
import type { InstanceView } from '../../actors/compute/instance-record.js';
import type { ServerSummary } from '../../actors/compute/servers-index.js';
import type { QuotaView } from '../../actors/quota/quota-messages.js';
import type { HostView } from '../../hosts/compute/host-messages.js';
import type { Session } from '../../sdk/session.js';
import { ROOT } from '../../transports/topics.js';

/** A server as `show` answers it, or null when it does not exist (never created, or deleted). */
export type Seen = InstanceView | null;

/** Settled: gone, or ACTIVE or ERROR with no task under way. */
export function settled(seen: Seen): boolean {
  return seen === null || ((seen.status === 'ACTIVE' || seen.status === 'ERROR') && seen.taskState === null);
}

/** `show` of one server; INSTANCE_NOT_FOUND is null, any other error throws. */
export async function showServer(session: Session, id: string): Promise<Seen> {
  const r = await session.ask<InstanceView>('instance', id, 'show');
  if (r.ok) return r.value;
  if (r.error.code === 'INSTANCE_NOT_FOUND') return null;
  throw new Error(`show ${id}: ${r.error.code} ${r.error.message}`);
}

async function showAll(session: Session, ids: readonly string[]): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  const batch = 64;
  for (let i = 0; i < ids.length; i += batch) {
    const part = ids.slice(i, i + batch);
    const views = await Promise.all(part.map((id) => showServer(session, id)));
    part.forEach((id, k) => seen.set(id, views[k]!));
  }
  return seen;
}

export interface SettleOutcome {
  readonly seen: ReadonlyMap<string, Seen>;
  /** Servers still under way at the first look (their resumption was needed), by `STATUS/task`. */
  readonly unsettledAtStart: Readonly<Record<string, number>>;
}

function phases(views: Iterable<Seen>): Record<string, number> {
  const count: Record<string, number> = {};
  for (const v of views) if (!settled(v)) count[`${v?.status}/${v?.taskState ?? '-'}`] = (count[`${v?.status}/${v?.taskState ?? '-'}`] ?? 0) + 1;
  return count;
}

/**
 * Waits until every server of `ids` (in the session's project) is settled: listens to the
 * project's instance events first, reads every server, then reads again each server an event
 * names. Throws, naming the servers still under way, after `timeoutMs`.
 */
export async function settleServers(session: Session, ids: readonly string[], timeoutMs: number): Promise<SettleOutcome> {
  const heard: string[] = [];
  let wake: (() => void) | undefined;
  const unlisten = await session.endpoint.listen(`${ROOT}/events/${session.projectId}/instance/+`, (event) => {
    heard.push(event.topic.slice(event.topic.lastIndexOf('/') + 1));
    wake?.();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    wake?.();
  }, timeoutMs);
  try {
    const seen = await showAll(session, ids);
    const pending = new Set(ids.filter((id) => !settled(seen.get(id) ?? null)));
    const unsettledAtStart = phases(seen.values());
    while (pending.size > 0) {
      const named = [...new Set(heard.splice(0))].filter((id) => pending.has(id));
      if (named.length > 0) {
        for (const [id, view] of await showAll(session, named)) {
          seen.set(id, view);
          if (settled(view)) pending.delete(id);
        }
        continue;
      }
      if (timedOut) {
        // A last read, so a lost event cannot pass for a stuck server.
        const last = await showAll(session, [...pending]);
        const stuck = [...last].filter(([, view]) => !settled(view));
        if (stuck.length === 0) return { seen: new Map([...seen, ...last]), unsettledAtStart };
        const shown = stuck.slice(0, 10).map(([id, v]) => `${id} ${v?.status}/${v?.taskState ?? '-'} host=${v?.hostId ?? '-'}`);
        throw new Error(`${stuck.length} servers not settled after ${timeoutMs} ms: ${shown.join('; ')}`);
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    return { seen, unsettledAtStart };
  } finally {
    clearTimeout(timer);
    await unlisten();
  }
}

async function must<T>(session: Session, kind: string, id: string, type: string, body: Record<string, unknown> = {}): Promise<T> {
  const r = await session.ask<T>(kind, id, type, body);
  if (!r.ok) throw new Error(`${kind}/${id} ${type}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

export const describeHost = (session: Session, hostId: string): Promise<HostView> => must<HostView>(session, 'host', hostId, 'describe');

export const listServers = async (session: Session, projectId: string): Promise<readonly ServerSummary[]> =>
  (await must<{ servers: readonly ServerSummary[] }>(session, 'servers', projectId, 'list')).servers;

export const showQuota = (session: Session, projectId: string): Promise<QuotaView> => must<QuotaView>(session, 'quota', projectId, 'show');

export const setQuotaLimits = (session: Session, projectId: string, limits: Record<string, number | null>): Promise<QuotaView> =>
  must<QuotaView>(session, 'quota', projectId, 'setLimits', { limits });

export function sorted(ids: Iterable<string>): string[] {
  return [...ids].sort();
}
