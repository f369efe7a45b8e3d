// Messages of `scheduler/<id>` (one, `scheduler/default`, per fabric), as TypeBox schemas: the
// one source of their validation and types. Hosts tell `report`; the call for bids asks
// `candidates`; admins and the compute API ask `zones` and `hosts`.
import { Type, type Static } from '@sinclair/typebox';
import type { HostSummary, ZoneSummary } from './capacity-summary.js';
import { HostReport, PlacementRequest, type Weighers } from './placement.js';

const Caller = Type.Optional(Type.Unknown());

export const SchedulerMessage = Type.Union([
  Type.Object({ type: Type.Literal('report'), caller: Caller, host: HostReport }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('candidates'),
      caller: Caller,
      request: PlacementRequest,
      /** How many hosts to pre-select (default: the scheduler's, 5). */
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('zones'), caller: Caller }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('hosts'), caller: Caller }, { additionalProperties: false }),
]);
export type SchedulerMessage = Static<typeof SchedulerMessage>;

/** What `candidates` answers: hosts best first, and the weighers their bids must use. */
export interface CandidatesView {
  readonly hosts: readonly string[];
  readonly weighers: Weighers;
}

/** What `report` answers (hosts tell it; an ask gets whether the report was newer than the last). */
export interface ReportView {
  readonly accepted: boolean;
}

export interface ZonesView {
  readonly zones: readonly ZoneSummary[];
}

export interface HostsView {
  readonly hosts: readonly HostSummary[];
}

export type SchedulerReply = CandidatesView | ReportView | ZonesView | HostsView;
