// Messages of the flavor catalog (`flavors/catalog`), as TypeBox schemas: the one source of
// their validation and types. Field rules follow Nova's API schemas (os-flavor-manage,
// os-flavor-access, os-flavor-extra-specs), with camelCase names.
import { Type, type Static } from '@sinclair/typebox';

const Caller = Type.Optional(Type.Unknown());

/** Nova: letters, digits, `. _-` and spaces, not at either end. */
export const FlavorId = Type.String({ pattern: '^(?! )(?!__proto__$)[A-Za-z0-9. _-]{1,255}(?<! )$' });
/** Printable, no leading or trailing white space. */
export const FlavorName = Type.String({ pattern: '^(?!\\s)[^\\x00-\\x1f\\x7f]{1,255}(?<!\\s)$' });
export const ProjectId = Type.String({ pattern: '^[A-Za-z0-9._:@-]{1,128}$' });

/** Nova's extra spec key charset and length (`__proto__` is refused: specs are a plain record). */
export const ExtraSpecKey = Type.String({ pattern: '^(?!__proto__$)[A-Za-z0-9\\-_:. ]{1,255}$' });
export const ExtraSpecs = Type.Record(ExtraSpecKey, Type.String({ maxLength: 255 }), { additionalProperties: false, maxProperties: 128 });
export type ExtraSpecs = Static<typeof ExtraSpecs>;

const MAX_INT = 2_147_483_647;

export const FlavorMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('create'),
      caller: Caller,
      /** A UUID is chosen when omitted. */
      id: Type.Optional(FlavorId),
      name: FlavorName,
      vcpus: Type.Integer({ minimum: 1, maximum: MAX_INT }),
      ramMb: Type.Integer({ minimum: 1, maximum: MAX_INT }),
      diskGb: Type.Integer({ minimum: 0, maximum: MAX_INT }),
      ephemeralGb: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT })),
      swapMb: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_INT })),
      isPublic: Type.Optional(Type.Boolean()),
      description: Type.Optional(Type.String({ maxLength: 65535 })),
      extraSpecs: Type.Optional(ExtraSpecs),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('get'), caller: Caller, idOrName: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('list'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('delete'), caller: Caller, id: FlavorId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('setExtraSpecs'), caller: Caller, id: FlavorId, extraSpecs: ExtraSpecs }, { additionalProperties: false }),
  Type.Object(
    { type: Type.Literal('unsetExtraSpecs'), caller: Caller, id: FlavorId, keys: Type.Array(ExtraSpecKey, { minItems: 1, maxItems: 128 }) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('addAccess'), caller: Caller, id: FlavorId, projectId: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('removeAccess'), caller: Caller, id: FlavorId, projectId: ProjectId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('listAccess'), caller: Caller, id: FlavorId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('ensureDefaults'), caller: Caller }, { additionalProperties: false }),
]);
export type FlavorMessage = Static<typeof FlavorMessage>;

/** A flavor as every reply shows it (Nova's flavor with extra specs, 2.61). */
export interface FlavorView {
  readonly id: string;
  readonly name: string;
  readonly vcpus: number;
  readonly ramMb: number;
  readonly diskGb: number;
  readonly ephemeralGb: number;
  readonly swapMb: number;
  readonly isPublic: boolean;
  readonly description: string | null;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

export interface FlavorList {
  readonly flavors: readonly FlavorView[];
}
export interface FlavorDeleted {
  readonly id: string;
}
export interface FlavorExtraSpecsView {
  readonly id: string;
  readonly extraSpecs: Readonly<Record<string, string>>;
}
export interface FlavorAccessView {
  readonly id: string;
  /** Projects that may see and use the private flavor, sorted. */
  readonly projects: readonly string[];
}
export interface DefaultsEnsured {
  /** Ids of the defaults created by this call (empty when they were already ensured). */
  readonly created: readonly string[];
}

export type FlavorReply = FlavorView | FlavorList | FlavorDeleted | FlavorExtraSpecsView | FlavorAccessView | DefaultsEnsured;
