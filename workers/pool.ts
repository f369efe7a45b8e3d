// The process's worker pool (Piscina): CPU-heavy image work (hashing, probing, conversion) runs
// here and actors await it. Tasks come from the compiled tasks.js; a task's failure, a thread
// that dies or a closed pool come back as coded error values, never as rejections, and Piscina
// replaces a dead thread. One pool per process: processPool() hands out the same one.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { failureValue, WorkerDied, WorkerPoolClosed, WorkerTaskFailed, type WorkerErrorValue } from './errors.js';
import type { HashAlgorithm, HashFileInput, HashResult } from './hashing.js';
import type { ConvertResult } from './convert.js';
import type { ImageLimits, ProbeResult } from './image-formats.js';
import type { TaskReply, FollowMessage } from './task-protocol.js';
import type { ConvertInput, CreateInput, HashBytesInput, ProbeInput } from './tasks.js';

/** The same shape as transports' Result: ok with a value, or a coded error. */
export type TaskResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WorkerErrorValue };

export interface WorkerPoolOptions {
  /** Threads (default: the machine's available parallelism). */
  readonly threads?: number;
  /** The compiled task module (default: tasks.js beside this module). */
  readonly filename?: string;
  /** Errors of idle threads (Piscina reports them as events); default: ignored. */
  readonly onError?: (error: Error) => void;
}

export interface RunOptions {
  /** Moved to the worker, not copied; the sender loses them. */
  readonly transfer?: readonly Transferable[];
  /** Another task module (tests use one with failing tasks). */
  readonly filename?: string;
}

const TASKS = new URL('./tasks.js', import.meta.url).href;

function isReply(value: unknown): value is TaskReply<unknown> {
  return typeof value === 'object' && value !== null && 'type' in value && (value.type === 'ok' || value.type === 'error');
}

/** Whether a view owns its whole buffer, so moving the buffer moves nothing else with it. */
export function ownsBuffer(view: Uint8Array): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

export class WorkerPool {
  private readonly piscina: Piscina;
  private closing: Promise<void> | undefined;
  /**
   * Set in the event-loop turn in which a thread was destroyed: Piscina rejects the tasks of a
   * thread that died of an uncaught error with that error, indistinguishable from a throw,
   * right after announcing the destruction.
   */
  private deathTurn = false;

  constructor(options: WorkerPoolOptions = {}) {
    const threads = Math.max(1, options.threads ?? availableParallelism());
    this.piscina = new Piscina({
      filename: options.filename ?? TASKS,
      minThreads: threads,
      maxThreads: threads,
      // Worker threads must not inherit flags such as --test from the parent.
      execArgv: [],
      // Piscina's run and wait time histograms cost ~4 µs of CPU per task (bench/pool.ts) and
      // nothing reads them.
      recordTiming: false,
    });
    const onError = options.onError ?? (() => undefined);
    this.piscina.on('error', (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))));
    this.piscina.on('workerDestroy', () => {
      this.deathTurn = true;
      setImmediate(() => {
        this.deathTurn = false;
      });
    });
  }

  get threads(): number {
    return this.piscina.maxThreads;
  }

  /** Runs the named export of the task module; its reply, or what went wrong, as a value. */
  async run<T>(name: string, input: unknown, options: RunOptions = {}): Promise<TaskResult<T>> {
    if (this.closing !== undefined) return { ok: false, error: WorkerPoolClosed('the worker pool is closed') };
    let reply: unknown;
    try {
      reply = await this.piscina.run(input, {
        name,
        ...(options.transfer === undefined ? {} : { transferList: [...options.transfer] as never }),
        ...(options.filename === undefined ? {} : { filename: options.filename }),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (this.closing !== undefined) return { ok: false, error: WorkerPoolClosed(`the worker pool closed during the task: ${message}`) };
      // Piscina rejects with these when the thread ended under the task (exit or uncaught error).
      if (this.deathTurn || /^worker exited|^Terminating worker thread/.test(message)) return { ok: false, error: WorkerDied(`the worker thread died running ${name}: ${message}`, { task: name }) };
      return { ok: false, error: WorkerTaskFailed(`task ${name} failed: ${message}`, { task: name }) };
    }
    if (!isReply(reply)) return { ok: true, value: reply as T };
    return reply.type === 'ok' ? { ok: true, value: reply.value as T } : { ok: false, error: reply.error };
  }

  /** Digests of a complete file; each algorithm on its own thread when there are enough. */
  async hashFile(path: string, algorithms: readonly HashAlgorithm[], options: { readonly length?: number; readonly chunkBytes?: number } = {}): Promise<TaskResult<HashResult>> {
    let length = options.length;
    if (length === undefined) {
      try {
        length = statSync(path).size;
      } catch (e) {
        return { ok: false, error: failureValue(e) };
      }
    }
    const base = { path, length, ...(options.chunkBytes === undefined ? {} : { chunkBytes: options.chunkBytes }) };
    const groups = this.split(algorithms);
    const results = await Promise.all(groups.map((group) => this.run<HashResult>('hashFile', { ...base, algorithms: group } satisfies HashFileInput)));
    return merge(results);
  }

  /** Hashes a file while it is written: tell the follower how far it is complete, then end(). */
  followFile(path: string, algorithms: readonly HashAlgorithm[]): FileFollower {
    return new FileFollower(this, path, this.split(algorithms));
  }

  /** Digests of bytes in memory; a buffer the view owns whole is moved to the worker (the caller loses it). */
  hashBytes(bytes: Uint8Array, algorithms: readonly HashAlgorithm[]): Promise<TaskResult<HashResult>> {
    const input: HashBytesInput = { bytes, algorithms };
    return this.run('hashBytes', input, ownsBuffer(bytes) ? { transfer: [bytes.buffer as ArrayBuffer] } : {});
  }

  probe(path: string, limits?: ImageLimits): Promise<TaskResult<ProbeResult>> {
    const input: ProbeInput = limits === undefined ? { path } : { path, limits };
    return this.run('probe', input);
  }

  convert(input: ConvertInput): Promise<TaskResult<ConvertResult>> {
    return this.run('convert', input);
  }

  /** Writes a new image from a few data pieces (zeros elsewhere). */
  createImage(input: CreateInput): Promise<TaskResult<ConvertResult>> {
    return this.run('create', input);
  }

  /** Finishes queued tasks and stops the threads. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.piscina.close();
    return this.closing;
  }

  /** One group per algorithm when threads allow, else all in one task. */
  private split(algorithms: readonly HashAlgorithm[]): HashAlgorithm[][] {
    return this.threads >= algorithms.length ? algorithms.map((a) => [a]) : [[...algorithms]];
  }
}

function merge(results: readonly TaskResult<HashResult>[]): TaskResult<HashResult> {
  let digests = {};
  let bytes = 0;
  for (const r of results) {
    if (!r.ok) return r;
    digests = { ...digests, ...r.value.digests };
    bytes = r.value.bytes;
  }
  return { ok: true, value: { digests, bytes } };
}

/**
 * Hash tasks reading a file that is being written. The writer calls grow(length) as bytes become
 * durable in the file (the tasks never read past it), then end(length) for the digests. The
 * writer never waits for the hashing, so a busy pool slows nothing but the final digest.
 */
export class FileFollower {
  private readonly ports: MessagePort[] = [];
  private readonly results: Promise<TaskResult<HashResult>>;
  private done = false;

  constructor(pool: WorkerPool, path: string, groups: readonly HashAlgorithm[][]) {
    const runs = groups.map((algorithms) => {
      const channel = new MessageChannel();
      this.ports.push(channel.port1);
      const input: HashFileInput = { path, algorithms, port: channel.port2 };
      return pool.run<HashResult>('hashFile', input, { transfer: [channel.port2] });
    });
    this.results = Promise.all(runs).then(merge);
  }

  grow(length: number): void {
    this.post({ type: 'grow', length });
  }

  /** The file is complete at `length`: the digests. */
  end(length: number): Promise<TaskResult<HashResult>> {
    this.post({ type: 'end', length });
    // The tasks close their ends when done, which closes ours.
    this.done = true;
    return this.results;
  }

  /** The write failed: the tasks stop (their result is discarded). */
  abort(): void {
    this.post({ type: 'abort' });
    this.finish();
    void this.results.then(() => undefined); // settles as an error value; nobody needs it
  }

  private post(m: FollowMessage): void {
    if (this.done) return;
    for (const port of this.ports) port.postMessage(m);
  }

  private finish(): void {
    this.done = true;
    for (const port of this.ports) port.close();
  }
}

let shared: WorkerPool | undefined;

/** The process's one pool, created on the first call (later calls' options are ignored). */
export function processPool(options?: WorkerPoolOptions): WorkerPool {
  shared ??= new WorkerPool(options);
  return shared;
}

/** Closes the process's pool, if one was made (for shutdown and tests). */
export async function closeProcessPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
