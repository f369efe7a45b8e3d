// Waiting for a resource's status without polling: one subscription per project to its
// `instance` events (made once, kept for the client's life), waiters keyed by server id, and a
// read of the current status made after the subscription is live, so no change can slip between.
import type { Clock, Timer } from '../transports/clock.js';
import type { Endpoint, EventDelivery } from '../transports/endpoint.js';
import { FabricError, Timeout } from '../transports/errors.js';
import { ROOT } from '../transports/topics.js';

/** What an `instance.status` event tells a waiter. */
export interface StatusChange {
  readonly status: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** A waiter's verdict on a status: keep waiting, done, or give up with this error. */
export type Verdict = 'wait' | 'done' | FabricError;

export interface WaitSpec<V> {
  readonly id: string;
  /** The caller's own project (its events are heard before the first read). */
  readonly projectId: string;
  /** Reads the resource now: its status and its project (an admin may wait on another's). */
  read(): Promise<{ readonly status: string; readonly projectId: string; readonly value: V; readonly body?: Readonly<Record<string, unknown>> }>;
  judge(status: string, body: Readonly<Record<string, unknown>>): Verdict;
  readonly timeoutMs: number;
  /** For the timeout's message. */
  readonly what: string;
}

const STATUS_EVENT = 'instance.status';

export class InstanceWatch {
  /** Per project: its subscription, once asked for. */
  private readonly projects = new Map<string, Promise<void>>();
  private readonly unlisteners = new Set<() => Promise<void>>();
  private closed = false;
  private readonly waiters = new Map<string, Set<(change: StatusChange) => void>>();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly clock: Clock,
  ) {}

  /**
   * Resolves with the value read once the status is judged done (re-read after the event, so
   * the answer is the resource as it is then); rejects with the judge's error or TIMEOUT.
   */
  async until<V>(spec: WaitSpec<V>): Promise<V> {
    const heard: StatusChange[] = [];
    let wake: (() => void) | undefined;
    const waiter = (change: StatusChange): void => {
      heard.push(change);
      wake?.();
    };
    const set = this.waiters.get(spec.id) ?? new Set();
    set.add(waiter);
    this.waiters.set(spec.id, set);
    // Every step (subscribing, reading, waiting) races the deadline: none may outlast it.
    let timer: Timer | undefined;
    let last = 'unknown';
    const expired = new Promise<never>((_, reject) => {
      timer = this.clock.setTimer(spec.timeoutMs, () => reject(new FabricError(Timeout(`${spec.what} did not happen within ${spec.timeoutMs} ms`, { id: spec.id, status: last }))));
    });
    expired.catch(() => undefined); // observed by the races below; never unhandled
    const within = <T>(step: Promise<T>): Promise<T> => Promise.race([step, expired]);
    // The clock's timers do not keep a process alive, and an in-process fabric holds no socket:
    // a program whose last act is awaiting a server would exit mid-wait without this handle.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    try {
      await within(this.hear(spec.projectId));
      let now = await within(spec.read());
      if (now.projectId !== spec.projectId) {
        // An admin waiting on another project's server: hear that project too, then read again.
        await within(this.hear(now.projectId));
        now = await within(spec.read());
      }
      last = now.status;
      let verdict = spec.judge(now.status, now.body ?? {});
      while (verdict === 'wait') {
        const change = heard.shift();
        if (change === undefined) {
          await within(new Promise<void>((resolve) => (wake = resolve)));
          wake = undefined;
          continue;
        }
        last = change.status;
        verdict = spec.judge(change.status, change.body);
        if (verdict === 'done') return (await within(spec.read())).value;
      }
      if (verdict === 'done') return now.value;
      throw verdict;
    } finally {
      clearInterval(keepAlive);
      timer?.cancel();
      set.delete(waiter);
      if (set.size === 0) this.waiters.delete(spec.id);
    }
  }

  /** Stops hearing events (the client is closing); a subscription still pending is undone when it lands. */
  async close(): Promise<void> {
    this.closed = true;
    const live = [...this.unlisteners];
    this.unlisteners.clear();
    this.projects.clear();
    for (const unlisten of live) await unlisten();
  }

  private hear(projectId: string): Promise<void> {
    let listening = this.projects.get(projectId);
    if (listening === undefined) {
      listening = this.endpoint.listen(`${ROOT}/events/${projectId}/instance/+`, (d) => this.deliver(d)).then((unlisten) => {
        if (this.closed) void unlisten(); // nobody waits any more; its result changes nothing
        else this.unlisteners.add(unlisten);
      });
      this.projects.set(projectId, listening);
      // A refused subscription (MQTT ACL: another project's events) is not kept, so it is tried again.
      void listening.catch(() => this.projects.delete(projectId));
    }
    return listening;
  }

  private deliver(d: EventDelivery): void {
    if (d.envelope.type !== STATUS_EVENT) return;
    const body = (d.envelope.body ?? {}) as Record<string, unknown>;
    const id = typeof body.id === 'string' ? body.id : d.topic.slice(d.topic.lastIndexOf('/') + 1);
    const waiters = this.waiters.get(id);
    if (waiters === undefined || typeof body.status !== 'string') return;
    for (const w of waiters) w({ status: body.status, body });
  }
}
