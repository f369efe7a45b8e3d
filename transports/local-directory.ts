// One per process: which topic filters the endpoints of this process serve (mailbox shards, host
// topics, their reply topics), so a message for one of them is handed over in memory instead of
// making a round trip through the broker. The topic stays the address: other processes and
// foreign clients still reach the same receivers through the broker.
import type { Envelope } from './envelope.js';
import { FilterIndex } from './topic-matcher.js';

/** Takes an envelope addressed to a topic it serves; called on a fresh microtask, must not throw. */
export type LocalInbox = (envelope: Envelope, topic: string) => void;

export class LocalDirectory {
  private readonly index = new FilterIndex<Set<LocalInbox>>();

  /** Serves a filter in this process until the returned function is called. */
  register(filter: string, inbox: LocalInbox): () => void {
    let inboxes = this.index.get(filter);
    if (!inboxes) {
      inboxes = new Set();
      this.index.set(filter, inboxes);
    }
    inboxes.add(inbox);
    return () => {
      const current = this.index.get(filter);
      if (current?.delete(inbox) && current.size === 0) this.index.delete(filter);
    };
  }

  /** The inboxes serving a topic, each once (empty: the receiver is not in this process). */
  lookup(topic: string): LocalInbox[] {
    const found: LocalInbox[] = [];
    for (const [, inboxes] of this.index.match(topic)) {
      for (const inbox of inboxes) if (!found.includes(inbox)) found.push(inbox);
    }
    return found;
  }

  /** Number of registered filters; for tests. */
  get size(): number {
    return this.index.size;
  }
}
