// An authenticator that lets every client publish and subscribe everywhere. Only for tests and
// for the trusted in-process node of an embedded cloud; real deployments authenticate tokens.
import type { Authenticator, Principal } from './broker-security.js';

export const allowAll: Authenticator = {
  authenticate: (clientId: string): Promise<Principal> => Promise.resolve({ id: clientId, publish: ['#'], subscribe: ['#'] }),
};
