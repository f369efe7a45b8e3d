// A stand-in for `instance/<id>` in the host tests: it records the spawn outcomes hosts tell it,
// and lets a test await the next one.
import { defineKind, type ActorSystem, type KindDefinition } from '../../supervision/index.js';
import type { SpawnOutcomeMessage } from '../../hosts/compute/index.js';

export type Outcome = { readonly type: 'spawned'; readonly hostId: string } | { readonly type: 'spawnFailed'; readonly hostId: string; readonly reason: string };

export interface OutcomeLog {
  /** Outcomes per instance id, in arrival order. */
  readonly seen: Map<string, Outcome[]>;
  /** Resolves with the next outcome told to `instanceId` (or one already seen and not yet taken). */
  next(instanceId: string): Promise<Outcome>;
}

export function registerOutcomeKind(system: ActorSystem): OutcomeLog {
  const seen = new Map<string, Outcome[]>();
  const taken = new Map<string, number>();
  const waiting = new Map<string, (o: Outcome) => void>();
  const kind: KindDefinition<null, SpawnOutcomeMessage, null> = defineKind<null, SpawnOutcomeMessage, null>({
    name: 'instance',
    messageTypes: { spawned: true, spawnFailed: true },
    initialState: null,
    handle(ctx, msg) {
      const outcome: Outcome = msg.type === 'spawned' ? { type: msg.type, hostId: msg.hostId } : { type: msg.type, hostId: msg.hostId, reason: msg.reason };
      seen.set(ctx.id, [...(seen.get(ctx.id) ?? []), outcome]);
      const wake = waiting.get(ctx.id);
      if (wake !== undefined) {
        waiting.delete(ctx.id);
        taken.set(ctx.id, (taken.get(ctx.id) ?? 0) + 1);
        wake(outcome);
      }
      return null;
    },
  });
  const registered = system.register(kind);
  if (!registered.ok) throw new Error(registered.error.message);
  return {
    seen,
    next(instanceId) {
      const index = taken.get(instanceId) ?? 0;
      const ready = seen.get(instanceId)?.[index];
      if (ready !== undefined) {
        taken.set(instanceId, index + 1);
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.set(instanceId, resolve));
    },
  };
}
