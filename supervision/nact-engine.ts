// nact 7 as the local mailbox engine, behind a narrow typed face. nact queues each actor's
// messages and runs them one at a time (a setImmediate turn per message) and calls the crash
// callback with the mailbox held; everything else (names, request/reply, restart budgets,
// backoff, passivation) is ours. Virtual-actor activations drain their own queues instead
// (grain-mailbox.ts: many messages a turn). Only this file and nact-baseline.ts import nact.
import { createRequire } from 'node:module';
import { Nobody, spawn, start, stop as stopRef } from 'nact';
import type { Ref, SupervisionContext } from 'nact';
import type { Envelope } from './envelope.js';

/** The part of nact's concrete actor we drive directly (nact 7.6 lib/actor.js). */
export interface NactMailbox {
  /** Queues a message; nact asserts the actor is not stopped. */
  dispatch(message: Envelope, sender: unknown): void;
  /** Leaves the parent, drops anything still queued; idempotent in effect. */
  stop(): void;
  readonly stopped: boolean;
}

/** Whoever processes a mailbox's messages: nact keeps it as the actor's "state". */
export interface MailboxOwner {
  /** Must return the owner itself (nact stores the result as the next state), or a promise of it. */
  receive(env: Envelope): MailboxOwner | Promise<MailboxOwner>;
}

interface SystemMap {
  find(systemName: string, reference: unknown): unknown;
}
interface NactReference {
  readonly system: { readonly name: string };
}

// nact's public `dispatch(ref, msg)` walks the actor path from the system root on every call and
// allocates a Nobody sender; we resolve the concrete actor once at spawn through nact's own
// registry and dispatch on it with one shared sender.
const systemMap = createRequire(import.meta.url)('nact/lib/system-map.js') as SystemMap;
const NOBODY: unknown = new Nobody();

/** One function for every actor: the owner rides in nact's state slot, so no closure per actor. */
const run = (owner: MailboxOwner, env: Envelope): MailboxOwner | Promise<MailboxOwner> => owner.receive(env);

/**
 * nact's crash callback: nact keeps the actor busy (its mailbox held) until this resolves, which
 * is how messages wait out a restart backoff. Our supervisor decides; nact always resumes, and a
 * stopped cell drains what is left (answering ACTOR_STOPPED) before its mailbox is stopped.
 */
const onCrash = async (env: Envelope | undefined, error: unknown, ctx: SupervisionContext<Envelope, Ref<unknown>>): Promise<symbol> => {
  const target = env?.target;
  if (target === undefined) return ctx.stop as symbol;
  const resume = await target.crashed(env, error);
  return (resume ? ctx.resume : ctx.stop) as symbol;
};

const NACT_NAME = /^[a-z0-9-_.+!*'(),]+$/i;

/** nact names allow fewer characters than our segments; escape the rest as `$hh`. */
export function nactName(name: string): string {
  if (NACT_NAME.test(name)) return name;
  return name.replace(/[^a-z0-9\-_.+!*'(),]/gi, (c) => `$${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class NactEngine {
  private readonly root: Ref<never>;
  private readonly systemName: string;
  private stopped = false;

  constructor() {
    this.root = start();
    this.systemName = (this.root as unknown as NactReference).system.name;
  }

  /** Spawns a nact actor under `parent` (or the nact system root) and returns its mailbox. */
  spawn(parent: NactMailbox | undefined, name: string, owner: MailboxOwner): NactMailbox {
    const parentRef = parent === undefined ? this.root : (parent as unknown as { reference: Ref<unknown> }).reference;
    const ref = spawn(parentRef, run, nactName(name), { initialState: owner, onCrash });
    const actor = systemMap.find(this.systemName, ref) as NactMailbox | undefined;
    if (actor === undefined || typeof actor.dispatch !== 'function') throw new Error('nact: spawned actor not found in its system');
    return actor;
  }

  post(mailbox: NactMailbox, env: Envelope): void {
    mailbox.dispatch(env, NOBODY);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    stopRef(this.root);
  }
}
