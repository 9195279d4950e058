/**
 * The sandbox side of a pool: runs inside a worker thread or a child process that loaded the app module itself,
 * looks each task up in the app's registry by name, calls it with a context rebuilt from the worker's, and
 * reports how the call ended. `updateState` is a round trip to the worker, which does the write; `retry()`
 * builds the same `Retry` as inline; the signal aborts when the worker says so (soft limit, shutdown, lost
 * claim, revoke).
 */
import { runAsTask } from '../../current-task.js';
import { Retry, type RetryOptions } from '../../errors.js';
import { EncodeError } from '../../protocol/errors.js';
import { fromTaggedJson, toTaggedJson } from '../../protocol/type-tags.js';
import type { TaskRegistry } from '../../registry.js';
import type { TaskContext, TaskFunction } from '../../task.js';
import { withRunTrace } from '../../tracing/sandbox-trace.js';
import type { ErrorClass } from './pool.js';
import { classifyRunError, type RunResult } from './run-result.js';
import {
  decodeSandboxMessage,
  encodeSandboxMessage,
  type FromSandbox,
  type ToSandbox,
  type WireContext,
  type WireResult,
} from './sandbox-protocol.js';
import { fromWireError, toWireError } from './wire-error.js';

/** How a sandbox talks to its worker. */
export interface SandboxTransport {
  send(text: string): void;
  onMessage(handler: (text: string) => void): void;
  /** Ends the sandbox (asked by the worker when it retires it). */
  exit(): void;
  /** The sandbox's memory after a task, KiB: a process's resident set, a thread's heap. */
  memoryKiB(): number;
}

interface Running {
  readonly abort: AbortController;
  readonly pending: Map<number, { resolve: () => void; reject: (error: Error) => void }>;
}

function toWireResult(result: RunResult, abortReason: unknown, options: TaskRunOptions): WireResult {
  const context = { abortReason, autoretryFor: options.autoretryFor ?? [] };
  switch (result.kind) {
    case 'success':
      try {
        return { kind: 'success', value: toTaggedJson(result.value, '$result') };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const wrapped = new EncodeError(`The task's result cannot cross to the worker: ${reason}`, {
          cause: error,
          path: error instanceof EncodeError ? error.path : '$result',
        });
        return { kind: 'failure', error: toWireError(wrapped, context) };
      }
    case 'retry':
      return { kind: 'retry', error: toWireError(result.retry, context) };
    case 'reject':
      return { kind: 'reject', error: toWireError(result.reject, context) };
    case 'ignore':
      return { kind: 'ignore' };
    case 'failure':
      return { kind: 'failure', error: toWireError(result.error, context) };
  }
}

interface TaskRunOptions {
  readonly autoretryFor?: readonly ErrorClass[];
}

/** Serves runs from the worker until it asks the sandbox to exit. */
export function serveSandbox(transport: SandboxTransport, registry: TaskRegistry): void {
  const runs = new Map<number, Running>();
  const send = (message: FromSandbox): void => transport.send(encodeSandboxMessage(message));

  const start = async (run: number, wire: WireContext): Promise<void> => {
    const abort = new AbortController();
    const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
    runs.set(run, { abort, pending });
    const task = registry.get(wire.name);
    let result: RunResult;
    if (!task) {
      result = {
        kind: 'failure',
        error: new Error(`The task ${wire.name} is not registered in the app module the sandbox loaded`),
      };
    } else {
      if (wire.aborted) abort.abort(fromWireError(wire.aborted));
      let calls = 0;
      const context: TaskContext = {
        taskId: wire.taskId,
        name: wire.name,
        retries: wire.retries,
        args: fromTaggedJson(wire.args, 'args') as unknown[],
        kwargs: fromTaggedJson(wire.kwargs, 'kwargs') as Record<string, unknown>,
        signal: abort.signal,
        queue: wire.queue,
        rootId: wire.rootId,
        parentId: wire.parentId,
        groupId: wire.groupId,
        hostname: wire.hostname,
        updateState: (state: string, meta?: unknown) => {
          const call = ++calls;
          const tagged = toTaggedJson(meta ?? null, '$meta');
          return new Promise<void>((resolve, reject) => {
            pending.set(call, { resolve, reject });
            send({ t: 'update', run, call, state, meta: tagged });
          });
        },
        retry: (options?: RetryOptions): never => {
          throw Retry.with(options);
        },
      };
      const fn = task.fn as TaskFunction<unknown[], unknown>;
      try {
        const call = () => fn.apply(context, [...context.args]);
        result = {
          kind: 'success',
          value: await withRunTrace(wire.trace, () =>
            runAsTask({ taskId: context.taskId, rootId: context.rootId }, call),
          ),
        };
      } catch (error) {
        result = classifyRunError(error);
      }
    }
    runs.delete(run);
    send({
      t: 'done',
      run,
      result: toWireResult(result, abort.signal.aborted ? abort.signal.reason : undefined, {
        ...(task?.options.autoretryFor ? { autoretryFor: task.options.autoretryFor } : {}),
      }),
      memoryKiB: transport.memoryKiB(),
    });
  };

  transport.onMessage((text) => {
    const message = decodeSandboxMessage<ToSandbox>(text);
    switch (message.t) {
      case 'run':
        void start(message.run, message.context);
        return;
      case 'abort': {
        const running = runs.get(message.run);
        if (running && !running.abort.signal.aborted) running.abort.abort(fromWireError(message.reason));
        return;
      }
      case 'updated': {
        const call = runs.get(message.run)?.pending.get(message.call);
        if (!call) return;
        runs.get(message.run)?.pending.delete(message.call);
        if (message.error) call.reject(fromWireError(message.error));
        else call.resolve();
        return;
      }
      case 'exit':
        transport.exit();
        return;
    }
  });
  send({ t: 'ready' });
}

/** Tells the worker the app module could not be loaded. */
export function reportLoadFailure(transport: Pick<SandboxTransport, 'send'>, error: unknown): void {
  transport.send(encodeSandboxMessage({ t: 'load-failed', error: toWireError(error) }));
}
