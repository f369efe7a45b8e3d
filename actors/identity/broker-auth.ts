// MQTT CONNECT with a token (username `token`, password the token) on the embedded broker: the
// token's project and roles become the connection's grants (transports/acl.ts): every role on
// the project (admin, member, reader) is a `client` of it, so a reader sends its read requests
// (list, show) like anyone, and the actors refuse its changes (FORBIDDEN, caller.ts mayWrite)
// as they do on every face. Unscoped and domain-scoped tokens have no project and are refused.
// The principal is named by user and project, never the token.
import type { Authenticator, Principal } from '../../transports/broker-security.js';
import { grantsFor } from '../../transports/acl.js';
import { Forbidden, isErrorValue, Unauthorized, type ErrorValue } from '../../transports/errors.js';
import type { TokenVerifier } from './verifier.js';

export const TOKEN_USERNAME = 'token';

export function tokenAuthenticator(verify: TokenVerifier): Authenticator {
  return {
    async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | ErrorValue> {
      if (username !== TOKEN_USERNAME || password === undefined || password.length === 0) {
        return Unauthorized(`log in with username "${TOKEN_USERNAME}" and a token as password`);
      }
      const verified = await verify(password.toString('utf8'));
      if (!verified.ok) return verified.error;
      const caller = verified.value;
      if (caller === undefined) return Unauthorized('a token is required');
      if (caller.projectId === null) return Forbidden('MQTT needs a project-scoped token');
      // The broker decides where a request may go; what it may do is the actor's rule, by role.
      if (caller.roles.length === 0) return Forbidden('the token carries no role on its project');
      const grants = grantsFor({ role: 'client', projectId: caller.projectId }, clientId);
      if (isErrorValue(grants)) return grants;
      return { id: `${caller.userName}@${caller.projectId}`, ...grants };
    },
  };
}
