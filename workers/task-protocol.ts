// How tasks answer across the thread boundary: every task resolves to a reply value, ok or a
// coded error, so nothing a task does wrong travels as a thrown object (Piscina would flatten
// it to a message). Thrown errors inside a task become replies at this boundary.
import { failureValue, type WorkerErrorValue } from './errors.js';

export type TaskReply<T> = { readonly type: 'ok'; readonly value: T } | { readonly type: 'error'; readonly error: WorkerErrorValue };

/** Wraps a task body: its value or what it threw becomes a TaskReply. */
export function task<I, O>(body: (input: I) => O | Promise<O>): (input: I) => Promise<TaskReply<O>> {
  return async (input) => {
    try {
      return { type: 'ok', value: await body(input) };
    } catch (caught) {
      return { type: 'error', error: failureValue(caught) };
    }
  };
}

/** Messages of a followed file (hashFile with a port): the writer says how far the file is complete. */
export type FollowMessage =
  | { readonly type: 'grow'; readonly length: number }
  | { readonly type: 'end'; readonly length: number }
  | { readonly type: 'abort' };
