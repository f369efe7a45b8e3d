// Messages of `quota/<projectId>`, as TypeBox schemas: the one source of their validation and
// types. Resource names are open (later services add volumes, gigabytes, ...), so limits and
// deltas are records keyed by camelCase names; a limit of -1 means unlimited, as in Nova.
import { Type, type Static } from '@sinclair/typebox';

/** camelCase, so no key can collide with Object.prototype's `__proto__`. */
export const ResourceName = Type.String({ pattern: '^[a-z][A-Za-z0-9]{0,63}$' });

/** An allocation's key: the instance (or volume, ...) id that holds it. */
export const AllocationId = Type.String({ pattern: '^(?!__proto__$)[A-Za-z0-9._:@-]{1,128}$' });

const Amount = Type.Integer({ minimum: 0, maximum: 2 ** 40 });
const Limit = Type.Integer({ minimum: -1, maximum: 2 ** 40 });

export const Deltas = Type.Record(ResourceName, Amount, { additionalProperties: false, maxProperties: 32 });
export type Deltas = Static<typeof Deltas>;

const Caller = Type.Optional(Type.Unknown());

export const QuotaMessage = Type.Union([
  Type.Object({ type: Type.Literal('reserve'), caller: Caller, allocationId: AllocationId, deltas: Deltas }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('commit'), caller: Caller, allocationId: AllocationId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('release'), caller: Caller, allocationId: AllocationId }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('show'), caller: Caller }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('setLimits'),
      caller: Caller,
      /** New limits by resource; null puts a resource back on its default. */
      limits: Type.Record(ResourceName, Type.Union([Limit, Type.Null()]), { additionalProperties: false, maxProperties: 32 }),
      /** Accept limits below current usage (Nova's `force`). */
      force: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
]);
export type QuotaMessage = Static<typeof QuotaMessage>;

export type AllocationState = 'reserved' | 'committed';

/** What reserve and commit answer. */
export interface AllocationView {
  readonly allocationId: string;
  readonly state: AllocationState;
  readonly deltas: Readonly<Record<string, number>>;
}

/** What release answers: `released` is false when there was nothing to release. */
export interface ReleaseView {
  readonly allocationId: string;
  readonly released: boolean;
}

/** What show and setLimits answer: every resource with a limit, a default or some usage. */
export interface QuotaView {
  readonly projectId: string;
  /** Effective limits (-1 unlimited). */
  readonly limits: Readonly<Record<string, number>>;
  /** Held by committed allocations. */
  readonly inUse: Readonly<Record<string, number>>;
  /** Held by allocations reserved and not yet committed. */
  readonly reserved: Readonly<Record<string, number>>;
}

export type QuotaReply = AllocationView | ReleaseView | QuotaView;
