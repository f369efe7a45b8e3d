// The identity service's public face: the Caller model and its checks, registration of the
// kinds, the admin's first-start set-up, password logins, token checks for the fabric node and
// the broker, and the message types of identity/<d> for the REST routes and the SDK.
export { isAdmin, isCaller, mayRead, mayWrite, mustBeAdmin, mustBeSystem, CallerSchema, ROLES, SYSTEM_CALLER } from './caller.js';
export type { Caller, Role } from './caller.js';
export { AssignmentNotFound, DomainNotFound, ProjectNameTaken, ProjectNotFound, UserNameTaken, UserNotFound } from './errors.js';
export { bootstrapAdmin, issueToken, mintToken, registerIdentity, startBootstrap, DEFAULT_DOMAIN_ID, DEFAULT_TOKEN_TTL_MS } from './register.js';
export type { IdentityOptions, PasswordLogin, StartedBootstrap } from './register.js';
export { tokenVerifier } from './verifier.js';
export type { TokenVerifier, VerifierOptions } from './verifier.js';
export { tokenAuthenticator, TOKEN_USERNAME } from './broker-auth.js';
export { hashToken } from './tokens.js';
export { IDENTITY_KIND, ADMIN_NAME } from './identity-actor.js';
export { TOKEN_KIND } from './token-actor.js';
export { USER_TOKENS_KIND } from './user-tokens-actor.js';
export { IdentityMessage } from './identity-messages.js';
export type { AssignmentView, AuthResult, BootstrapResult, IdentityReply, ProjectView, UserView } from './identity-messages.js';
export { TokenMessage } from './token-messages.js';
