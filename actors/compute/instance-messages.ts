// Messages of a server actor (`instance/<uuid>`), as TypeBox schemas: the single source of their
// validation and types, after Nova's v2.1 server API (create, show, delete, the stop/start/reboot
// actions, update of the name, server metadata), plus the workflow's own messages.
import { Type, type Static } from '@sinclair/typebox';

/** Filled in by the fabric node from the token; in-process callers pass it themselves. */
const CallerField = Type.Optional(Type.Unknown());

const Id = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._:@-]+$' });

/** Nova: 1-255 characters, no leading or trailing whitespace. */
export const ServerName = Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' });

/** Nova's metadata: at most 128 items, keys of [a-zA-Z0-9-_:. ] up to 255, values up to 255. */
export const MAX_METADATA_ITEMS = 128;
const MetadataKey = Type.String({ pattern: '^(?!__proto__$)[a-zA-Z0-9_:. -]{1,255}$' });
export const Metadata = Type.Record(MetadataKey, Type.String({ maxLength: 255 }), { additionalProperties: false, maxProperties: MAX_METADATA_ITEMS });
export type Metadata = Static<typeof Metadata>;

const Create = Type.Object(
  {
    type: Type.Literal('create'),
    caller: CallerField,
    name: ServerName,
    flavorId: Id,
    imageId: Type.Optional(Id),
    keyName: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9 _-]+$' })),
    groupId: Type.Optional(Id),
    /** The availability zone the server must boot in. */
    zone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const Plain = <T extends string>(type: T) => Type.Object({ type: Type.Literal(type), caller: CallerField }, { additionalProperties: false });

export const InstanceMessage = Type.Union([
  Create,
  Plain('show'),
  Plain('delete'),
  Plain('stop'),
  Plain('start'),
  Type.Object({ type: Type.Literal('reboot'), caller: CallerField, hard: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('rename'), caller: CallerField, name: ServerName }, { additionalProperties: false }),
  /** Merges into the metadata, or replaces all of it (Nova's PUT) when `replace` is true. */
  Type.Object({ type: Type.Literal('setMetadata'), caller: CallerField, metadata: Metadata, replace: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('deleteMetadata'), caller: CallerField, keys: Type.Array(MetadataKey, { minItems: 1, maxItems: MAX_METADATA_ITEMS }) },
    { additionalProperties: false },
  ),
  // The workflow's own messages: the actor to itself (and its reminder), and the host's answers
  // to `spawn`. Only the fabric may send them (no caller, or the system caller).
  Plain('resume'),
  Type.Object({ type: Type.Literal('spawned'), caller: CallerField, hostId: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('spawnFailed'), caller: CallerField, hostId: Id, reason: Type.String({ maxLength: 4096 }) }, { additionalProperties: false }),
]);
export type InstanceMessage = Static<typeof InstanceMessage>;

export type CreateMessage = Static<typeof Create>;

/** The messages a client may send (the rest are the workflow's). */
export const CLIENT_MESSAGES = ['create', 'show', 'delete', 'stop', 'start', 'reboot', 'rename', 'setMetadata', 'deleteMetadata'] as const;
