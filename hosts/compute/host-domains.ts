// The host-local domain of each VM (an entry `d:<instance>`) and the hypervisor driver calls
// behind it. `spawn` persists the domain as spawning and, once that is durable, starts the driver
// outside the mailbox: the driver's outcome comes back as the host's own `spawnDone`, which
// persists the end state and then tells the instance `spawned` or `spawnFailed`. A host activated with a domain still spawning that the activation
// does not boot (the node crashed, or the actor was passivated or restarted) boots it again
// under a new attempt number, so no boot is left hanging and a stale outcome is ignored.
import { SYSTEM_CALLER } from '../../actors/identity/caller.js';
import { refuse, type Refusal } from '../../supervision/index.js';
import { Conflict, Unavailable } from '../../transports/errors.js';
import { DomainNotFound } from './errors.js';
import type { Boot, HostContext, HostDeps } from './host-context.js';
import type { Domain, DomainImage, DomainView, HostMessage, SpawnOutcomeMessage } from './host-messages.js';
import { claimOf, domainKey, domainOf, domainsOf } from './host-state.js';
import type { PowerAction } from './hypervisor.js';

type Msg<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;

function domainView(ctx: HostContext, instanceId: string, domain: Domain | undefined): DomainView {
  return { hostId: ctx.id, instanceId, domain: domain ?? null };
}

function tellOutcome(ctx: HostContext, replyTo: string, outcome: SpawnOutcomeMessage): void {
  const slash = replyTo.indexOf('/');
  ctx.ref(replyTo.slice(0, slash), replyTo.slice(slash + 1)).tell(outcome);
}

function spawned(ctx: HostContext): SpawnOutcomeMessage {
  return { type: 'spawned', caller: SYSTEM_CALLER, hostId: ctx.id };
}

function spawnFailed(ctx: HostContext, reason: string): SpawnOutcomeMessage {
  return { type: 'spawnFailed', caller: SYSTEM_CALLER, hostId: ctx.id, reason };
}

function boots(ctx: HostContext, deps: HostDeps): Map<string, Boot> {
  let booting = deps.booting.get(ctx);
  if (booting === undefined) {
    booting = new Map();
    deps.booting.set(ctx, booting);
  }
  return booting;
}

/** A boot of this very attempt of the domain is under way, or starts once its write is durable. */
function isBooting(ctx: HostContext, deps: HostDeps, instanceId: string, domain: Domain): boolean {
  return deps.booting.get(ctx)?.get(instanceId)?.attempt === domain.attempt;
}

/** Does nothing: a failed write crashes the actor, which the runtime handles. */
function ignore(): void {}

/**
 * Starts the driver's boot once `written` (the write of the spawning domain) is durable, so no VM
 * runs that a crash would forget; its outcome arrives later as this host's own `spawnDone`. The
 * boot is known at once, so a repeated spawn meanwhile does not start another.
 */
function startBoot(ctx: HostContext, deps: HostDeps, instanceId: string, domain: Domain, written: Promise<void>): void {
  const booting = boots(ctx, deps);
  const boot: Boot = { attempt: domain.attempt, started: false };
  booting.set(instanceId, boot);
  const resources = claimOf(ctx.entries, instanceId)?.resources ?? { vcpus: 0, ramMb: 0, diskGb: 0 };
  const self = ctx.self;
  const done = (ok: boolean, reason: string | undefined): void => {
    if (booting.get(instanceId) === boot) booting.delete(instanceId);
    self.tell({ type: 'spawnDone', caller: SYSTEM_CALLER, instanceId, attempt: domain.attempt, ok, ...(reason === undefined ? {} : { reason }) });
  };
  const spec = domain.image === undefined ? { hostId: ctx.id, instanceId, resources } : { hostId: ctx.id, instanceId, resources, image: domain.image };
  const run = (): void => {
    // Superseded while its write was pending (the actor restarted and booted it again).
    if (booting.get(instanceId) !== boot) return;
    boot.started = true;
    // Runs beside the mailbox (a boot may take minutes); every outcome, even a driver that
    // throws, comes back as a message, so nothing is left floating.
    void deps.driver.spawn(spec, { clock: ctx.clock }).then(
      (outcome) => done(outcome.ok, outcome.ok ? undefined : outcome.reason),
      (caught: unknown) => done(false, `driver ${deps.driver.name} threw: ${String(caught)}`),
    );
  };
  // A failed write crashes the actor: the boot never starts, and the reactivation finds the
  // domain's stored state and boots it again if it is spawning.
  void written.then(run, () => {
    if (booting.get(instanceId) === boot) booting.delete(instanceId);
  });
}

/**
 * A new boot of a domain: the attempt number goes up (persisted before the boot starts), so the
 * outcome of an earlier boot of it, if one still arrives, is recognised as stale and ignored.
 */
function rebooted(ctx: HostContext, current: Domain | undefined, replyTo: string, image: DomainImage | undefined): Domain {
  const domain: Domain = { state: 'spawning', replyTo, attempt: (current?.attempt ?? 0) + 1, since: ctx.clock.now(), reason: null };
  const kept = image ?? current?.image;
  return kept === undefined ? domain : { ...domain, image: kept };
}

/** Writes the domain of an instance (the record is unchanged: domains are entries). */
function putDomain(ctx: HostContext, instanceId: string, domain: Domain): Promise<void> {
  return ctx.persist(ctx.state, { put: [[domainKey(instanceId), domain]] });
}

export function spawn(ctx: HostContext, deps: HostDeps, msg: Msg<'spawn'>): DomainView | Refusal {
  const state = ctx.state;
  if (!state.registered) return refuse(Conflict(`host ${ctx.id} is not registered`));
  if (claimOf(ctx.entries, msg.instanceId) === undefined) return refuse(Conflict(`instance ${msg.instanceId} has no claim on host ${ctx.id}`, { hostId: ctx.id }));
  const current = domainOf(ctx.entries, msg.instanceId);
  if (state.failed) {
    // A dead host builds nothing: the instance hears it at once and reschedules.
    tellOutcome(ctx, msg.replyTo, spawnFailed(ctx, `host ${ctx.id} is down`));
    return domainView(ctx, msg.instanceId, current);
  }
  if (current?.state === 'running' || current?.state === 'shutoff') {
    tellOutcome(ctx, msg.replyTo, spawned(ctx));
    return domainView(ctx, msg.instanceId, current);
  }
  if (current?.state === 'spawning' && isBooting(ctx, deps, msg.instanceId, current)) {
    // Already booting: the outcome will be told, to the latest replyTo.
    if (current.replyTo === msg.replyTo) return domainView(ctx, msg.instanceId, current);
    const domain = { ...current, replyTo: msg.replyTo };
    void putDomain(ctx, msg.instanceId, domain); // the reply waits for it
    return domainView(ctx, msg.instanceId, domain);
  }
  // New, failed before, or spawning with its boot lost (a crash): boot (again).
  const domain = rebooted(ctx, current, msg.replyTo, msg.image);
  startBoot(ctx, deps, msg.instanceId, domain, putDomain(ctx, msg.instanceId, domain));
  return domainView(ctx, msg.instanceId, domain);
}

export function spawnDone(ctx: HostContext, msg: Msg<'spawnDone'>): DomainView {
  const state = ctx.state;
  const current = domainOf(ctx.entries, msg.instanceId);
  // Destroyed meanwhile, or an older boot's late outcome: nothing to do.
  if (current === undefined || current.state !== 'spawning' || current.attempt !== msg.attempt) return domainView(ctx, msg.instanceId, current);
  const ok = msg.ok && !state.failed;
  const reason = state.failed ? `host ${ctx.id} went down during the build` : (msg.reason ?? 'the hypervisor failed the boot');
  const domain: Domain = { ...current, state: ok ? 'running' : 'error', since: ctx.clock.now(), reason: ok ? null : reason };
  // The instance hears the outcome once it is durable (a failed write crashes the actor, whose
  // reactivation boots the still-spawning domain again).
  const outcome = ok ? spawned(ctx) : spawnFailed(ctx, reason);
  void putDomain(ctx, msg.instanceId, domain).then(() => tellOutcome(ctx, current.replyTo, outcome), ignore);
  return domainView(ctx, msg.instanceId, domain);
}

export async function destroy(ctx: HostContext, deps: HostDeps, msg: Msg<'destroy'>): Promise<DomainView | Refusal> {
  if (domainOf(ctx.entries, msg.instanceId) === undefined) return domainView(ctx, msg.instanceId, undefined);
  const outcome = await deps.driver.destroy(ctx.id, msg.instanceId, { clock: ctx.clock });
  if (!outcome.ok) return refuse(Unavailable(`destroy of ${msg.instanceId} failed: ${outcome.reason}`, { hostId: ctx.id }));
  void ctx.persist(ctx.state, { remove: [domainKey(msg.instanceId)] }); // the reply waits for it
  return domainView(ctx, msg.instanceId, undefined);
}

/** Domain state after a power action, or undefined when the action is not allowed from `from`. */
function powered(from: Domain['state'], action: PowerAction): Domain['state'] | undefined {
  if (from !== 'running' && from !== 'shutoff') return undefined;
  switch (action) {
    case 'stop':
      return 'shutoff';
    case 'start':
      return 'running';
    case 'reboot-soft':
      return from === 'running' ? 'running' : undefined;
    case 'reboot-hard':
      return 'running';
    default: {
      const never: never = action;
      throw new Error(`unknown power action ${String(never)}`);
    }
  }
}

export async function power(ctx: HostContext, deps: HostDeps, msg: Msg<'power'>): Promise<DomainView | Refusal> {
  const current = domainOf(ctx.entries, msg.instanceId);
  if (current === undefined) return refuse(DomainNotFound(`no domain of instance ${msg.instanceId} on host ${ctx.id}`, { hostId: ctx.id }));
  const next = powered(current.state, msg.action);
  if (next === undefined) return refuse(Conflict(`cannot ${msg.action} a domain that is ${current.state}`, { hostId: ctx.id, state: current.state }));
  const outcome = await deps.driver.power(ctx.id, msg.instanceId, msg.action, { clock: ctx.clock });
  if (!outcome.ok) return refuse(Unavailable(`${msg.action} of ${msg.instanceId} failed: ${outcome.reason}`, { hostId: ctx.id }));
  const domain: Domain = { ...current, state: next, since: ctx.clock.now() };
  void putDomain(ctx, msg.instanceId, domain); // the reply waits for it
  return domainView(ctx, msg.instanceId, domain);
}

/** On activation: domains stored as spawning whose boot this actor does not run are booted again. */
export function resumeBoots(ctx: HostContext, deps: HostDeps): void {
  if (ctx.state.failed) return;
  const booting = deps.booting.get(ctx);
  const lost: Array<[string, Domain]> = [];
  for (const [id, domain] of Object.entries(domainsOf(ctx.entries))) {
    if (domain.state !== 'spawning') continue;
    const boot = booting?.get(id);
    if (boot?.started !== true || boot.attempt !== domain.attempt) lost.push([id, rebooted(ctx, domain, domain.replyTo, undefined)]);
  }
  if (lost.length === 0) return;
  const written = ctx.persist(ctx.state, { put: lost.map(([id, domain]) => [domainKey(id), domain]) });
  for (const [id, domain] of lost) startBoot(ctx, deps, id, domain, written);
}
