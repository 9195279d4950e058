/**
 * A pool of sandboxes (worker threads or child processes), one task at a time in each. Sandboxes start when the
 * pool starts, which waits for all of them (so an app module that cannot load stops the worker at start, with the
 * module's name and the cause, instead of failing every task), and one that ended is replaced by a fresh one:
 * - terminated at the hard time limit or by a terminating revoke;
 * - lost on its own (a crash, `process.exit`, out of memory): its task fails with `WorkerLostError`, or is
 *   redelivered with `rejectOnWorkerLost`;
 * - retired after `maxTasksPerChild` tasks, or when its memory after a task passes `maxMemoryPerChildKiB`
 *   (a process's resident set; a thread's heap, since a thread has no resident set of its own).
 * A replacement starts as soon as its predecessor is retired, so queued work is not held up; a run waits only
 * while every sandbox is busy or starting.
 */
import type { Pool, PoolJob, PoolKind } from './pool.js';
import type { RunResult } from './run-result.js';
import { Sandbox } from './sandbox.js';
import type { SandboxChannel, SpawnOptions } from './spawn-sandbox.js';

/** Options of a {@link SandboxPool}. */
export interface SandboxPoolOptions extends SpawnOptions {
  readonly kind: PoolKind;
  /** How many sandboxes at most, each running one task at a time. */
  readonly size: number;
  /**
   * Autoscaling (`--autoscale max,min`): keep only this many sandboxes when there is nothing to do; more start as
   * runs arrive (up to `size`), and one idle for `idleMs` beyond this many is retired. Default: `size` (fixed).
   */
  readonly minSize?: number;
  /** How long a sandbox beyond `minSize` may stay idle before it is retired. Default 30 000 ms. */
  readonly idleMs?: number;
  /** How to start one sandbox. */
  readonly spawn: (options: SpawnOptions) => SandboxChannel;
  /** Replace a sandbox after this many tasks (Celery's `--max-tasks-per-child`). */
  readonly maxTasksPerChild?: number;
  /** Replace a sandbox whose memory after a task passes this, KiB (Celery's `--max-memory-per-child`). */
  readonly maxMemoryPerChildKiB?: number;
  /** Redeliver the task of a lost sandbox instead of failing it with `WorkerLostError`. */
  readonly rejectOnWorkerLost?: boolean;
  /** Where replacement lines go. */
  readonly log?: (line: string) => void;
}

/** Sandboxes, each running one task at a time. */
export class SandboxPool implements Pool {
  readonly kind: PoolKind;
  readonly size: number;
  readonly #options: SandboxPoolOptions;
  readonly #idle: Sandbox[] = [];
  readonly #all = new Set<Sandbox>();
  readonly #waiting: { resolve: (sandbox: Sandbox) => void; reject: (error: unknown) => void }[] = [];
  #closed = false;
  /** Sandboxes replaced so far, by why. */
  readonly replaced = { limit: 0, lost: 0, maxTasks: 0, maxMemory: 0 };

  constructor(options: SandboxPoolOptions) {
    this.kind = options.kind;
    this.size = options.size;
    this.#options = options;
  }

  async start(): Promise<void> {
    const sandboxes = Array.from({ length: this.#minSize }, () => this.#spawn());
    await Promise.all(sandboxes.map((sandbox) => sandbox.ready));
  }

  async run(job: PoolJob): Promise<RunResult> {
    let sandbox: Sandbox;
    try {
      sandbox = await this.#acquire();
    } catch (error) {
      return { kind: 'failure', error };
    }
    const result = await sandbox.run(job);
    this.#after(sandbox, job);
    return result;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#all].map((sandbox) => sandbox.retire()));
    this.#all.clear();
    this.#idle.length = 0;
  }

  /** How many sandboxes are alive now. */
  get alive(): number {
    return this.#all.size;
  }

  get #minSize(): number {
    return Math.min(this.size, this.#options.minSize ?? this.size);
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  #spawn(): Sandbox {
    const sandbox = new Sandbox(this.#options.spawn(this.#options), {
      appModule: this.#options.appModule,
      ...(this.#options.rejectOnWorkerLost ? { rejectOnWorkerLost: true } : {}),
    });
    this.#all.add(sandbox);
    sandbox.ready.then(
      () => this.#release(sandbox),
      (error: unknown) => {
        this.#all.delete(sandbox);
        this.#log(error instanceof Error ? error.message : String(error));
        // No sandbox left to wait for: the waiting runs fail with the reason rather than hang.
        if (this.#all.size === 0) for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
      },
    );
    return sandbox;
  }

  async #acquire(): Promise<Sandbox> {
    for (let idle = this.#idle.pop(); idle; idle = this.#idle.pop()) {
      if (!idle.ended) return idle;
      this.#all.delete(idle); // ended while idle: nothing was lost
    }
    if (this.#all.size < this.size) {
      const sandbox = this.#spawn();
      await sandbox.ready;
    }
    return new Promise<Sandbox>((resolve, reject) => {
      const ready = this.#idle.pop();
      if (ready) resolve(ready);
      else this.#waiting.push({ resolve, reject });
    });
  }

  #release(sandbox: Sandbox): void {
    if (this.#closed || sandbox.ended) return;
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter.resolve(sandbox);
      return;
    }
    this.#idle.push(sandbox);
    if (this.#all.size > this.#minSize) this.#retireWhenIdle(sandbox);
  }

  /** Autoscaling down: retires `sandbox` if it is still idle after `idleMs` and the pool is above its minimum. */
  #retireWhenIdle(sandbox: Sandbox): void {
    const timer = setTimeout(() => {
      const index = this.#idle.indexOf(sandbox);
      if (this.#closed || index < 0 || this.#all.size <= this.#minSize) return;
      this.#idle.splice(index, 1);
      this.#all.delete(sandbox);
      this.#log(`pool: retiring idle ${sandbox.label} (${this.#all.size} left)`);
      void sandbox.retire();
    }, this.#options.idleMs ?? 30_000);
    timer.unref();
  }

  #replace(sandbox: Sandbox, why: keyof SandboxPool['replaced'], detail: string): void {
    this.replaced[why]++;
    this.#all.delete(sandbox);
    this.#log(`pool: replacing ${sandbox.label} (${detail})`);
    void sandbox.retire();
    // A replacement keeps the pool at its minimum at once; above it, the next run starts one on demand.
    if (!this.#closed && this.#all.size < this.#minSize) this.#spawn();
  }

  #after(sandbox: Sandbox, job: PoolJob): void {
    const o = this.#options;
    if (sandbox.ended || job.kill.aborted) {
      const why = job.kill.aborted ? 'limit' : 'lost';
      this.#replace(sandbox, why, job.kill.aborted ? 'terminated' : 'ended while running a task');
      return;
    }
    if (o.maxTasksPerChild !== undefined && sandbox.tasksRun >= o.maxTasksPerChild) {
      this.#replace(sandbox, 'maxTasks', `${sandbox.tasksRun} tasks run`);
      return;
    }
    if (o.maxMemoryPerChildKiB !== undefined && sandbox.memoryKiB > o.maxMemoryPerChildKiB) {
      this.#replace(sandbox, 'maxMemory', `${sandbox.memoryKiB} KiB > ${o.maxMemoryPerChildKiB} KiB`);
      return;
    }
    this.#release(sandbox);
  }
}
