// Messages of a compute host actor (`host/<id>`), as TypeBox schemas: the one source of their
// validation and types. The compute issue adds claims, bids and the hypervisor driver.
import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' });

export const Inventory = Type.Object(
  {
    zone: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
    vcpus: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    ramMb: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    diskGb: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;

export const HostMessage = Type.Union([
  Type.Object({ type: Type.Literal('register'), inventory: Inventory }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('heartbeat'), agent: Type.Optional(Id) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('describe') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('enable') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('disable'), reason: Type.Optional(Type.String({ maxLength: 255 })) }, { additionalProperties: false }),
]);
export type HostMessage = Static<typeof HostMessage>;

/** What `describe` (and every change) answers. */
export interface HostView {
  readonly id: string;
  readonly registered: boolean;
  readonly inventory: Inventory | null;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly heartbeats: number;
  readonly lastHeartbeatAt: number | null;
}
