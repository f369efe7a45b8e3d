// What a server actor persists, and the view it answers with. The record keeps the workflow's
// bookkeeping (hosts tried, hosts a claim may have reached, where the quota reservation stands)
// so that a reactivated actor can go on, or undo, exactly what a crashed one left half done.
import type { Metadata } from './instance-messages.js';
import { vmStateOf, type InstanceStatus, type Phase, type TaskState, type VmState } from './instance-status.js';

/** The flavor as it was at boot (Nova embeds a copy in the server: later edits do not apply). */
export interface FlavorSnapshot {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly ephemeralGb: number;
  readonly swapMb: number;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

/** Nova's instance fault: why a server went to ERROR. */
export interface Fault {
  readonly code: number;
  readonly message: string;
  readonly details?: string;
  readonly created: number;
}

/** Nova's power_state numbers. */
export const POWER = { NOSTATE: 0, RUNNING: 1, SHUTDOWN: 4 } as const;
export type PowerState = (typeof POWER)[keyof typeof POWER];

/** `reserving`: persisted before the reservation was asked for (a resumed build asks again). */
export type QuotaStanding = 'reserving' | 'reserved' | 'committed' | 'released';

export interface ServerGroupRef {
  readonly id: string;
  readonly policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';
}

export interface InstanceRecord extends Phase {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string;
  readonly powerState: PowerState;
  readonly flavor: FlavorSnapshot;
  readonly imageId: string | null;
  readonly keyName: string | null;
  readonly group: ServerGroupRef | null;
  /** The zone asked for at create (null: any). */
  readonly zone: string | null;
  /** The host holding this server's claim (null before placement and after it was given back). */
  readonly hostId: string | null;
  readonly metadata: Metadata;
  readonly fault: Fault | null;
  /** Hosts this build has been placed on and failed on, in order (excluded from rescheduling). */
  readonly failedHosts: readonly string[];
  /**
   * Hosts a claim may have been sent to and that are not (yet) hostId: written before each claim
   * is sent, so that after a crash the actor can give back a claim it never learned about.
   */
  readonly claimIntents: readonly string[];
  readonly quota: QuotaStanding;
  /** Whether the server group counts this server as a member (it must be told to leave). */
  readonly inGroup: boolean;
  /** When the host was asked to spawn (a boot that takes longer fails on that host). */
  readonly spawnAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly launchedAt: number | null;
  readonly terminatedAt: number | null;
}

/** A server actor's state: null until `create`; a DELETED record stays as a tombstone. */
export type InstanceState = InstanceRecord | null;

/** What `show` and every action answer. */
export interface InstanceView {
  readonly id: string;
  readonly projectId: string;
  readonly userId: string;
  readonly name: string;
  readonly status: InstanceStatus;
  readonly taskState: TaskState;
  readonly vmState: VmState;
  readonly powerState: PowerState;
  readonly flavor: FlavorSnapshot;
  readonly imageId: string | null;
  readonly keyName: string | null;
  readonly groupId: string | null;
  readonly zone: string | null;
  readonly hostId: string | null;
  readonly metadata: Metadata;
  readonly fault: Fault | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly launchedAt: number | null;
  readonly terminatedAt: number | null;
}

export function viewOf(r: InstanceRecord): InstanceView {
  return {
    id: r.id,
    projectId: r.projectId,
    userId: r.userId,
    name: r.name,
    status: r.status,
    taskState: r.taskState,
    vmState: vmStateOf(r.status),
    powerState: r.powerState,
    flavor: r.flavor,
    imageId: r.imageId,
    keyName: r.keyName,
    groupId: r.group?.id ?? null,
    zone: r.zone,
    hostId: r.hostId,
    metadata: r.metadata,
    fault: r.fault,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    launchedAt: r.launchedAt,
    terminatedAt: r.terminatedAt,
  };
}
