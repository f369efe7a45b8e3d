// The actor runtime's public face: systems, typed refs, supervisors, virtual actor kinds, the
// inspection stream and its adapters, and the runtime's error codes. Nothing else in
// supervision/ is meant to be imported from outside it.
export { createActorSystem, ActorSystem, DEFAULT_RESTART } from './system.js';
export type { ActorSystemOptions, DeliverOptions } from './system.js';
export { defineActor, defineKind } from './types.js';
export { Refusal, refuse } from './refusal.js';
export type {
  ActorContext,
  ActorDefinition,
  ActorRef,
  AskOptions,
  BackoffPolicy,
  BaseContext,
  GrainContext,
  KindDefinition,
  Message,
  MessageTypes,
  ReminderOptions,
  RestartPolicy,
  Strategy,
  SupervisorRef,
  SupervisorSpec,
  TimerOptions,
} from './types.js';
export type { InspectionEvent, InspectionListener, InspectionType } from './inspection.js';
export type { EscalatedEvent } from './supervisor.js';
export { logInspection } from './inspection-log.js';
export { attachMetrics } from './inspection-metrics.js';
export type { MetricsSource } from './inspection-metrics.js';
export { backoffDelay, seededRandom } from './backoff.js';
export {
  ActorBadName,
  ActorNameTaken,
  ActorStopped,
  AlreadyApplied,
  BadMessage,
  Escalated,
  KindTaken,
  NoStore,
  SystemStopped,
  UnknownKind,
} from './errors.js';
export type { ActorStore, DedupMarks, EntryChanges, PersistOptions, Reminder, StoredRecord } from './store.js';
export { MemoryStore, createMemoryStore } from './memory-store.js';
export { LmdbStore, openLmdbStore } from './lmdb-store.js';
export type { LmdbStoreOptions } from './lmdb-store.js';
export { StoreBadInput, StoreClosed, StoreConflict, StoreFenced, StoreIo } from './store-errors.js';
