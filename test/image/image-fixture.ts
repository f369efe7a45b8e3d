// The image tests' set-up: an actor system on a memory store and a virtual clock, the image
// service in a temporary data dir with a 2-thread pool, callers of two projects, and helpers
// for bodies and downloads.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import assert from 'node:assert/strict';
import type { ResourceEvent } from '../../actors/events.js';
import type { Caller, Role } from '../../actors/identity/caller.js';
import { registerImages, type ImageQuotaLimits, type ImageService, type ImageView } from '../../actors/image/index.js';
import { createActorSystem, createMemoryStore, type ActorStore, type ActorSystem } from '../../supervision/index.js';
import { settle, VirtualClock } from '../../transports/clock.js';
import { WorkerPool } from '../../workers/index.js';

export function caller(projectId: string | null, role: Role): Caller {
  const userId = `${role}-of-${projectId}`;
  return { userId, userName: userId, domainId: 'default', projectId, roles: [role], expiresAt: Number.MAX_SAFE_INTEGER };
}

export const alice = caller('project-a', 'member');
export const aliceReader = caller('project-a', 'reader');
export const bob = caller('project-b', 'member');
export const carol = caller('project-c', 'member');
export const admin = caller('admin', 'admin');

export interface Fixture {
  readonly system: ActorSystem;
  readonly service: ImageService;
  readonly pool: WorkerPool;
  readonly dataDir: string;
  readonly clock: VirtualClock;
  readonly store: ActorStore;
  readonly events: ResourceEvent[];
}

export interface SetupOptions {
  readonly store?: ActorStore;
  readonly dataDir?: string;
  readonly pool?: WorkerPool;
  readonly limits?: ImageQuotaLimits;
  readonly maxImageBytes?: number;
}

type Context = { after: (fn: () => Promise<void> | void) => void };

export function tempDataDir(t: Context): string {
  const dir = mkdtempSync(join(tmpdir(), 'cumulo-images-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function setup(t: Context, options: SetupOptions = {}): Fixture {
  const clock = new VirtualClock(1_000_000);
  const store = options.store ?? createMemoryStore();
  const system = createActorSystem({ store, clock, seed: 7 });
  t.after(() => system.stop());
  const dataDir = options.dataDir ?? tempDataDir(t);
  let pool = options.pool;
  if (pool === undefined) {
    const own = new WorkerPool({ threads: 2 });
    t.after(() => own.close());
    pool = own;
  }
  const events: ResourceEvent[] = [];
  const registered = registerImages(system, {
    dataDir,
    pool,
    events: { publish: (e) => events.push(e) },
    ...(options.limits === undefined ? {} : { defaultLimits: options.limits }),
    ...(options.maxImageBytes === undefined ? {} : { maxImageBytes: options.maxImageBytes }),
  });
  assert.ok(registered.ok);
  return { system, service: registered.value, pool, dataDir, clock, store, events };
}

/** A body of these chunks, as an HTTP request would stream them. */
export async function* bodyOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** A body that sends these chunks, then fails (the client went away). */
export async function* failingBody(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
  throw new Error('connection reset by peer');
}

export async function readAll(stream: Readable | null): Promise<Buffer> {
  if (stream === null) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Creates a raw (or given format) image owned by the caller's project and uploads data into it. */
export async function uploaded(f: Fixture, who: Caller, data: Buffer, fields: Record<string, unknown> = {}): Promise<ImageView> {
  const created = await f.service.create(who, { name: 'test', diskFormat: 'raw', containerFormat: 'bare', ...fields });
  assert.ok(created.ok, JSON.stringify(created));
  const done = await f.service.upload({ caller: who, imageId: created.value.id, body: bodyOf(data) });
  assert.ok(done.ok, JSON.stringify(done));
  return done.value;
}

export function code(r: { ok: boolean; error?: { code: string } }): string {
  return r.ok ? 'ok' : r.error!.code;
}

/** Lets messages flow (event-loop turns, no timers) until the check holds; fails after many turns. */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let turn = 0; turn < 200; turn++) {
    if (await check()) return;
    await settle();
  }
  assert.fail('the condition never held');
}
