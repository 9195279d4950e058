/**
 * A worker inside a test: {@link startTestWorker} runs an app's tasks from its queues in this process, exactly as
 * `celeriac worker` does (the same `runWorker` and execution core), on whichever transport the app has: memory
 * (`createTestApp()`), or an emulator or AWS (`createApp({ endpoint })`). A test sends tasks as a caller does
 * and reads their results with `AsyncResult.get()`, or waits for what the worker did with `waitFor(taskId)`.
 *
 * How the options interact with stopping: `stop()` lets a long poll already under way finish (see
 * `run-worker.ts`), so the test worker polls for at most `waitTimeSeconds` (1 s) at a time, and a test's
 * `afterAll(() => worker.stop())` returns within about a second once running tasks are done.
 */
import { ResultTimeoutError } from '../errors.js';
import { MemoryBroker } from '../memory/memory-broker.js';
import { READY_STATES } from '../protocol/states.js';
import type { WorkerDeps } from '../worker/execution-context.js';
import { type MessageOutcome, MessageState } from '../worker/message-outcome.js';
import { runWorker, type WorkerOptions } from '../worker/run-worker.js';

/** Options for {@link startTestWorker}: those of `runWorker`, with defaults that suit a test. */
export interface TestWorkerOptions
  extends Pick<
    WorkerOptions,
    'queues' | 'concurrency' | 'visibilityTimeoutSeconds' | 'pool' | 'appModule' | 'onOutcome'
  > {
  /** Long-poll wait, 0-20 s. Default 1 s, so that `stop()` returns quickly. */
  readonly waitTimeSeconds?: number;
  /** How long `stop()` waits for running tasks before handing them back. Default 5 000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** Where the worker's log lines go. Default: kept in {@link TestWorker.lines}, not printed. */
  readonly log?: (line: string) => void;
}

/** Options for {@link TestWorker.waitFor}. */
export interface WaitForOptions {
  /** How long to wait. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** A worker running inside a test. */
export interface TestWorker {
  /** Every outcome so far, in the order the worker reached them. */
  readonly outcomes: readonly MessageOutcome[];
  /** The worker's log lines so far (one per task, as `celeriac worker` prints them). */
  readonly lines: readonly string[];
  /**
   * Resolves with the outcome of the run that finished the task: SUCCESS, FAILURE, REVOKED, IGNORED or REJECTED
   * (a RETRY is not the end: the retried task runs again under the same id). Resolves at once when that run is
   * already among {@link outcomes}.
   *
   * @throws {ResultTimeoutError} when the task has not finished within `timeoutMs`; its `state` is the last
   *   state this worker saw for it, or `PENDING`.
   */
  waitFor(taskId: string, options?: WaitForOptions): Promise<MessageOutcome>;
  /** Stops receiving, lets running tasks finish (or hands them back) and resolves when the worker has stopped. */
  stop(): Promise<void>;
}

/** States after which a task id will not run again. */
const FINAL: ReadonlySet<string> = new Set([...READY_STATES, MessageState.IGNORED, MessageState.REJECTED]);

/**
 * Starts a worker on the app's queues (default: its default queue) and resolves once every queue was found, so a
 * queue that does not exist fails the test at this line, with the reason. On the in-memory transport, missing
 * queues are created first.
 *
 * @example
 * const app = createTestApp();
 * const add = app.task('tasks.add', (a: number, b: number) => a + b);
 * const worker = await startTestWorker(app);
 * const result = await add.delay(2, 3);
 * expect(await result.get({ timeoutMs: 5_000 })).toBe(5);
 * await worker.stop();
 */
export async function startTestWorker(
  deps: WorkerDeps,
  options: TestWorkerOptions = {},
): Promise<TestWorker> {
  const { runtime } = deps;
  const queues = options.queues?.length ? options.queues : [runtime.settings.defaultQueue];
  const names = queues.map((queue) => (typeof queue === 'string' ? queue : queue.name));
  if (runtime.broker instanceof MemoryBroker) {
    for (const name of names) runtime.broker.createQueue(runtime.queues.sqsName(name));
  }
  // Resolved here, before the worker starts, so that a missing queue rejects this call rather than a later wait.
  await Promise.all(names.map((name) => runtime.queues.urlFor(name)));

  const outcomes: MessageOutcome[] = [];
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const worker = runWorker(deps, {
    ...options,
    queues,
    waitTimeSeconds: options.waitTimeSeconds ?? 1,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5_000,
    log: options.log ?? ((line) => lines.push(line)),
    onOutcome: (outcome) => {
      outcomes.push(outcome);
      for (const wake of waiters) wake();
      options.onOutcome?.(outcome);
    },
  });
  let failure: { readonly reason: unknown } | undefined;
  worker.stopped.catch((reason: unknown) => {
    failure = { reason };
    for (const wake of waiters) wake();
  });

  const finished = (taskId: string): MessageOutcome | undefined =>
    outcomes.find((outcome) => outcome.taskId === taskId && FINAL.has(outcome.state));

  const waitFor = (taskId: string, { timeoutMs = 10_000 }: WaitForOptions = {}): Promise<MessageOutcome> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const outcome = finished(taskId);
        if (outcome) resolve(outcome);
        else if (failure) reject(failure.reason);
        else return false;
        return true;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        waiters.delete(wake);
        const last = outcomes.findLast((outcome) => outcome.taskId === taskId);
        const state = last?.state ?? 'PENDING';
        reject(
          new ResultTimeoutError(
            `The test worker did not finish task ${taskId} within ${timeoutMs} ms (last seen: ${state}). ` +
              'Was it sent to a queue this worker consumes (`queues`)? Raise `timeoutMs` for longer tasks.',
            { taskId, timeoutMs, state },
          ),
        );
      }, timeoutMs);
      const wake = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(wake);
      };
      waiters.add(wake);
    });

  return {
    outcomes,
    lines,
    waitFor,
    stop: async () => {
      await worker.stop();
      await worker.stopped.catch(() => undefined);
    },
  };
}
