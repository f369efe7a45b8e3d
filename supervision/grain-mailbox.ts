// The mailbox of one virtual-actor activation: a queue drained in a loop, many messages per
// event-loop turn. nact runs one message per setImmediate turn, which caps a hot actor (the
// scheduler, a project's quota) at one message per turn of a busy loop; here a message that a
// synchronous handler finished is followed at once by the next, an asynchronous one continues
// on its promise, and the loop yields a turn after a budget of messages so I/O and other
// actors are not starved. Crashes go to the envelope's target, as nact's onCrash does.
import type { Envelope } from './envelope.js';
import type { MailboxOwner, NactMailbox } from './nact-engine.js';

/** Messages one mailbox runs before it yields an event-loop turn. */
const TURN_BUDGET = 64;

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export class GrainMailbox implements NactMailbox {
  stopped = false;
  private queue: Envelope[] = [];
  private head = 0;
  /** A drain is scheduled or running (the owner is busy). */
  private running = false;
  private budget = TURN_BUDGET;
  private readonly turn = (): void => {
    this.budget = TURN_BUDGET;
    this.drain();
  };
  private readonly next = (): void => this.drain();

  constructor(private readonly owner: MailboxOwner) {}

  /** Queues a message; the first one waits a turn, so an ask is never answered synchronously. */
  dispatch(message: Envelope): void {
    if (this.stopped) throw new Error('dispatch to a stopped mailbox');
    this.queue.push(message);
    if (this.running) return;
    this.running = true;
    setImmediate(this.turn);
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.head = 0;
  }

  private drain(): void {
    while (!this.stopped && this.head < this.queue.length) {
      if (this.budget-- <= 0) {
        setImmediate(this.turn);
        return;
      }
      const env = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Envelope;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      let result: unknown;
      try {
        result = this.owner.receive(env);
      } catch (caught) {
        this.crash(env, caught);
        return;
      }
      if (isPromise(result)) {
        result.then(this.next, (caught: unknown) => this.crash(env, caught));
        return;
      }
    }
    this.running = false;
  }

  /** The target decides (restart after backoff, or stop); the mailbox is held until it has. */
  private crash(env: Envelope, error: unknown): void {
    const target = env.target;
    if (target === undefined) {
      this.stop();
      return;
    }
    target.crashed(env, error).then(
      (resume) => {
        if (resume) this.drain();
        else this.stop();
      },
      () => this.stop(),
    );
  }
}
