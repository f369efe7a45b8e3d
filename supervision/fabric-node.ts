// A fabric node: the bridge between the network and the actor runtime. It takes ownership of
// mailbox shards (a new epoch each, written to the store and published as a retained lease),
// serves their topics through an Endpoint, and hands each envelope to the actor it addresses.
// drain() stops taking new requests and waits for those in flight, for a clean shutdown.
import type { Clock } from '../transports/clock.js';
import type { Delivery, Endpoint } from '../transports/endpoint.js';
import { BadRequest, defineError, type ErrorValue, type Result } from '../transports/errors.js';
import { SHARDS, topics } from '../transports/topics.js';
import type { Transport } from '../transports/transport.js';
import type { ActorStore } from './store.js';
import type { ActorSystem } from './system.js';

export const BadAddress = defineError('BAD_ADDRESS', 400);
export const Draining = defineError('DRAINING', 503, true);

export interface FabricNodeOptions {
  readonly nodeId: string;
  readonly system: ActorSystem;
  readonly endpoint: Endpoint;
  /** Publishes the retained leases (JSON, so any client can read who owns a shard). */
  readonly transport: Transport;
  readonly store: ActorStore;
  readonly clock: Clock;
  /** The shards this node owns (default: all of them, a single-node fabric). */
  readonly shards?: readonly number[];
}

/** The retained lease of a shard, on topics.lease(shard). */
export interface ShardLease {
  readonly shard: number;
  readonly owner: string;
  readonly epoch: number;
  readonly since: number;
}

export class FabricNode {
  private readonly unserve: (() => Promise<void>)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private draining = false;
  readonly leases: ShardLease[] = [];

  private constructor(private readonly options: FabricNodeOptions) {}

  static async start(options: FabricNodeOptions): Promise<FabricNode> {
    const node = new FabricNode(options);
    await node.takeShards(options.shards ?? Array.from({ length: SHARDS }, (_, i) => i));
    return node;
  }

  /** Requests being handled now. */
  get pending(): number {
    return this.inFlight.size;
  }

  private async takeShards(shards: readonly number[]): Promise<void> {
    const { store, endpoint, transport, nodeId, clock } = this.options;
    // Epochs are taken before serving: from here on a former owner's writes are refused. All
    // shards at once, so the store groups the epoch writes into a few commits.
    const epochs = await Promise.all(shards.map((shard) => store.acquireShard(shard, nodeId)));
    const since = clock.now();
    shards.forEach((shard, i) => this.leases.push({ shard, owner: nodeId, epoch: epochs[i]!, since }));
    this.unserve.push(...(await Promise.all(shards.map((shard) => endpoint.serve(topics.mailbox(shard), (d) => this.handle(d))))));
    await Promise.all(
      this.leases.map((lease) => transport.publish(topics.lease(lease.shard), Buffer.from(JSON.stringify(lease)), { qos: 1, retain: true })),
    );
  }

  private handle(d: Delivery): void {
    if (this.draining) {
      void d.fail(Draining('the node is shutting down; send again to the next owner'));
      return;
    }
    const work = this.dispatch(d).then((result) => (result.ok ? d.reply(result.value) : d.fail(result.error)));
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

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
    const msg = { ...(body as Record<string, unknown>), type: envelope.type };
    return this.options.system.deliver(kind, id, msg, {
      ...(envelope.deadline === null ? {} : { deadline: envelope.deadline }),
      // seq 0 marks an unsequenced (foreign) sender: nothing to de-duplicate by.
      ...(envelope.seq > 0 ? { inc: envelope.inc, seq: envelope.seq } : {}),
    });
  }

  /** Stops serving (new requests get DRAINING) and waits for every request in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.unserve.splice(0).map((u) => u()));
  }
}

function failed(error: ErrorValue): Promise<Result<unknown>> {
  return Promise.resolve({ ok: false, error });
}
