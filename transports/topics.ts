// The topic scheme (docs/mqtt-api.md is its public description). An actor is addressed by
// (kind, id); its mailbox is the topic of a fixed shard, hash(kind:id) mod SHARDS, so a node
// subscribes to the shards it owns and subscriptions stay bounded with millions of actors.
// Host-local actors live under their host's topic; replies and events have topics of their own.

/** Number of mailbox shards. Fixed for a cluster: changing it re-addresses every actor. */
export const SHARDS = 256;

export const ROOT = 'cumulo';

/** A segment (kind, id, host, client, project) must be a plain, non-empty topic level. */
const SEGMENT = /^[A-Za-z0-9._:@-]{1,128}$/;

export function isSegment(s: string): boolean {
  return SEGMENT.test(s);
}

/** FNV-1a, 32 bit, over the UTF-16 code units of the string (ASCII ids: their bytes). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(kind: string, id: string): number {
  return fnv1a32(`${kind}:${id}`) % SHARDS;
}

export const topics = {
  /** Mailbox of one shard: every actor whose hash falls in it is served there. */
  mailbox: (shard: number): string => `${ROOT}/mbox/${shard}`,
  mailboxOf: (kind: string, id: string): string => `${ROOT}/mbox/${shardOf(kind, id)}`,
  /** Mailbox of a host and of the actors local to it (hypervisor domains, fragment stores). */
  host: (hostId: string): string => `${ROOT}/host/${hostId}`,
  /** Where replies to one client or node arrive. */
  reply: (clientId: string): string => `${ROOT}/reply/${clientId}`,
  /** Events of one resource of one project; subscribe `cumulo/events/{project}/#` for all. */
  event: (project: string, kind: string, id: string): string => `${ROOT}/events/${project}/${kind}/${id}`,
  /** Retained lease of a shard: owner and epoch. */
  lease: (shard: number): string => `${ROOT}/lease/${shard}`,
} as const;

/** Address of an actor inside envelopes: `kind/id`, or `host/{hostId}/kind/id` for host-local ones. */
export function actorAddress(kind: string, id: string): string {
  return `${kind}/${id}`;
}
