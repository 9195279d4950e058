/**
 * The worker's handle on one sandbox: starts it, runs one task at a time in it, relays the run's signal and
 * `updateState` calls, and turns its ending into a {@link RunResult}: the result it reported, the kill reason
 * when the worker terminated it (hard limit, revoke), or `WorkerLostError` (or a requeueing `Reject` with
 * `rejectOnWorkerLost`) when it ended on its own while running a task.
 */
import { ClaimLost, ImproperlyConfigured, Reject, WorkerLostError, WorkerShutdown } from '../../errors.js';
import { EncodeError } from '../../protocol/errors.js';
import { fromTaggedJson, toTaggedJson } from '../../protocol/type-tags.js';
import { runTraceCarrier } from '../../tracing/sandbox-trace.js';
import type { PoolJob } from './pool.js';
import type { RunResult } from './run-result.js';
import {
  decodeSandboxMessage,
  encodeSandboxMessage,
  type FromSandbox,
  type ToSandbox,
  type WireResult,
} from './sandbox-protocol.js';
import type { SandboxChannel } from './spawn-sandbox.js';
import { fromWireError, toWireError } from './wire-error.js';

interface Current {
  readonly run: number;
  readonly job: PoolJob;
  readonly settle: (result: RunResult) => void;
}

/** What a sandbox does when it ends while running a task. */
export interface SandboxOptions {
  /** The app module, named in the error when it cannot load. */
  readonly appModule: string;
  /** Redeliver a task whose sandbox was lost instead of failing it (Celery's `reject_on_worker_lost`). */
  readonly rejectOnWorkerLost?: boolean;
}

let runs = 0;

/** One worker thread or child process, running one task at a time. */
export class Sandbox {
  readonly #channel: SandboxChannel;
  readonly #options: SandboxOptions;
  readonly ready: Promise<void>;
  #current: Current | undefined;
  #ended = false;
  #onEnd: (() => void) | undefined;
  /** Tasks this sandbox has run. */
  tasksRun = 0;
  /** Its memory after the last task, KiB. */
  memoryKiB = 0;

  constructor(channel: SandboxChannel, options: SandboxOptions) {
    this.#channel = channel;
    this.#options = options;
    this.ready = new Promise<void>((resolve, reject) => {
      channel.onMessage((text) => {
        const message = decodeSandboxMessage<FromSandbox>(text);
        if (message.t === 'ready') resolve();
        else if (message.t === 'load-failed') {
          const cause = fromWireError(message.error);
          reject(
            new ImproperlyConfigured(
              `The pool's ${channel.label} cannot load the app module ${options.appModule}: ${cause.message}`,
              { setting: 'app', cause },
            ),
          );
        } else this.#receive(message);
      });
      channel.onExit((how) => {
        this.#ended = true;
        reject(
          new ImproperlyConfigured(
            `The pool's ${channel.label} ended (${how}) before loading the app module ${options.appModule}`,
            { setting: 'app' },
          ),
        );
        this.#lost(how);
        this.#onEnd?.();
      });
    });
    this.ready.catch(() => undefined);
  }

  get label(): string {
    return this.#channel.label;
  }

  /** Whether the sandbox has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Runs one task; never rejects. */
  run(job: PoolJob): Promise<RunResult> {
    const run = ++runs;
    const { context } = job;
    return new Promise<RunResult>((resolve) => {
      let args: ReturnType<typeof toTaggedJson>;
      let kwargs: ReturnType<typeof toTaggedJson>;
      try {
        args = toTaggedJson([...context.args], '$args');
        kwargs = toTaggedJson(context.kwargs, '$kwargs');
      } catch (error) {
        resolve({
          kind: 'failure',
          error: new EncodeError(
            `The task's arguments cannot cross to the pool: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error, path: error instanceof EncodeError ? error.path : '$args' },
          ),
        });
        return;
      }
      const signal = context.signal;
      const onAbort = (): void => this.#send({ t: 'abort', run, reason: toWireError(signal.reason) });
      const onKill = (): void => {
        this.#settle({ kind: 'failure', error: job.kill.reason });
        this.terminate();
      };
      this.#current = {
        run,
        job,
        settle: (result) => {
          signal.removeEventListener('abort', onAbort);
          job.kill.removeEventListener('abort', onKill);
          this.#current = undefined;
          this.tasksRun++;
          resolve(result);
        },
      };
      if (this.#ended) {
        this.#lost('ended before the task started');
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      job.kill.addEventListener('abort', onKill, { once: true });
      const trace = runTraceCarrier();
      this.#send({
        t: 'run',
        run,
        context: {
          taskId: context.taskId,
          name: job.taskName,
          retries: context.retries,
          args,
          kwargs,
          queue: context.queue,
          rootId: context.rootId,
          parentId: context.parentId,
          groupId: context.groupId,
          hostname: context.hostname,
          ...(signal.aborted ? { aborted: toWireError(signal.reason) } : {}),
          ...(trace ? { trace } : {}),
        },
      });
      if (job.kill.aborted) onKill();
    });
  }

  /** Ends the sandbox now. */
  terminate(): void {
    if (!this.#ended) this.#channel.terminate();
  }

  /** Asks the sandbox to exit; terminates it if it has not after `graceMs`. Resolves once it has ended. */
  retire(graceMs = 2000): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.terminate(), graceMs);
      this.#onEnd = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#send({ t: 'exit' });
    });
  }

  #send(message: ToSandbox): void {
    if (!this.#ended) this.#channel.send(encodeSandboxMessage(message));
  }

  #settle(result: RunResult): void {
    this.#current?.settle(result);
  }

  #lost(how: string): void {
    const current = this.#current;
    if (!current) return;
    const stop = current.job.context.signal.reason;
    if (stop instanceof WorkerShutdown || stop instanceof ClaimLost) {
      // Ended by the worker's own shutdown (or after its claim was lost): the run is handed back, not failed.
      this.#settle({ kind: 'failure', error: stop });
      return;
    }
    const lost = WorkerLostError.exited(how);
    this.#settle(
      this.#options.rejectOnWorkerLost
        ? { kind: 'reject', reject: new Reject(lost.message, { requeue: true, cause: lost }) }
        : { kind: 'failure', error: lost },
    );
  }

  #receive(message: FromSandbox): void {
    const current = this.#current;
    if (!current) return;
    if (message.t === 'update' && message.run === current.run) {
      const { run, call } = message;
      let meta: unknown;
      try {
        meta = fromTaggedJson(message.meta, 'meta');
      } catch (error) {
        this.#send({ t: 'updated', run, call, error: toWireError(error) });
        return;
      }
      current.job.context.updateState(message.state, meta).then(
        () => this.#send({ t: 'updated', run, call }),
        (error: unknown) => this.#send({ t: 'updated', run, call, error: toWireError(error) }),
      );
      return;
    }
    if (message.t === 'done' && message.run === current.run) {
      this.memoryKiB = message.memoryKiB;
      this.#settle(this.#fromWire(message.result, current.job));
    }
  }

  #fromWire(result: WireResult, job: PoolJob): RunResult {
    if (result.kind === 'success') {
      try {
        return { kind: 'success', value: fromTaggedJson(result.value, 'result') };
      } catch (error) {
        return { kind: 'failure', error };
      }
    }
    const context = job.autoretryFor ? { autoretryFor: job.autoretryFor } : {};
    const signal = job.context.signal;
    if (result.kind === 'ignore') return { kind: 'ignore' };
    if (result.error.abortReason && signal.aborted) return { kind: 'failure', error: signal.reason };
    const error = fromWireError(result.error, context);
    if (result.kind === 'retry') {
      return { kind: 'retry', retry: error as Extract<RunResult, { kind: 'retry' }>['retry'] };
    }
    if (result.kind === 'reject') {
      return { kind: 'reject', reject: error as Extract<RunResult, { kind: 'reject' }>['reject'] };
    }
    return { kind: 'failure', error };
  }
}
