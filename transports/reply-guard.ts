// Whom a publish asks the fabric to answer: the reply address in its envelope. The embedded broker
// knows who publishes (the connection's client id and principal), so it is where a `replyTo`
// naming another client's reply topic is refused: otherwise any client could have replies sent
// to someone else (docs/mqtt-security.md). Receivers decode with the same codec, so what this
// reads is what they would answer.
import { decodeEnvelope, salvageReplyAddress } from './codec.js';

/** The reply address a payload names: a topic, null for none (one-way, or not an envelope). */
export function replyAddressOf(payload: Uint8Array): string | null {
  const decoded = decodeEnvelope(payload);
  if (decoded.ok) return decoded.value.envelope.replyTo;
  // A malformed envelope is answered with its decode error when an address can be salvaged.
  return salvageReplyAddress(payload)?.replyTo ?? null;
}
