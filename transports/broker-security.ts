// The embedded broker's pluggable security: an authenticator turns CONNECT credentials into a
// principal whose grants (MQTT topic filters) decide every PUBLISH and SUBSCRIBE. The test
// authenticator lives here; the identity service plugs in token authentication later.
import mqttMatch from 'mqtt-match';
import type { ErrorValue } from './errors.js';

/** What a connected client may do. Filters use MQTT wildcards (`+`, `#`). */
export interface Principal {
  /** Who this is (user id, node id); logged, never a secret. */
  readonly id: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

export interface Authenticator {
  /** Checks CONNECT credentials; a value with a code means refused. */
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | ErrorValue>;
}

/** Whether a topic (or a subscription filter) falls under one of the grants. */
export function permits(grants: readonly string[], topicOrFilter: string): boolean {
  for (const g of grants) {
    if (g === '#' || g === topicOrFilter || mqttMatch(g, topicOrFilter)) return true;
  }
  return false;
}
