// A fabric node: the bridge between the network and the actor runtime. It takes ownership of
// mailbox shards (a new epoch each, written to the store and published as a retained lease),
// serves their topics through an Endpoint, and hands each envelope to the actor it addresses.
// It lets a shard go when another node publishes a newer lease for it or the store fences a
// write; drain() stops taking requests and waits for those in flight, for a clean shutdown.
import type { Clock } from '../transports/clock.js';
import type { Delivery, Endpoint } from '../transports/endpoint.js';
import type { Envelope } from '../transports/envelope.js';
import { BadRequest, Internal, defineError, toErrorValue, type ErrorValue, type Result } from '../transports/errors.js';
import { ROOT, SHARDS, topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';
import { StoreFenced } from './store-errors.js';
import type { ActorStore } from './store.js';
import type { ActorSystem } from './system.js';

export const BadAddress = defineError('BAD_ADDRESS', 400);
export const Draining = defineError('DRAINING', 503, true);

export interface FabricNodeOptions {
  readonly nodeId: string;
  readonly system: ActorSystem;
  readonly endpoint: Endpoint;
  /** Publishes and watches the retained leases (JSON, so any client can read who owns a shard). */
  readonly transport: Transport;
  readonly store: ActorStore;
  readonly clock: Clock;
  /** The shards this node owns (default: all of them, a single-node fabric). */
  readonly shards?: readonly number[];
  /**
   * Resolves an envelope's token into the caller put on the message as `caller` (identity plugs
   * in here); no caller is `null`. An error value refuses the request. Without it, every message
   * from the network carries `caller: null`.
   */
  readonly authenticate?: (token: string | null) => Promise<Result<unknown>>;
  /** Told when the node lets a shard go to a newer owner. */
  readonly onShardLost?: (shard: number, by: ShardLease | 'fenced') => void;
}

/** The retained lease of a shard, on topics.lease(shard). */
export interface ShardLease {
  readonly shard: number;
  readonly owner: string;
  readonly epoch: number;
  readonly since: number;
}

interface Owned {
  readonly lease: ShardLease;
  readonly unserve: () => Promise<void>;
}

export class FabricNode {
  private readonly owned = new Map<number, Owned>();
  /** Requests handed to the runtime whose answer has not left yet. */
  private inFlight = 0;
  /** Set while drain() waits for inFlight to reach 0. */
  private idle: (() => void) | undefined;
  /** Per sender incarnation: the last message whose token check must finish before the next goes on. */
  private readonly authOrder = new Map<string, Promise<void>>();
  private draining = false;

  private constructor(private readonly options: FabricNodeOptions) {}

  static async start(options: FabricNodeOptions): Promise<FabricNode> {
    const node = new FabricNode(options);
    await options.transport.subscribe(`${ROOT}/lease/+`, (_topic, payload) => node.heardLease(payload));
    await node.takeShards(options.shards ?? Array.from({ length: SHARDS }, (_, i) => i));
    return node;
  }

  /** Requests being handled now. */
  get pending(): number {
    return this.inFlight;
  }

  /**
   * The epoch this node writes shard `shard` under: its lease's, or 0 when it does not own the
   * shard, so the store refuses the write. Give it to the ActorSystem as its `shardEpoch`: the
   * store's current epoch would let a node that lost a shard keep writing.
   */
  epochOf(shard: number): number {
    return this.owned.get(shard)?.lease.epoch ?? 0;
  }

  /** The leases this node holds now. */
  get leases(): ShardLease[] {
    return [...this.owned.values()].map((o) => o.lease);
  }

  private async takeShards(shards: readonly number[]): Promise<void> {
    const { store, endpoint, transport, nodeId, clock } = this.options;
    // Epochs are taken before serving: from here on a former owner's writes are refused. All
    // shards at once, so the store groups the epoch writes into a few commits.
    const epochs = await Promise.all(shards.map((shard) => store.acquireShard(shard, nodeId)));
    const since = clock.now();
    await Promise.all(
      shards.map(async (shard, i) => {
        const lease: ShardLease = { shard, owner: nodeId, epoch: epochs[i]!, since };
        const unserve = await endpoint.serve(topics.mailbox(shard), (d) => this.handle(d, shard));
        this.owned.set(shard, { lease, unserve });
        await transport.publish(topics.lease(shard), Buffer.from(JSON.stringify(lease)), { qos: 1, retain: true });
      }),
    );
  }

  private heardLease(payload: Uint8Array): void {
    let lease: unknown;
    try {
      lease = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return; // not ours to judge: only nodes may publish leases (broker ACL)
    }
    if (!isLease(lease)) return;
    const mine = this.owned.get(lease.shard);
    if (mine !== undefined && lease.owner !== this.options.nodeId && lease.epoch > mine.lease.epoch) this.release(lease.shard, lease);
  }

  private release(shard: number, by: ShardLease | 'fenced'): void {
    const mine = this.owned.get(shard);
    if (mine === undefined) return;
    this.owned.delete(shard);
    void mine.unserve();
    this.options.onShardLost?.(shard, by);
  }

  private handle(d: Delivery, shard: number): void {
    if (this.draining) {
      void d.fail(Draining('the node is shutting down; send again to the next owner'));
      return;
    }
    // One continuation per request, and a count rather than a set of promises: the hot path
    // allocates no promise beyond the ask's own and this one.
    this.inFlight++;
    void this.dispatch(d).then(
      (result) => this.answer(d, shard, result),
      (e: unknown) => this.answer(d, shard, { ok: false, error: Internal(`delivery failed: ${toErrorValue(e).message}`) }),
    );
  }

  /** Sends a request's answer in the turn its result comes in, and counts it done. */
  private answer(d: Delivery, shard: number, result: Result<unknown>): void {
    if (!result.ok && StoreFenced.is(result.error)) this.release(shard, 'fenced');
    // Sent now, in this turn; the request counts as in flight until its reply has left (drain()).
    // The endpoint's answers never reject.
    void (result.ok ? d.reply(result.value) : d.fail(result.error)).then(this.answered);
  }

  private readonly answered = (): void => {
    if (--this.inFlight > 0 || this.idle === undefined) return;
    const idle = this.idle;
    this.idle = undefined;
    idle();
  };

  private dispatch(d: Delivery): Promise<Result<unknown>> {
    const { envelope } = d;
    const slash = envelope.to.indexOf('/');
    const kind = envelope.to.slice(0, slash);
    const id = envelope.to.slice(slash + 1);
    if (slash <= 0 || id.length === 0 || id.includes('/')) return failed(BadAddress(`'to' must be kind/id, got ${JSON.stringify(envelope.to).slice(0, 140)}`));
    const body = envelope.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array) {
      return failed(BadRequest('a request body must be an object (or null)', { field: 'body' }));
    }
    const authenticate = this.options.authenticate;
    if (authenticate === undefined) return this.deliver(kind, id, envelope, body, null);
    const authenticated = authenticate(envelope.token);
    if (envelope.seq === 0) return authenticated.then((who) => (who.ok ? this.deliver(kind, id, envelope, body, who.value) : who));
    // Token checks take different times (a cache hit, an ask): hand messages of one sender to the
    // runtime in the order they came, or an actor would see a later seq first and refuse the
    // earlier one as already applied.
    const inc = envelope.inc;
    const previous = this.authOrder.get(inc);
    const turn = previous === undefined ? authenticated : previous.then(() => authenticated);
    const forget = (): void => {
      if (this.authOrder.get(inc) === tail) this.authOrder.delete(inc);
    };
    const tail: Promise<void> = turn.then(forget, forget);
    this.authOrder.set(inc, tail);
    return turn.then((who) => (who.ok ? this.deliver(kind, id, envelope, body, who.value) : who));
  }

  /**
   * Hands a request to its actor. A client never chooses its own caller: whatever it sent under
   * that name is replaced, and a request without a token carries `caller: null`, so no actor can
   * take a message from the network for one sent inside the fabric (those may carry no caller).
   */
  private deliver(kind: string, id: string, envelope: Envelope, body: object, caller: unknown): Promise<Result<unknown>> {
    // A copy (a fast clone of a plain object) whose type and caller are then set over the body's.
    const msg = Object.assign({}, body) as Record<string, unknown>;
    msg.type = envelope.type;
    msg.caller = caller ?? null;
    // seq 0 marks an unsequenced (foreign) sender: nothing to de-duplicate by.
    const options: { deadline?: number; inc?: string; seq?: number } = {};
    if (envelope.deadline !== null) options.deadline = envelope.deadline;
    if (envelope.seq > 0) {
      options.inc = envelope.inc;
      options.seq = envelope.seq;
    }
    return this.options.system.deliver(kind, id, msg, options);
  }

  /** Stops serving (new requests get DRAINING) and waits for every request in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    const owned = [...this.owned.values()];
    this.owned.clear();
    await Promise.all(owned.map((o) => o.unserve()));
    await this.options.transport.unsubscribe(`${ROOT}/lease/+`);
  }
}

function isLease(x: unknown): x is ShardLease {
  if (typeof x !== 'object' || x === null) return false;
  const l = x as Record<string, unknown>;
  return Number.isInteger(l.shard) && typeof l.owner === 'string' && Number.isInteger(l.epoch) && typeof l.since === 'number';
}

function failed(error: ErrorValue): Promise<Result<unknown>> {
  return Promise.resolve({ ok: false, error });
}
