// Who may connect to the embedded broker: the fabric's own node (a secret that lives only in this
// process), clients with a token (username `token`), and users with their password (username
// `name@project`: the broker issues a token behind the scenes, so the grants are the same as a
// token's). Everything else is refused.
import { issueToken, tokenAuthenticator, TOKEN_USERNAME, type TokenVerifier } from '../actors/identity/index.js';
import type { ActorSystem } from '../supervision/index.js';
import type { Authenticator, Principal } from '../transports/broker-security.js';
import { Unauthorized, type ErrorValue } from '../transports/errors.js';
import { createStaticAuthenticator } from '../transports/static-authenticator.js';

export interface FabricAuthOptions {
  readonly system: ActorSystem;
  readonly verify: TokenVerifier;
  readonly nodeId: string;
  readonly nodePassword: string;
}

export async function fabricAuthenticator(options: FabricAuthOptions): Promise<Authenticator> {
  const node = await createStaticAuthenticator({ [options.nodeId]: { role: 'node', password: options.nodePassword, clientIds: [options.nodeId] } }, { cost: 1024 });
  const tokens = tokenAuthenticator(options.verify);
  return {
    async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Principal | ErrorValue> {
      if (username === options.nodeId) return node.authenticate(clientId, username, password);
      if (username === TOKEN_USERNAME) return tokens.authenticate(clientId, username, password);
      const at = username?.lastIndexOf('@') ?? -1;
      if (username === undefined || password === undefined || at <= 0 || at === username.length - 1) {
        return Unauthorized(`log in with username "${TOKEN_USERNAME}" and a token, or "user@project" and a password`);
      }
      const issued = await issueToken(options.system, { userName: username.slice(0, at), password: password.toString('utf8'), projectName: username.slice(at + 1) });
      if (!issued.ok) return issued.error;
      return tokens.authenticate(clientId, TOKEN_USERNAME, Buffer.from(issued.value.token));
    },
  };
}
