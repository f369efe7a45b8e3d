// The compute client, `cloud.compute`: openstacksdk's compute proxy in camelCase (createServer,
// servers, waitForServer, flavors, keypairs, serverGroups, availabilityZones, hypervisors,
// services, quotas). Each method is one or two messages to the actors (the same messages any MQTT
// client sends, docs/mqtt-api.md) and answers the value or throws a FabricError with its code.
import { randomUUID } from 'node:crypto';
import {
  FLAVOR_CATALOG_ID,
  FLAVORS_KIND,
  INSTANCE_KIND,
  KEYPAIRS_KIND,
  SERVER_GROUP_INDEX_KIND,
  SERVER_GROUP_KIND,
  type FlavorAccessView,
  type FlavorExtraSpecsView,
  type FlavorList,
  type FlavorView,
  type GeneratedKeypairView,
  type GroupPolicyName,
  type GroupRules,
  type InstanceStatus,
  type InstanceView,
  type KeypairList,
  type KeypairView,
  type ServerGroupList,
  type ServerGroupSummary,
  type ServerGroupView,
  type ServerSummary,
} from '../actors/compute/index.js';
import { QUOTA_KIND, type QuotaView } from '../actors/quota/index.js';
import { DEFAULT_SCHEDULER, SCHEDULER_KIND, type HostSummary, type HostsView, type ZoneSummary, type ZonesView } from '../actors/scheduler/index.js';
import { HOST_KIND, type HostView } from '../hosts/compute/index.js';
import type { Clock } from '../transports/clock.js';
import { BadRequest, FabricError } from '../transports/errors.js';
import { must, ServerFailed } from './client-errors.js';
import type { Session } from './session.js';
import { InstanceWatch, type Verdict } from './watch-client.js';

/** The `servers/<projectId>` index kind (actors/compute/servers-index.ts). */
const SERVERS_KIND = 'servers';
/** The instance actor's flavorId field accepts ids and names of this form; others are resolved first. */
const PLAIN_ID = /^[A-Za-z0-9._:@-]{1,255}$/;
const DEFAULT_WAIT_MS = 120_000;

export interface CreateServerOptions {
  readonly name: string;
  /** A flavor id or name (`'1'` or `'m1.tiny'`). */
  readonly flavorId: string;
  readonly imageId?: string;
  /**
   * Nova 2.37's `networks`: 'auto' or 'none'. There is no networking service yet, so both mean
   * "no ports"; a list of networks is refused (BAD_REQUEST) rather than ignored.
   */
  readonly networks?: 'auto' | 'none';
  readonly keyName?: string;
  /** A server group (Nova's scheduler hint `group`). */
  readonly groupId?: string;
  /** Nova's `availability_zone`. */
  readonly availabilityZone?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** The server's id (default: a new UUID). Sending the same create twice is then refused with INSTANCE_EXISTS. */
  readonly id?: string;
}

export interface ServerQuery {
  readonly status?: InstanceStatus;
  /** Servers whose name contains this. */
  readonly name?: string;
  readonly limit?: number;
  /** The last id of the previous page. */
  readonly marker?: string;
  /** Another project's servers (admins). */
  readonly projectId?: string;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
}

export interface CreateFlavorOptions {
  /** A UUID is chosen when omitted. */
  readonly id?: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly ephemeralGb?: number;
  readonly swapMb?: number;
  readonly isPublic?: boolean;
  readonly description?: string;
  readonly extraSpecs?: Readonly<Record<string, string>>;
}

export interface CreateKeypairOptions {
  readonly name: string;
  /** Imports this OpenSSH public key; without it an ed25519 key is generated. */
  readonly publicKey?: string;
}

export interface CreateServerGroupOptions {
  readonly name: string;
  readonly policy: GroupPolicyName;
  readonly rules?: GroupRules;
  /** Admins may create a group in another project. */
  readonly projectId?: string;
}

/** Nova's os-services entry for a compute host, from the scheduler's summary. */
export interface ComputeService {
  readonly binary: 'nova-compute';
  readonly host: string;
  readonly zone: string;
  readonly status: 'enabled' | 'disabled';
  readonly state: 'up' | 'down';
  readonly updatedAt: number;
}

export class ComputeClient {
  private readonly watch: InstanceWatch;

  constructor(
    private readonly session: Session,
    clock: Clock,
  ) {
    this.watch = new InstanceWatch(session.endpoint, clock);
  }

  // --- servers (Nova /servers) -------------------------------------------------------------

  /** Creates a server (answers at once, status BUILD, like Nova's 202); waitForServer for ACTIVE. */
  async createServer(options: CreateServerOptions): Promise<InstanceView> {
    if (options.networks !== undefined && options.networks !== 'auto' && options.networks !== 'none') {
      throw new FabricError(BadRequest("networks must be 'auto' or 'none' (there is no networking service yet)", { field: 'networks' }));
    }
    const flavorId = PLAIN_ID.test(options.flavorId) ? options.flavorId : (await this.getFlavor(options.flavorId)).id;
    const body: Record<string, unknown> = { name: options.name, flavorId };
    if (options.imageId !== undefined) body.imageId = options.imageId;
    if (options.keyName !== undefined) body.keyName = options.keyName;
    if (options.groupId !== undefined) body.groupId = options.groupId;
    if (options.availabilityZone !== undefined) body.zone = options.availabilityZone;
    if (options.metadata !== undefined) body.metadata = options.metadata;
    return this.call<InstanceView>(INSTANCE_KIND, options.id ?? randomUUID(), 'create', body);
  }

  /** The project's servers, newest first (summaries; getServer for the whole server). */
  async servers(query: ServerQuery = {}): Promise<readonly ServerSummary[]> {
    const { projectId, ...filters } = query;
    const listed = await this.call<{ servers: readonly ServerSummary[] }>(SERVERS_KIND, projectId ?? this.session.projectId, 'list', { ...filters });
    return listed.servers;
  }

  getServer(id: string): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'show');
  }

  /** Starts the deletion (answers with task_state deleting); waitForDelete for the end. */
  deleteServer(id: string): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'delete');
  }

  stopServer(id: string): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'stop');
  }

  startServer(id: string): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'start');
  }

  rebootServer(id: string, options: { readonly type?: 'SOFT' | 'HARD' } = {}): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'reboot', { hard: options.type === 'HARD' });
  }

  updateServer(id: string, changes: { readonly name: string }): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'rename', { name: changes.name });
  }

  /** Merges into the metadata (Nova's POST), or replaces it all with `replace` (Nova's PUT). */
  setServerMetadata(id: string, metadata: Readonly<Record<string, string>>, options: { readonly replace?: boolean } = {}): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'setMetadata', { metadata, ...(options.replace === true ? { replace: true } : {}) });
  }

  deleteServerMetadata(id: string, keys: readonly string[]): Promise<InstanceView> {
    return this.call(INSTANCE_KIND, id, 'deleteMetadata', { keys });
  }

  /**
   * Resolves with the server once its status is `status` (default ACTIVE); throws SERVER_FAILED
   * if it goes to ERROR or is deleted first, TIMEOUT after timeoutMs (default 120 s). Event-driven.
   */
  waitForServer(id: string, options: WaitOptions & { readonly status?: InstanceStatus } = {}): Promise<InstanceView> {
    const wanted = options.status ?? 'ACTIVE';
    const judge = (status: string, body: Readonly<Record<string, unknown>>): Verdict => {
      if (status === wanted) return 'done';
      if (status === 'ERROR' || status === 'DELETED') {
        return new FabricError(ServerFailed(`server ${id} is ${status}, not ${wanted}`, { id, status, fault: body.fault ?? null }));
      }
      return 'wait';
    };
    return this.watch.until({
      id,
      projectId: this.session.projectId,
      read: async () => {
        const server = await this.getServer(id);
        return { status: server.status, projectId: server.projectId, value: server, body: { fault: server.fault } };
      },
      judge,
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      what: `server ${id} reaching ${wanted}`,
    });
  }

  /** Resolves once the server is gone (DELETED, or no longer found). */
  async waitForDelete(id: string, options: WaitOptions = {}): Promise<void> {
    await this.watch.until({
      id,
      projectId: this.session.projectId,
      read: async () => {
        try {
          const server = await this.getServer(id);
          return { status: server.status, projectId: server.projectId, value: undefined };
        } catch (e) {
          if (e instanceof FabricError && e.value.status === 404) return { status: 'DELETED', projectId: this.session.projectId, value: undefined };
          throw e;
        }
      },
      judge: (status) => (status === 'DELETED' ? 'done' : 'wait'),
      timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS,
      what: `deletion of server ${id}`,
    });
  }

  // --- flavors (Nova /flavors, os-flavor-access, os-flavor-extra-specs) ---------------------

  /** Public flavors and those shared with the caller's project (admins see all). */
  async flavors(): Promise<readonly FlavorView[]> {
    return (await this.flavorCall<FlavorList>('list')).flavors;
  }

  getFlavor(idOrName: string): Promise<FlavorView> {
    return this.flavorCall('get', { idOrName });
  }

  /** Admins only. */
  createFlavor(options: CreateFlavorOptions): Promise<FlavorView> {
    return this.flavorCall('create', { ...options });
  }

  async deleteFlavor(id: string): Promise<void> {
    await this.flavorCall('delete', { id });
  }

  async fetchFlavorExtraSpecs(id: string): Promise<Readonly<Record<string, string>>> {
    return (await this.getFlavor(id)).extraSpecs;
  }

  /** Sets (adds or overwrites) extra specs; admins only. */
  async createFlavorExtraSpecs(id: string, extraSpecs: Readonly<Record<string, string>>): Promise<Readonly<Record<string, string>>> {
    return (await this.flavorCall<FlavorExtraSpecsView>('setExtraSpecs', { id, extraSpecs })).extraSpecs;
  }

  async deleteFlavorExtraSpecsProperty(id: string, key: string): Promise<void> {
    await this.flavorCall('unsetExtraSpecs', { id, keys: [key] });
  }

  /** Projects that may use a private flavor. */
  async getFlavorAccess(id: string): Promise<readonly string[]> {
    return (await this.flavorCall<FlavorAccessView>('listAccess', { id })).projects;
  }

  async flavorAddTenantAccess(id: string, projectId: string): Promise<readonly string[]> {
    return (await this.flavorCall<FlavorAccessView>('addAccess', { id, projectId })).projects;
  }

  async flavorRemoveTenantAccess(id: string, projectId: string): Promise<readonly string[]> {
    return (await this.flavorCall<FlavorAccessView>('removeAccess', { id, projectId })).projects;
  }

  // --- key pairs (Nova os-keypairs; the caller's own, or a user's for admins) --------------

  /** Imports `publicKey`, or generates an ed25519 key whose private half is answered this once. */
  createKeypair(options: CreateKeypairOptions): Promise<KeypairView | GeneratedKeypairView> {
    return this.call(KEYPAIRS_KIND, this.session.caller.userId, 'create', { ...options });
  }

  async keypairs(options: { readonly userId?: string } = {}): Promise<readonly KeypairView[]> {
    return (await this.call<KeypairList>(KEYPAIRS_KIND, options.userId ?? this.session.caller.userId, 'list')).keypairs;
  }

  getKeypair(name: string, options: { readonly userId?: string } = {}): Promise<KeypairView> {
    return this.call(KEYPAIRS_KIND, options.userId ?? this.session.caller.userId, 'get', { name });
  }

  async deleteKeypair(name: string, options: { readonly userId?: string } = {}): Promise<void> {
    await this.call(KEYPAIRS_KIND, options.userId ?? this.session.caller.userId, 'delete', { name });
  }

  // --- server groups (Nova os-server-groups, 2.64) ------------------------------------------

  createServerGroup(options: CreateServerGroupOptions): Promise<ServerGroupView> {
    return this.call(SERVER_GROUP_KIND, randomUUID(), 'create', { ...options });
  }

  async serverGroups(options: { readonly projectId?: string } = {}): Promise<readonly ServerGroupSummary[]> {
    return (await this.call<ServerGroupList>(SERVER_GROUP_INDEX_KIND, options.projectId ?? this.session.projectId, 'list')).serverGroups;
  }

  getServerGroup(id: string): Promise<ServerGroupView> {
    return this.call(SERVER_GROUP_KIND, id, 'get');
  }

  async deleteServerGroup(id: string): Promise<void> {
    await this.call(SERVER_GROUP_KIND, id, 'delete');
  }

  // --- availability zones, hypervisors, services (the scheduler's summary, the hosts) ------

  async availabilityZones(): Promise<readonly ZoneSummary[]> {
    return (await this.call<ZonesView>(SCHEDULER_KIND, DEFAULT_SCHEDULER, 'zones')).zones;
  }

  /** Every compute host with its capacity and use; admins only. */
  async hypervisors(): Promise<readonly HostSummary[]> {
    return (await this.call<HostsView>(SCHEDULER_KIND, DEFAULT_SCHEDULER, 'hosts')).hosts;
  }

  /** One host as it sees itself (claims, domains); admins only. */
  getHypervisor(hostId: string): Promise<HostView> {
    return this.call(HOST_KIND, hostId, 'describe');
  }

  /** Nova's os-services for the compute hosts; admins only. */
  async computeServices(): Promise<readonly ComputeService[]> {
    return (await this.hypervisors()).map((h) => ({
      binary: 'nova-compute',
      host: h.hostId,
      zone: h.zone,
      status: h.enabled ? 'enabled' : 'disabled',
      state: h.up ? 'up' : 'down',
      updatedAt: h.heartbeatAt,
    }));
  }

  /** Takes a host out of scheduling (Nova's disable service); admins only. */
  disableService(hostId: string, reason?: string): Promise<HostView> {
    return this.call(HOST_KIND, hostId, 'disable', reason === undefined ? {} : { reason });
  }

  enableService(hostId: string): Promise<HostView> {
    return this.call(HOST_KIND, hostId, 'enable');
  }

  // --- quotas (Nova os-quota-sets: instances, cores, ramMb) --------------------------------

  /** Limits, use and reservations of a project (default: the caller's). */
  getQuota(projectId: string = this.session.projectId): Promise<QuotaView> {
    return this.call(QUOTA_KIND, projectId, 'show');
  }

  /** New limits (-1 unlimited, null back to the default); admins only. */
  setQuota(projectId: string, limits: Readonly<Record<string, number | null>>, options: { readonly force?: boolean } = {}): Promise<QuotaView> {
    return this.call(QUOTA_KIND, projectId, 'setLimits', { limits, ...(options.force === true ? { force: true } : {}) });
  }

  /** Stops hearing events; the session itself is the Cloud's to close. */
  close(): Promise<void> {
    return this.watch.close();
  }

  private flavorCall<T>(type: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.call<T>(FLAVORS_KIND, FLAVOR_CATALOG_ID, type, body);
  }

  private async call<T>(kind: string, id: string, type: string, body: Record<string, unknown> = {}): Promise<T> {
    return must(await this.session.ask<T>(kind, id, type, body));
  }
}
