/**
 * The long-running worker behind `celeriac worker`: long-polls one or more queues and feeds the execution core,
 * with bounded concurrency.
 *
 * How the options interact:
 * - Each queue has one poller. A poller asks SQS for at most as many messages as there are free slots
 *   (`concurrency` in total, shared by every queue), so nothing waits in memory unstarted.
 * - Received messages are invisible for `visibilityTimeoutSeconds`. While a task runs, a heartbeat every half
 *   of that extends the message's visibility and the task's claim lease together, so a long task is neither
 *   redelivered nor taken over.
 * - Finished messages are deleted in batches of up to 10.
 * - `stop()` (SIGTERM/SIGINT in the CLI) stops receiving at once, then waits up to `shutdownTimeoutMs` for
 *   running tasks. Tasks still running then are handed back: their signal aborts, their claim is released and
 *   their message made visible, so another worker runs them. Nothing is lost: every message ends deleted after
 *   its result was stored, or back on the queue.
 */
import type { App } from '../app.js';
import type { ReceivedMessage } from '../ports/broker.js';
import { executeMessage } from './execute-message.js';
import { formatOutcome } from './format-outcome.js';
import type { MessageOutcome } from './message-outcome.js';
import { type WorkerIdentity, workerIdentity } from './worker-identity.js';

/** Options for {@link runWorker}. */
export interface WorkerOptions {
  /** Celery queue names to consume. Default: the app's default queue. */
  readonly queues?: readonly string[];
  /** Tasks run at once, across all queues. Default 8. */
  readonly concurrency?: number;
  /** How long received messages stay invisible; extended while their task runs. Default 60 s. */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait. Default 20 s (SQS's maximum). */
  readonly waitTimeSeconds?: number;
  /** How long `stop()` waits for running tasks before handing them back. Default 30 000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** Where the per-task lines go. Default `console.log`. */
  readonly log?: (line: string) => void;
  /** Called with each outcome (for tests and metrics). */
  readonly onOutcome?: (outcome: MessageOutcome) => void;
}

/** A worker that is running. */
export interface RunningWorker {
  readonly identity: WorkerIdentity;
  /** Stops receiving, lets running tasks finish (or hands them back), flushes deletes. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped. */
  readonly stopped: Promise<void>;
  /** Messages processed so far, by final state. */
  readonly counts: Readonly<Record<string, number>>;
}

interface InFlight {
  readonly queueUrl: string;
  readonly message: ReceivedMessage;
  readonly abort: AbortController;
  claim?: { readonly taskId: string; readonly owner: string };
  readonly done: Promise<void>;
}

/**
 * Starts a worker on `app`'s queues.
 *
 * @example
 * const worker = runWorker(app, { queues: ['celery'], concurrency: 16 });
 * process.once('SIGTERM', () => void worker.stop());
 * await worker.stopped;
 */
export function runWorker(app: App, options: WorkerOptions = {}): RunningWorker {
  const identity = workerIdentity(app.config.name);
  const queues = options.queues?.length ? options.queues : [app.config.defaultQueue];
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const visibility = Math.max(2, options.visibilityTimeoutSeconds ?? 60);
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const { broker, results, clock } = app.transport;

  const counts: Record<string, number> = {};
  const inFlight = new Set<InFlight>();
  const receiving = new AbortController();
  const pendingDeletes = new Map<string, string[]>();
  // Every poller waiting for a free slot (one per queue); all are woken when a slot frees or the worker stops.
  const slotWaiters = new Set<() => void>();
  const slotFreed = (): void => {
    const waiters = [...slotWaiters];
    slotWaiters.clear();
    for (const wake of waiters) wake();
  };
  let flushTimer: NodeJS.Timeout | undefined;

  const flushDeletes = async (): Promise<void> => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const batches = [...pendingDeletes];
    pendingDeletes.clear();
    await Promise.all(
      batches.map(async ([queueUrl, handles]) => {
        try {
          const failed = await broker.delete(queueUrl, handles);
          for (const f of failed) log(`could not delete a message from ${queueUrl}: ${f.code} ${f.message}`);
        } catch (error) {
          log(`could not delete ${handles.length} message(s) from ${queueUrl}: ${String(error)}`);
        }
      }),
    );
  };

  const scheduleDelete = (queueUrl: string, receiptHandle: string): void => {
    const list = pendingDeletes.get(queueUrl) ?? [];
    list.push(receiptHandle);
    pendingDeletes.set(queueUrl, list);
    if (list.length >= 10) void flushDeletes();
    else flushTimer ??= setTimeout(() => void flushDeletes(), 200);
  };

  const start = (queueUrl: string, queueName: string, message: ReceivedMessage): void => {
    const abort = new AbortController();
    const entry: { -readonly [K in keyof InFlight]: InFlight[K] } = {
      queueUrl,
      message,
      abort,
      done: Promise.resolve(),
    };
    const heartbeat = setInterval(
      () => {
        void broker
          .changeVisibility(queueUrl, [
            { receiptHandle: message.receiptHandle, visibilityTimeoutSeconds: visibility },
          ])
          .catch((error: unknown) => log(`heartbeat for ${message.messageId} failed: ${String(error)}`));
        if (entry.claim) {
          void results
            .renewClaim({ ...entry.claim, leaseMs: visibility * 1000, nowMs: clock.now() })
            .catch((error: unknown) =>
              log(`lease renewal for ${entry.claim?.taskId} failed: ${String(error)}`),
            );
        }
      },
      (visibility * 1000) / 2,
    );
    const startedAt = clock.now();
    entry.done = executeMessage(
      { ...message, queueUrl },
      {
        app,
        identity,
        leaseMs: visibility * 1000,
        queueName,
        signal: abort.signal,
        log,
        onClaimed: (claim) => {
          entry.claim = claim;
        },
      },
    ).then(async (outcome) => {
      clearInterval(heartbeat);
      if (abort.signal.aborted && !inFlight.has(entry)) return; // handed back during shutdown
      inFlight.delete(entry);
      counts[outcome.state] = (counts[outcome.state] ?? 0) + 1;
      log(formatOutcome(outcome, clock.now() - startedAt));
      options.onOutcome?.(outcome);
      if (outcome.action === 'delete') scheduleDelete(queueUrl, message.receiptHandle);
      else if (outcome.action === 'retry-later' && outcome.delaySeconds !== undefined) {
        await broker
          .changeVisibility(queueUrl, [
            { receiptHandle: message.receiptHandle, visibilityTimeoutSeconds: outcome.delaySeconds },
          ])
          .catch((error: unknown) => log(`could not delay ${message.messageId}: ${String(error)}`));
      }
      slotFreed();
    });
    inFlight.add(entry);
  };

  const waitForSlot = async (): Promise<void> => {
    while (inFlight.size >= concurrency && !receiving.signal.aborted) {
      // stop() aborts `receiving` and then calls slotFreed(), so no abort listener is needed here.
      await new Promise<void>((resolve) => slotWaiters.add(resolve));
    }
  };

  const poll = async (queueName: string): Promise<void> => {
    let queueUrl: string;
    try {
      queueUrl = await app.router.urlFor(queueName);
    } catch (error) {
      log(`cannot consume ${queueName}: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    log(`worker ${identity.hostname} consuming ${queueName} (${queueUrl})`);
    while (!receiving.signal.aborted) {
      await waitForSlot();
      if (receiving.signal.aborted) break;
      let messages: ReceivedMessage[];
      try {
        messages = await broker.receive(queueUrl, {
          maxMessages: Math.min(10, concurrency - inFlight.size),
          waitTimeSeconds,
          visibilityTimeoutSeconds: visibility,
          signal: receiving.signal,
        });
      } catch (error) {
        log(`receive from ${queueName} failed: ${String(error)}; retrying in 1 s`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (receiving.signal.aborted) {
        // Received while stopping: hand them straight back.
        await broker
          .changeVisibility(
            queueUrl,
            messages.map((m) => ({ receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 })),
          )
          .catch(() => undefined);
        break;
      }
      for (const message of messages) start(queueUrl, queueName, message);
      if (messages.length === 0 && waitTimeSeconds < 1) {
        // Without long polling an empty queue would be asked again at once, in a tight loop (kombu waits its
        // `polling_interval`, 1 s, in the same case).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          receiving.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    }
  };

  const pollers = Promise.allSettled(queues.map((queue) => poll(queue)));
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      receiving.abort();
      slotFreed();
      await pollers;
      const running = [...inFlight];
      const deadline = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), shutdownTimeoutMs).unref(),
      );
      await Promise.race([Promise.all(running.map((e) => e.done)), deadline]);
      const unfinished = [...inFlight];
      if (unfinished.length > 0) log(`handing ${unfinished.length} running task(s) back to the queue`);
      for (const entry of unfinished) {
        inFlight.delete(entry);
        entry.abort.abort(new Error('worker shutting down'));
        if (entry.claim) {
          await results.renewClaim({ ...entry.claim, leaseMs: 0, nowMs: clock.now() }).catch(() => undefined);
        }
        await broker
          .changeVisibility(entry.queueUrl, [
            { receiptHandle: entry.message.receiptHandle, visibilityTimeoutSeconds: 0 },
          ])
          .catch((error: unknown) => log(`could not hand back ${entry.message.messageId}: ${String(error)}`));
      }
      await flushDeletes();
    })();
    return stopping;
  };

  const stopped = pollers.then(async (settled) => {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed && !receiving.signal.aborted) {
      await stop();
      throw failed.reason;
    }
    await stop();
  });

  return { identity, stop, stopped, counts };
}
