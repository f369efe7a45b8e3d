// What an endpoint counts: the figures that tell, in production and in tests, whether messages were
// repeated, reordered, lost, late or malformed. One mutable record per endpoint, read by stats().
import type { ReceiveOrderStats } from './sequencer.js';

export interface EndpointCounters {
  /** Requests and one-way messages sent (first sends only). */
  asked: number;
  told: number;
  events: number;
  /** Messages handed over in memory to a receiver of this process instead of the broker. */
  sentLocally: number;
  /** Requests sent again (after a reconnect, or pending past the retransmit interval). */
  retransmits: number;
  /** One-way messages sent again after a reconnect (see endpoint-recent-tells.ts). */
  tellsResent: number;
  /** Asks that reached their deadline without a reply. */
  timeouts: number;
  /** Requests and one-way messages handed to a served handler. */
  handled: number;
  /** Requests that arrived after their deadline: answered TIMEOUT, not handled. */
  expired: number;
  /** Repeated requests answered with the reply they already got (or queued for it while it is made). */
  duplicatesAnswered: number;
  /** Repeats not handled again and not answered (one-way, still being handled, or too old to know). */
  duplicatesDropped: number;
  /** Undecodable payloads on served topics answered with an error reply. */
  malformedAnswered: number;
  /** Undecodable payloads with no reply address to answer, and envelopes of the wrong kind. */
  malformedDropped: number;
  /** Replies whose request is unknown here (already answered, timed out, or not ours). */
  unmatchedReplies: number;
  /** Handlers that threw (their requests were answered INTERNAL). */
  handlerErrors: number;
  /** Replies and error answers that could not be sent. */
  sendFailures: number;
}

export interface EndpointStats extends Readonly<EndpointCounters> {
  /** Asks waiting for their reply right now. */
  readonly pending: number;
  /** Order per (sender incarnation, topic) on the serving side: held, given up, late. */
  readonly order: ReceiveOrderStats;
}

export function newCounters(): EndpointCounters {
  return {
    asked: 0,
    told: 0,
    events: 0,
    sentLocally: 0,
    retransmits: 0,
    tellsResent: 0,
    timeouts: 0,
    handled: 0,
    expired: 0,
    duplicatesAnswered: 0,
    duplicatesDropped: 0,
    malformedAnswered: 0,
    malformedDropped: 0,
    unmatchedReplies: 0,
    handlerErrors: 0,
    sendFailures: 0,
  };
}
