// The anchors of bench/inproc.ts and bench/actors.ts: the same work done with nact's own API
// (spawn, dispatch, query), so that a benchmark's ratio compares our runtime with the engine it
// runs on, in the same process. Lives here because only supervision/ may import nact.
import { dispatch, query, spawn, start, stop } from 'nact';
import type { Ref } from 'nact';

type Ping = { readonly n: number; readonly sender: Ref<number> };
type Run = { readonly count: number; readonly sender: Ref<number> };

const QUERY_TIMEOUT_MS = 60_000;

/**
 * `pairs` actor pairs: A_i, on `run`, queries B_i `count` times one after the other (each query
 * awaits B_i's reply to a temporary reference) and then answers the sum. run() drives all pairs
 * at once and resolves when every A_i has answered.
 */
export function nactAskPairs(pairs: number): { run(count: number): Promise<number>; stop(): void } {
  const system = start();
  const as: Ref<Run>[] = [];
  for (let i = 0; i < pairs; i++) {
    const b = spawn(system, (state: number, msg: Ping) => {
      dispatch(msg.sender, msg.n + 1);
      return state;
    }, `b-${i}`, { initialState: 0 });
    as.push(
      spawn(system, async (state: number, msg: Run) => {
        let sum = 0;
        for (let n = 0; n < msg.count; n++) sum += await query(b, (sender: Ref<number>) => ({ n, sender }), QUERY_TIMEOUT_MS);
        dispatch(msg.sender, sum);
        return state;
      }, `a-${i}`, { initialState: 0 }),
    );
  }
  return {
    async run(count: number): Promise<number> {
      const sums = await Promise.all(as.map((a) => query(a, (sender: Ref<number>) => ({ count, sender }), QUERY_TIMEOUT_MS)));
      return sums.reduce((x, y) => x + y, 0);
    },
    stop: () => stop(system),
  };
}

/**
 * Brings actors up from stored state with nact: activate(id, state) spawns a nact actor holding
 * the state and queries it once, resolving with the reply (the whole step a reactivation does).
 */
export function nactActivator(): { activate(id: string, state: unknown): Promise<unknown>; stop(): void } {
  const system = start();
  const parent = spawn(system, (state: number) => state, 'kind', { initialState: 0 });
  const reply = (state: unknown, msg: { sender: Ref<unknown> }) => {
    dispatch(msg.sender, state);
    return state;
  };
  return {
    activate: (id: string, state: unknown): Promise<unknown> => {
      const actor = spawn(parent, reply, id, { initialState: state });
      return query(actor, (sender: Ref<unknown>) => ({ sender }), QUERY_TIMEOUT_MS);
    },
    stop: () => stop(system),
  };
}
