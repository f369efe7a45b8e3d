// TypeBox schemas of the Keystone v3 requests (api-ref identity v3): the one source of the
// routes' validation, their types and their OpenAPI entries. Keystone lets unknown attributes
// through in some bodies; cumulo refuses what it cannot keep, so nothing is silently dropped.
import { Type, type Static } from '@sinclair/typebox';
import { PagingQuery } from '../paging.js';

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
const Ref = Type.Object({ id: Type.Optional(Text(255)), name: Type.Optional(Text(255)) });

export const AuthBody = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Text(64), { minItems: 1, maxItems: 4 }),
      password: Type.Optional(Type.Object({ user: Type.Object({ id: Type.Optional(Text(255)), name: Type.Optional(Text(255)), password: Type.String({ maxLength: 4096 }), domain: Type.Optional(Ref) }) })),
      token: Type.Optional(Type.Object({ id: Text(4096) })),
    }),
    scope: Type.Optional(
      Type.Union([
        Type.Literal('unscoped'),
        Type.Object({ project: Type.Object({ id: Type.Optional(Text(255)), name: Type.Optional(Text(255)), domain: Type.Optional(Ref) }) }),
        Type.Object({ domain: Ref }),
        Type.Object({ system: Type.Object({ all: Type.Optional(Type.Boolean()) }) }),
      ]),
    ),
  }),
});
export type AuthBody = Static<typeof AuthBody>;

export const TokenQuery = Type.Object({ nocatalog: Type.Optional(Type.String({ maxLength: 16 })), allow_expired: Type.Optional(Type.String({ maxLength: 16 })) });
export type TokenQuery = Static<typeof TokenQuery>;

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) });
export type IdParams = Static<typeof IdParams>;

export const ListQuery = Type.Object({
  name: Type.Optional(Text(255)),
  domain_id: Type.Optional(Text(255)),
  enabled: Type.Optional(Type.Boolean()),
  ...PagingQuery,
});
export type ListQuery = Static<typeof ListQuery>;

const strict = { additionalProperties: false } as const;
const DomainId = Type.Optional(Text(255));

export const ProjectCreate = Type.Object(
  {
    project: Type.Object(
      {
        name: Text(255),
        description: Type.Optional(Type.String({ maxLength: 1024 })),
        enabled: Type.Optional(Type.Boolean()),
        domain_id: DomainId,
        parent_id: Type.Optional(Type.Union([Text(255), Type.Null()])),
        is_domain: Type.Optional(Type.Literal(false)),
        tags: Type.Optional(Type.Array(Type.String(), { maxItems: 0 })),
        options: Type.Optional(Type.Object({}, strict)),
      },
      strict,
    ),
  },
  strict,
);
export type ProjectCreate = Static<typeof ProjectCreate>;

export const ProjectUpdate = Type.Object(
  { project: Type.Object({ description: Type.Optional(Type.String({ maxLength: 1024 })), enabled: Type.Optional(Type.Boolean()), name: Type.Optional(Text(255)) }, strict) },
  strict,
);
export type ProjectUpdate = Static<typeof ProjectUpdate>;

export const UserCreate = Type.Object(
  {
    user: Type.Object(
      {
        name: Text(255),
        password: Type.Optional(Type.String({ maxLength: 4096 })),
        default_project_id: Type.Optional(Text(255)),
        enabled: Type.Optional(Type.Boolean()),
        domain_id: DomainId,
        options: Type.Optional(Type.Object({}, strict)),
      },
      strict,
    ),
  },
  strict,
);
export type UserCreate = Static<typeof UserCreate>;

export const UserUpdate = Type.Object(
  {
    user: Type.Object(
      {
        password: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        enabled: Type.Optional(Type.Boolean()),
        default_project_id: Type.Optional(Type.Union([Text(255), Type.Null()])),
        name: Type.Optional(Text(255)),
      },
      strict,
    ),
  },
  strict,
);
export type UserUpdate = Static<typeof UserUpdate>;

export const PasswordChange = Type.Object(
  { user: Type.Object({ password: Type.String({ minLength: 1, maxLength: 4096 }), original_password: Type.String({ minLength: 1, maxLength: 4096 }) }, strict) },
  strict,
);
export type PasswordChange = Static<typeof PasswordChange>;

export const GrantParams = Type.Object({ target: Text(255), userId: Text(255), roleId: Text(255) });
export type GrantParams = Static<typeof GrantParams>;
export const TargetUserParams = Type.Object({ target: Text(255), userId: Text(255) });
export type TargetUserParams = Static<typeof TargetUserParams>;

export const AssignmentQuery = Type.Object({
  'user.id': Type.Optional(Text(255)),
  'scope.project.id': Type.Optional(Text(255)),
  'scope.domain.id': Type.Optional(Text(255)),
  'role.id': Type.Optional(Text(255)),
  effective: Type.Optional(Type.String({ maxLength: 16 })),
  include_names: Type.Optional(Type.String({ maxLength: 16 })),
  include_subtree: Type.Optional(Type.String({ maxLength: 16 })),
  ...PagingQuery,
});
export type AssignmentQuery = Static<typeof AssignmentQuery>;
