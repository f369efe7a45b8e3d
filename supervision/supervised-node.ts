// The contract between a supervisor and what it supervises (plain actors and other
// supervisors): hold messages, start again fresh, or stop for good.
import type { ErrorValue } from '../transports/errors.js';
import type { NactMailbox } from './nact-engine.js';

export interface SupervisedNode {
  readonly name: string;
  readonly path: string;
  /** Holds messages (they stay queued, in order) until restart() or terminate(). */
  suspend(): void;
  /** Starts again from fresh state (a stopped node comes back); queued messages then flow. */
  restart(): void;
  /** Stops; queued and later messages are answered ACTOR_STOPPED until a restart. */
  terminate(reason: string): void;
}

export interface ParentSupervisor {
  /** nact parent of the children's mailboxes, so nact's tree mirrors ours. */
  readonly mailbox: NactMailbox;
  childPath(name: string): string;
  /** A child failed; resolves once it has been restarted or stopped (the nact crash callback waits on it). */
  childFailed(child: SupervisedNode, reason: ErrorValue): Promise<boolean>;
}
