// Where actors publish what happened (a server went ACTIVE, a volume was attached). The sink is
// given to each service's kinds when they are built; actors publish only after the change is
// persisted. In the fabric it publishes to topics.event(project, kind, id) through the endpoint.

export interface ResourceEvent {
  /** e.g. 'instance.status', 'instance.deleted'. */
  readonly type: string;
  readonly projectId: string;
  /** The resource kind and id, as in its actor address. */
  readonly kind: string;
  readonly id: string;
  /** Clock time of the change. */
  readonly at: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface EventSink {
  /** Fire and forget: a lost event never fails the change that caused it. */
  publish(event: ResourceEvent): void;
}

/** Drops everything; for kinds used where nobody listens. */
export const noEvents: EventSink = { publish: () => undefined };
