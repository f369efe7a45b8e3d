// How a server actor talks to the services it depends on, each only by its messages: the flavor
// catalog, key pairs and server groups (on the user's behalf, so their access rules apply), the
// project's quota, the servers index and the compute hosts (on the fabric's behalf).
import type { ActorRef, AskOptions, Message } from '../../supervision/index.js';
import { ok, type Result } from '../../transports/errors.js';
import { SYSTEM_CALLER, type Caller } from '../identity/caller.js';
import { QUOTA_KIND, type AllocationView, type ReleaseView } from '../quota/index.js';
import { HOST_KIND, SERVER_GROUP_KIND } from '../scheduler/index.js';
import { FLAVOR_CATALOG_ID, FLAVORS_KIND, KEYPAIRS_KIND, type FlavorView } from './catalog.js';
import type { FlavorSnapshot, ServerGroupRef } from './instance-record.js';
import { SERVERS_KIND, type ServerSummary } from './servers-index.js';

/** Anything that gives refs by kind name: an actor's context. */
export interface Refs {
  ref(kind: string, id: string): ActorRef<Message>;
}


export type PowerAction = 'stop' | 'start' | 'reboot-soft' | 'reboot-hard';

function ask<T>(refs: Refs, kind: string, id: string, msg: Message, options?: AskOptions): Promise<Result<T>> {
  return refs.ref(kind, id).ask(msg, options) as Promise<Result<T>>;
}

export async function getFlavor(refs: Refs, caller: Caller, idOrName: string): Promise<Result<FlavorSnapshot>> {
  const found = await ask<FlavorView>(refs, FLAVORS_KIND, FLAVOR_CATALOG_ID, { type: 'get', caller, idOrName } as Message);
  if (!found.ok) return found;
  const f = found.value;
  return ok({ id: f.id, name: f.name, vcpus: f.vcpus, ramMb: f.ramMb, diskGb: f.diskGb, ephemeralGb: f.ephemeralGb, swapMb: f.swapMb, extraSpecs: f.extraSpecs });
}

/** Whether the user has a key pair of that name (Nova: "Invalid key_name provided." otherwise). */
export function getKeypair(refs: Refs, caller: Caller, name: string): Promise<Result<unknown>> {
  return ask(refs, KEYPAIRS_KIND, caller.userId, { type: 'get', caller, name } as Message);
}

/** The server group's policy, if the caller may use the group. */
export async function getServerGroup(refs: Refs, caller: Caller, groupId: string): Promise<Result<ServerGroupRef>> {
  const found = await ask<{ readonly id: string; readonly policy: ServerGroupRef['policy'] }>(refs, SERVER_GROUP_KIND, groupId, { type: 'get', caller } as Message);
  if (!found.ok) return found;
  return ok({ id: groupId, policy: found.value.policy });
}

export function leaveGroup(refs: Refs, groupId: string, instanceId: string): Promise<Result<unknown>> {
  return ask(refs, SERVER_GROUP_KIND, groupId, { type: 'leave', caller: SYSTEM_CALLER, instanceId } as Message);
}

/** One server's share of the quota: the allocation is keyed by the server's id. */
export function reserveQuota(refs: Refs, projectId: string, instanceId: string, flavor: FlavorSnapshot): Promise<Result<AllocationView>> {
  const deltas = { instances: 1, cores: flavor.vcpus, ramMb: flavor.ramMb };
  return ask(refs, QUOTA_KIND, projectId, { type: 'reserve', caller: SYSTEM_CALLER, allocationId: instanceId, deltas } as Message);
}

export function commitQuota(refs: Refs, projectId: string, instanceId: string): Promise<Result<AllocationView>> {
  return ask(refs, QUOTA_KIND, projectId, { type: 'commit', caller: SYSTEM_CALLER, allocationId: instanceId } as Message);
}

export function releaseQuota(refs: Refs, projectId: string, instanceId: string): Promise<Result<ReleaseView>> {
  return ask(refs, QUOTA_KIND, projectId, { type: 'release', caller: SYSTEM_CALLER, allocationId: instanceId } as Message);
}

export function putSummary(refs: Refs, projectId: string, server: ServerSummary): Promise<Result<unknown>> {
  return ask(refs, SERVERS_KIND, projectId, { type: 'put', caller: SYSTEM_CALLER, server } as Message);
}

export function removeSummary(refs: Refs, projectId: string, id: string): Promise<Result<unknown>> {
  return ask(refs, SERVERS_KIND, projectId, { type: 'remove', caller: SYSTEM_CALLER, id } as Message);
}

/**
 * Starts the boot; the host tells `instance/<id>` spawned or spawnFailed when it is done. With an
 * image, the host fetches it first with the rights of the instance's project.
 */
export function spawnOn(refs: Refs, hostId: string, instanceId: string, image: { readonly id: string; readonly projectId: string } | null): Promise<Result<unknown>> {
  const msg = { type: 'spawn', caller: SYSTEM_CALLER, instanceId, replyTo: `instance/${instanceId}` };
  return ask(refs, HOST_KIND, hostId, (image === null ? msg : { ...msg, image }) as Message);
}

export function unclaimOn(refs: Refs, hostId: string, instanceId: string): Promise<Result<unknown>> {
  return ask(refs, HOST_KIND, hostId, { type: 'unclaim', caller: SYSTEM_CALLER, instanceId } as Message);
}

export function destroyOn(refs: Refs, hostId: string, instanceId: string): Promise<Result<unknown>> {
  return ask(refs, HOST_KIND, hostId, { type: 'destroy', caller: SYSTEM_CALLER, instanceId } as Message);
}

/** Fire and forget: a failed host's half-built domain (its answer changes nothing). */
export function tellDestroy(refs: Refs, hostId: string, instanceId: string): void {
  refs.ref(HOST_KIND, hostId).tell({ type: 'destroy', caller: SYSTEM_CALLER, instanceId } as Message);
}

export function powerOn(refs: Refs, hostId: string, instanceId: string, action: PowerAction): Promise<Result<unknown>> {
  return ask(refs, HOST_KIND, hostId, { type: 'power', caller: SYSTEM_CALLER, instanceId, action } as Message);
}

/**
 * Refs whose host claims are announced first: `beforeClaim(hostId)` runs (and persists the
 * intent) before the claim leaves, so a crash can never leave a claim the server does not know of.
 */
export function announcingClaims(refs: Refs, beforeClaim: (hostId: string) => Promise<void>): Refs {
  return {
    ref(kind: string, id: string): ActorRef<Message> {
      const inner = refs.ref(kind, id);
      if (kind !== HOST_KIND) return inner;
      return {
        path: inner.path,
        tell: (msg) => inner.tell(msg),
        ask: async (msg, options) => {
          if (msg.type === 'claim') await beforeClaim(id);
          return inner.ask(msg, options);
        },
      };
    },
  };
}

