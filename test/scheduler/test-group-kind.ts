// A minimal `server-group` kind for the scheduler's tests, following the contract placeInstance
// relies on: `admit {caller, instanceId, hostId}` answers ok or refuses GROUP_POLICY when a hard
// policy forbids the host (checked atomically against the members' hosts), `leave {caller,
// instanceId}` forgets a member. The real group actor lives in actors/compute.
import { defineKind, refuse, type KindDefinition } from '../../supervision/index.js';
import type { ErrorValue } from '../../transports/errors.js';
import type { GroupPolicy } from '../../actors/scheduler/index.js';

export interface TestGroupState {
  readonly members: Readonly<Record<string, string>>;
}

type TestGroupMessage =
  | { type: 'admit'; caller?: unknown; instanceId: string; hostId: string }
  | { type: 'leave'; caller?: unknown; instanceId: string }
  | { type: 'members'; caller?: unknown };

/** Not declared with defineError: the real code belongs to the compute service's errors.ts. */
function groupPolicy(message: string): ErrorValue {
  return { code: 'GROUP_POLICY', message, status: 409, retryable: false };
}

/** Groups' policies by id (default anti-affinity). */
export function createTestGroupKind(policies: ReadonlyMap<string, GroupPolicy>): KindDefinition<TestGroupState, TestGroupMessage, unknown> {
  return defineKind<TestGroupState, TestGroupMessage, unknown>({
    name: 'server-group',
    messageTypes: { admit: true, leave: true, members: true },
    initialState: { members: {} },
    async handle(ctx, msg) {
      const policy = policies.get(ctx.id) ?? 'anti-affinity';
      const members = ctx.state.members;
      switch (msg.type) {
        case 'admit': {
          const others = Object.entries(members).filter(([id]) => id !== msg.instanceId);
          if (policy === 'affinity' && others.some(([, host]) => host !== msg.hostId)) return refuse(groupPolicy(`affinity: members run on ${others[0]![1]}`));
          if (policy === 'anti-affinity' && others.some(([, host]) => host === msg.hostId)) return refuse(groupPolicy(`anti-affinity: a member runs on ${msg.hostId}`));
          await ctx.persist({ members: { ...members, [msg.instanceId]: msg.hostId } });
          return { admitted: true };
        }
        case 'leave': {
          const { [msg.instanceId]: _gone, ...rest } = members;
          await ctx.persist({ members: rest });
          return { left: true };
        }
        case 'members':
          return members;
        default: {
          const never: never = msg;
          return never;
        }
      }
    },
  });
}
