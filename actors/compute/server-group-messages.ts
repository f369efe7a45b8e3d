// Messages of a server group (`server-group/<id>`) and of a project's index of them
// (`server-groups/<projectId>`), as TypeBox schemas: the one source of their validation and
// types (Nova os-server-groups, microversion 2.64: one policy, rules for anti-affinity).
import { Type, type Static } from '@sinclair/typebox';

const Caller = Type.Optional(Type.Unknown());
const Segment = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$' });

export const GroupPolicyName = Type.Union([Type.Literal('affinity'), Type.Literal('anti-affinity'), Type.Literal('soft-affinity'), Type.Literal('soft-anti-affinity')]);
export type GroupPolicyName = Static<typeof GroupPolicyName>;

/** Nova 2.64: only anti-affinity takes rules; max_server_per_host defaults to 1. */
export const GroupRules = Type.Object({ maxServerPerHost: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })) }, { additionalProperties: false });
export type GroupRules = Static<typeof GroupRules>;

const GroupName = Type.String({ pattern: '^(?!\\s)[^\\x00-\\x1f\\x7f]{1,255}(?<!\\s)$' });

export const ServerGroupMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('create'),
      caller: Caller,
      name: GroupName,
      policy: GroupPolicyName,
      rules: Type.Optional(GroupRules),
      /** Admins may create a group in another project (default: the caller's project). */
      projectId: Type.Optional(Segment),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('get'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('delete'), caller: Caller }, { additionalProperties: false }),
  /** The scheduler, before a claim: may `instanceId` go on `hostId` under the group's policy? */
  Type.Object({ type: Type.Literal('admit'), caller: Caller, instanceId: Segment, hostId: Segment }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('leave'), caller: Caller, instanceId: Segment }, { additionalProperties: false }),
  /** For the scheduler's weighers: the policy and the hosts the members are on. */
  Type.Object({ type: Type.Literal('hint'), caller: Caller }, { additionalProperties: false }),
]);
export type ServerGroupMessage = Static<typeof ServerGroupMessage>;

export const ServerGroupIndexMessage = Type.Union([
  /** Fabric-internal (SYSTEM caller): a group of the project was created (idempotent per id). */
  Type.Object({ type: Type.Literal('add'), caller: Caller, id: Segment, name: GroupName, policy: GroupPolicyName, userId: Type.String({ maxLength: 255 }) }, { additionalProperties: false }),
  /** Fabric-internal (SYSTEM caller): idempotent. */
  Type.Object({ type: Type.Literal('remove'), caller: Caller, id: Segment }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('list'), caller: Caller }, { additionalProperties: false }),
]);
export type ServerGroupIndexMessage = Static<typeof ServerGroupIndexMessage>;

export interface Placement {
  readonly instanceId: string;
  readonly hostId: string;
}

export interface ServerGroupView {
  readonly id: string;
  readonly name: string;
  readonly policy: GroupPolicyName;
  readonly rules: GroupRules;
  readonly projectId: string;
  readonly userId: string;
  /** Instance ids, in admission order (Nova's `members`). */
  readonly members: readonly string[];
  /** Where each member was admitted. */
  readonly placements: readonly Placement[];
  readonly createdAt: number;
}

export interface GroupHint {
  readonly policy: GroupPolicyName;
  readonly rules: GroupRules;
  /** Distinct hosts of the members, sorted. */
  readonly hosts: readonly string[];
  /** Members per host, for weighers that count (soft-anti-affinity spreads the fewest first). */
  readonly hostMembers: readonly { readonly hostId: string; readonly members: number }[];
}

export interface ServerGroupSummary {
  readonly id: string;
  readonly name: string;
  readonly policy: GroupPolicyName;
  readonly userId: string;
  readonly createdAt: number;
}

/** admit and leave answer an empty object. */
export type Empty = Readonly<Record<string, never>>;
export interface ServerGroupDeleted {
  readonly id: string;
}
export type ServerGroupReply = ServerGroupView | ServerGroupDeleted | GroupHint | Empty;

export interface ServerGroupList {
  readonly projectId: string;
  readonly serverGroups: readonly ServerGroupSummary[];
}
export type ServerGroupIndexReply = ServerGroupSummary | ServerGroupList | { readonly id: string; readonly removed: boolean };
