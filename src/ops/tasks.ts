/**
 * Sending a task by name and reading its result, as `celery call` and `celery result` do. A task id with nothing
 * stored reads as PENDING, as in Celery, with `stored: false` so a caller can say "no such task (or not started
 * yet)" instead of implying the task is queued.
 */
import type { ApplyOptions } from '../apply-options.js';
import type { ResultMeta } from '../protocol/result-meta.js';
import { READY_STATES } from '../protocol/states.js';
import type { OpsContext } from './ops-context.js';

/** A task to send. */
export interface CallRequest {
  readonly name: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Seconds to wait before it may run. */
  readonly countdown?: number;
  /** When it may run. */
  readonly eta?: Date;
  /** The Celery queue to send it to. Default: the task's route, else the default queue. */
  readonly queue?: string;
}

/** A task's state as an operator sees it. */
export interface TaskView {
  readonly id: string;
  /** Celery's state: PENDING, STARTED, PROGRESS (or another custom state), RETRY, SUCCESS, FAILURE, REVOKED. */
  readonly state: string;
  /** Whether anything is stored for the id. PENDING with `stored: false` is an unknown or unstarted task. */
  readonly stored: boolean;
  /** Whether the state is final (SUCCESS, FAILURE, REVOKED). */
  readonly ready: boolean;
  /** The return value, the progress meta, or the exception in Celery's shape. */
  readonly result: unknown;
  readonly traceback: string | null;
  readonly dateDone: string | null;
  /** The task's name, when the worker stored it (`result_extended`). */
  readonly name?: string;
}

/** Sends the task; returns its id. */
export async function callTask(ctx: OpsContext, request: CallRequest): Promise<string> {
  const options: ApplyOptions = {
    ...(request.countdown === undefined ? {} : { countdown: request.countdown }),
    ...(request.eta === undefined ? {} : { eta: request.eta }),
    ...(request.queue === undefined ? {} : { queue: request.queue }),
  };
  const result = await ctx.app.sendTask(request.name, request.args ?? [], request.kwargs ?? {}, options);
  return result.id;
}

function viewOf(id: string, meta: ResultMeta, stored: boolean): TaskView {
  return {
    id,
    state: meta.status,
    stored,
    ready: READY_STATES.has(meta.status),
    result: meta.result,
    traceback: meta.traceback ?? null,
    dateDone: meta.date_done ?? null,
    ...(meta.name === undefined ? {} : { name: meta.name }),
  };
}

/** The task's current state and result. */
export async function readTask(ctx: OpsContext, id: string): Promise<TaskView> {
  const stored = (await ctx.app.runtime.results.get(id)) !== undefined;
  return viewOf(id, await ctx.app.asyncResult(id).meta(), stored);
}

/** Options for {@link waitTask}. */
export interface WaitOptions {
  /** Give up after this long; the last view is returned with `timedOut: true`. Default: wait for ever. */
  readonly timeoutMs?: number;
  /** Poll interval. Default 250 ms. */
  readonly intervalMs?: number;
  /** Called with the first view and each time the state or the stored result changes. */
  readonly onUpdate?: (view: TaskView) => void;
  readonly signal?: AbortSignal;
}

/** Polls the task until it is ready or the timeout passes. */
export async function waitTask(
  ctx: OpsContext,
  id: string,
  options: WaitOptions = {},
): Promise<TaskView & { readonly timedOut: boolean }> {
  const clock = ctx.app.runtime.clock;
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    options.signal?.throwIfAborted();
    const view = await readTask(ctx, id);
    const key = JSON.stringify([view.state, view.result]);
    if (key !== last) {
      last = key;
      options.onUpdate?.(view);
    }
    if (view.ready) return { ...view, timedOut: false };
    const left = deadline - clock.now();
    if (left <= 0) return { ...view, timedOut: true };
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.intervalMs ?? 250, left)));
  }
}
