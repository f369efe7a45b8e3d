// A task module for the pool tests: tasks that fail each way a task can (a throw inside the
// reply boundary, a raw throw, an exit, an uncaught error), and one that reports its thread.
import { threadId } from 'node:worker_threads';
import { task } from '../../workers/index.js';

export const throws = task<{ readonly message: string }, never>((input) => {
  throw new Error(input.message);
});

export function rawThrow(): never {
  throw new Error('thrown past the reply boundary');
}

export function exits(): Promise<never> {
  process.exit(3);
}

/** Throws outside the task's promise: the thread dies of an uncaught error. */
export function uncaught(): Promise<never> {
  setImmediate(() => {
    throw new Error('uncaught in the worker');
  });
  return new Promise(() => undefined);
}

export const whoAmI = task<Record<string, never>, number>(() => threadId);

/** Says it started, then holds its thread until the port says go (so tests can pin threads). */
export const hold = task<{ readonly port: import('node:worker_threads').MessagePort }, number>(
  (input) =>
    new Promise((resolve) => {
      input.port.postMessage('started');
      input.port.once('message', () => {
        input.port.close();
        resolve(threadId);
      });
    }),
);
