// The compute catalogs' public face: flavors (`flavors/catalog`), key pairs (`keypairs/<userId>`),
// server groups (`server-group/<id>`) and their per-project index (`server-groups/<projectId>`):
// kind factories, one registration call, message types and error codes.
import type { ActorSystem } from '../../supervision/index.js';
import { ok, type Result } from '../../transports/errors.js';
import type { EventSink } from '../events.js';
import { createFlavorKind, type FlavorKindOptions } from './flavor-actor.js';
import { createKeypairKind, type KeypairKindOptions } from './keypair-actor.js';
import { createServerGroupKind, type ServerGroupKindOptions } from './server-group-actor.js';
import { createServerGroupIndexKind, type ServerGroupIndexOptions } from './server-group-index.js';

export { createFlavorKind, DEFAULT_FLAVORS, FLAVOR_CATALOG_ID, FLAVORS_KIND } from './flavor-actor.js';
export type { FlavorCatalogState, FlavorKindOptions } from './flavor-actor.js';
export { FlavorMessage } from './flavor-messages.js';
export type { DefaultsEnsured, ExtraSpecs, FlavorAccessView, FlavorDeleted, FlavorExtraSpecsView, FlavorList, FlavorReply, FlavorView } from './flavor-messages.js';
export { createKeypairKind, KEYPAIRS_KIND } from './keypair-actor.js';
export type { KeypairKindOptions, KeypairState } from './keypair-actor.js';
export { KeypairMessage } from './keypair-messages.js';
export type { GeneratedKeypairView, KeypairDeleted, KeypairList, KeypairReply, KeypairView } from './keypair-messages.js';
export { generateEd25519, md5Fingerprint, parsePublicKey } from './keypair-ssh.js';
export type { GeneratedKey, ParsedPublicKey } from './keypair-ssh.js';
export { createServerGroupKind, SERVER_GROUP_KIND } from './server-group-actor.js';
export type { ServerGroupKindOptions, ServerGroupState } from './server-group-actor.js';
export { createServerGroupIndexKind, SERVER_GROUP_INDEX_KIND } from './server-group-index.js';
export type { ServerGroupIndexOptions, ServerGroupIndexState } from './server-group-index.js';
export { GroupPolicyName, GroupRules, ServerGroupIndexMessage, ServerGroupMessage } from './server-group-messages.js';
export type {
  Empty,
  GroupHint,
  Placement,
  ServerGroupDeleted,
  ServerGroupIndexReply,
  ServerGroupList,
  ServerGroupReply,
  ServerGroupSummary,
  ServerGroupView,
} from './server-group-messages.js';
export {
  FlavorAccessExists,
  FlavorAccessNotFound,
  FlavorExists,
  FlavorExtraSpecNotFound,
  FlavorIsPublic,
  FlavorNotFound,
  GroupPolicy,
  KeypairExists,
  KeypairInvalid,
  KeypairNotFound,
  ServerGroupExists,
  ServerGroupNotFound,
} from './catalog-errors.js';

export interface ComputeCatalogOptions {
  readonly events?: EventSink;
  readonly flavors?: FlavorKindOptions;
  readonly keypairs?: KeypairKindOptions;
  readonly serverGroups?: Omit<ServerGroupKindOptions, 'events'>;
  readonly serverGroupIndex?: ServerGroupIndexOptions;
}

/** Registers the four catalog kinds on a system (the first failure is answered). */
export function registerComputeCatalogs(system: ActorSystem, options: ComputeCatalogOptions = {}): Result<void> {
  const groups: ServerGroupKindOptions = options.events === undefined ? { ...options.serverGroups } : { ...options.serverGroups, events: options.events };
  const kinds = [
    () => system.register(createFlavorKind(options.flavors)),
    () => system.register(createKeypairKind(options.keypairs)),
    () => system.register(createServerGroupKind(groups)),
    () => system.register(createServerGroupIndexKind(options.serverGroupIndex)),
  ];
  for (const register of kinds) {
    const registered = register();
    if (!registered.ok) return registered;
  }
  return ok(undefined);
}
