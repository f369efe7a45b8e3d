// TypeBox schemas of the Nova v2.1 requests (after nova/api/openstack/compute/schemas): the one
// source of the compute routes' validation, types and OpenAPI entries. Bodies refuse unknown
// properties (Nova's additionalProperties: False); what cumulo cannot keep is refused by name.
import { Type, type Static } from '@sinclair/typebox';
import { PagingQuery } from '../paging.js';

const strict = { additionalProperties: false } as const;
const Name = Type.String({ minLength: 1, maxLength: 255 });
/** Nova takes counts as integers or digit strings. */
const Count = Type.Union([Type.Integer({ minimum: 0, maximum: 2_147_483_647 }), Type.String({ pattern: '^[0-9]{1,10}$' })]);
const PositiveCount = Type.Union([Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), Type.String({ pattern: '^0*[1-9][0-9]{0,9}$' })]);
const Metadata = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), { maxProperties: 128 });
const Flag = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false'), Type.Literal('True'), Type.Literal('False')]);

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export type IdParams = Static<typeof IdParams>;
export const KeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }), key: Type.String({ minLength: 1, maxLength: 255 }) });
export type KeyParams = Static<typeof KeyParams>;

const Network = Type.Object({
  uuid: Type.Optional(Type.String({ maxLength: 255 })),
  port: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  fixed_ip: Type.Optional(Type.String({ maxLength: 64 })),
  tag: Type.Optional(Type.String({ maxLength: 60 })),
}, strict);

export const ServerCreate = Type.Object(
  {
    server: Type.Object(
      {
        name: Name,
        imageRef: Type.Optional(Type.String({ maxLength: 2048 })),
        flavorRef: Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Integer({ minimum: 0 })]),
        key_name: Type.Optional(Name),
        availability_zone: Type.Optional(Name),
        metadata: Type.Optional(Metadata),
        networks: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('none'), Type.Array(Network, { maxItems: 64 })])),
        min_count: Type.Optional(PositiveCount),
        max_count: Type.Optional(PositiveCount),
        return_reservation_id: Type.Optional(Flag),
        security_groups: Type.Optional(Type.Array(Type.Object({ name: Name }, strict), { maxItems: 64 })),
        config_drive: Type.Optional(Type.Union([Flag, Type.Literal('')])),
        adminPass: Type.Optional(Type.String({ maxLength: 255 })),
        'OS-DCF:diskConfig': Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
        user_data: Type.Optional(Type.String({ maxLength: 65535 })),
        accessIPv4: Type.Optional(Type.String({ maxLength: 64 })),
        accessIPv6: Type.Optional(Type.String({ maxLength: 64 })),
        block_device_mapping_v2: Type.Optional(Type.Array(Type.Object({}), { maxItems: 64 })),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
      },
      strict,
    ),
    'os:scheduler_hints': Type.Optional(Type.Object({ group: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, strict)),
    'OS-SCH-HNT:scheduler_hints': Type.Optional(Type.Object({ group: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }, strict)),
  },
  strict,
);
export type ServerCreate = Static<typeof ServerCreate>;

export const ServerUpdate = Type.Object(
  {
    server: Type.Object(
      {
        name: Type.Optional(Name),
        description: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
        accessIPv4: Type.Optional(Type.String({ maxLength: 64 })),
        accessIPv6: Type.Optional(Type.String({ maxLength: 64 })),
        'OS-DCF:diskConfig': Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
      },
      strict,
    ),
  },
  strict,
);
export type ServerUpdate = Static<typeof ServerUpdate>;

/** One action per body (POST /servers/{id}/action); other actions are refused by name. */
export const ServerAction = Type.Union([
  Type.Object({ 'os-start': Type.Null() }, strict),
  Type.Object({ 'os-stop': Type.Null() }, strict),
  Type.Object({ reboot: Type.Object({ type: Type.Union([Type.Literal('SOFT'), Type.Literal('HARD'), Type.Literal('soft'), Type.Literal('hard')]) }, strict) }, strict),
]);
export type ServerAction = Static<typeof ServerAction>;

const ServerStatus = Type.String({ maxLength: 32 });
export const ServerListQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 255 })),
  status: Type.Optional(ServerStatus),
  all_tenants: Type.Optional(Type.String({ maxLength: 16 })),
  project_id: Type.Optional(Type.String({ maxLength: 255 })),
  tenant_id: Type.Optional(Type.String({ maxLength: 255 })),
  flavor: Type.Optional(Type.String({ maxLength: 255 })),
  image: Type.Optional(Type.String({ maxLength: 255 })),
  host: Type.Optional(Type.String({ maxLength: 255 })),
  deleted: Type.Optional(Type.String({ maxLength: 16 })),
  ...PagingQuery,
});
export type ServerListQuery = Static<typeof ServerListQuery>;

export const MetadataBody = Type.Object({ metadata: Metadata }, strict);
export type MetadataBody = Static<typeof MetadataBody>;
export const MetaItemBody = Type.Object({ meta: Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), { minProperties: 1, maxProperties: 1 }) }, strict);
export type MetaItemBody = Static<typeof MetaItemBody>;

export const FlavorCreate = Type.Object(
  {
    flavor: Type.Object(
      {
        name: Name,
        id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()])),
        ram: PositiveCount,
        vcpus: PositiveCount,
        disk: Count,
        'OS-FLV-EXT-DATA:ephemeral': Type.Optional(Count),
        swap: Type.Optional(Type.Union([Count, Type.Literal('')])),
        rxtx_factor: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: '^[0-9.]{1,16}$' })])),
        'os-flavor-access:is_public': Type.Optional(Flag),
      },
      strict,
    ),
  },
  strict,
);
export type FlavorCreate = Static<typeof FlavorCreate>;

export const FlavorListQuery = Type.Object({
  is_public: Type.Optional(Type.String({ maxLength: 16 })),
  minRam: Type.Optional(Type.Integer({ minimum: 0 })),
  minDisk: Type.Optional(Type.Integer({ minimum: 0 })),
  ...PagingQuery,
});
export type FlavorListQuery = Static<typeof FlavorListQuery>;

export const ExtraSpecsBody = Type.Object({ extra_specs: Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), { maxProperties: 128 }) }, strict);
export type ExtraSpecsBody = Static<typeof ExtraSpecsBody>;
export const ExtraSpecItem = Type.Record(Type.String({ minLength: 1, maxLength: 255 }), Type.String({ maxLength: 255 }), { minProperties: 1, maxProperties: 1 });
export type ExtraSpecItem = Static<typeof ExtraSpecItem>;

export const FlavorAction = Type.Union([
  Type.Object({ addTenantAccess: Type.Object({ tenant: Name }, strict) }, strict),
  Type.Object({ removeTenantAccess: Type.Object({ tenant: Name }, strict) }, strict),
]);
export type FlavorAction = Static<typeof FlavorAction>;

export const KeypairCreate = Type.Object(
  {
    keypair: Type.Object(
      {
        name: Name,
        public_key: Type.Optional(Type.String({ minLength: 1, maxLength: 16384 })),
        type: Type.Optional(Type.Union([Type.Literal('ssh'), Type.Literal('x509')])),
        user_id: Type.Optional(Name),
      },
      strict,
    ),
  },
  strict,
);
export type KeypairCreate = Static<typeof KeypairCreate>;

export const KeypairQuery = Type.Object({ user_id: Type.Optional(Name), ...PagingQuery });
export type KeypairQuery = Static<typeof KeypairQuery>;

const Policy = Type.Union([Type.Literal('affinity'), Type.Literal('anti-affinity'), Type.Literal('soft-affinity'), Type.Literal('soft-anti-affinity')]);
export const ServerGroupCreate = Type.Object(
  { server_group: Type.Object({ name: Name, policies: Type.Array(Policy, { minItems: 1, maxItems: 1 }) }, strict) },
  strict,
);
export type ServerGroupCreate = Static<typeof ServerGroupCreate>;

export const ServerGroupQuery = Type.Object({
  all_projects: Type.Optional(Type.String({ maxLength: 16 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  ...PagingQuery,
});
export type ServerGroupQuery = Static<typeof ServerGroupQuery>;

export const ProjectParams = Type.Object({ project: Type.String({ minLength: 1, maxLength: 255 }) });
export type ProjectParams = Static<typeof ProjectParams>;
export const QuotaQuery = Type.Object({ user_id: Type.Optional(Name) });
export type QuotaQuery = Static<typeof QuotaQuery>;

/** Nova's quota_set keys cumulo enforces (the rest are shown as fixed limits). */
export const QuotaUpdate = Type.Object(
  {
    quota_set: Type.Object(
      {
        instances: Type.Optional(Type.Integer({ minimum: -1 })),
        cores: Type.Optional(Type.Integer({ minimum: -1 })),
        ram: Type.Optional(Type.Integer({ minimum: -1 })),
        force: Type.Optional(Flag),
      },
      strict,
    ),
  },
  strict,
);
export type QuotaUpdate = Static<typeof QuotaUpdate>;

export const ServiceBody = Type.Object({ host: Name, binary: Name, disabled_reason: Type.Optional(Type.String({ maxLength: 255 })) }, strict);
export type ServiceBody = Static<typeof ServiceBody>;
export const ServiceParams = Type.Object({ action: Type.Union([Type.Literal('enable'), Type.Literal('disable'), Type.Literal('disable-log-reason')]) });
export type ServiceParams = Static<typeof ServiceParams>;

export const ServiceQuery = Type.Object({ host: Type.Optional(Name), binary: Type.Optional(Name), ...PagingQuery });
export type ServiceQuery = Static<typeof ServiceQuery>;
export const HypervisorQuery = Type.Object({ ...PagingQuery });
export type HypervisorQuery = Static<typeof HypervisorQuery>;
export const LimitsQuery = Type.Object({ tenant_id: Type.Optional(Name) });
export type LimitsQuery = Static<typeof LimitsQuery>;
