/**
 * The long-running worker behind `celeriac worker`: long-polls one or more queues and feeds the execution core,
 * with bounded concurrency.
 *
 * How the options interact:
 * - Every queue is resolved before anything is received; a queue that cannot be found stops the worker at once,
 *   with the reason.
 * - Each queue has one poller (`receive-loop.ts`). Pollers reserve room before they ask SQS for messages
 *   (`slot-pool.ts`): a receive asks for a full batch of 10 once that much room is free, so `concurrency` bounds
 *   the tasks running and `prefetch` (default 10) the messages received ahead of a free slot, of all queues
 *   together. Prefetched messages wait in the order they came (`prefetched.ts`) and start as slots free up. Each
 *   receive goes to one queue, by weight (`queues`, listed most urgent first; `queue-weights.ts`): the queue that
 *   has received the fewest messages for its weight, so a higher-priority queue drains first and none is starved.
 *   A queue whose receive came back empty is probed, without waiting, once a second while another queue has
 *   messages; while every queue is idle, each long-polls for its part of the room. A busy queue among several
 *   polls for at most a second, so the other queues get their turn.
 * - Received messages are invisible for `visibilityTimeoutSeconds`. From its receipt (while it waits, prefetched,
 *   too) a message's visibility is kept alive, and once its task runs its claim as well, independently
 *   (`keep-alive.ts`); a claim that cannot be kept stops the run and hands it back. The visibility extensions of
 *   messages received together come due together and go as one batch (`visibility-batcher.ts`).
 *   (A task that blocks the event loop stops the heartbeat too: tasks should yield, as any Node.js code should,
 *   or run in the `threads` or `processes` pool.)
 * - `pool` says where task functions run (`pool/`): inline by default, or in `concurrency` worker threads or
 *   child processes that load `appModule` themselves, are terminated at the hard time limit or on a terminating
 *   revoke, and are replaced after `maxTasksPerChild` tasks or past `maxMemoryPerChildKiB`. The pool is started
 *   before anything is received (an app module that cannot load stops the worker at once) and closed last.
 * - On a FIFO queue, the messages of one message group run one after another, in order (`fifo-lanes.ts`).
 * - Finished messages are deleted in full batches of 10, or at most a second after the first was due
 *   (`delete-batcher.ts`).
 * - `stop()` (SIGTERM/SIGINT in the CLI) stops receiving: a long poll already under way is let finish (aborting
 *   it would drop what SQS already handed out, leaving it invisible for the whole visibility timeout) and what it
 *   brings is handed straight back, as are the prefetched messages not started yet. It then waits up to
 *   `shutdownTimeoutMs` for running tasks. Tasks still running then are handed back: their signal aborts with
 *   `WorkerShutdown`, their claim is released and their message made visible, so another worker runs them.
 *   Nothing is lost: every message ends deleted after its outcome was stored, or back on the queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerShutdown } from '../errors.js';
import { jsonLog, LogFormat, LogLevel } from '../monitoring/json-log.js';
import type { ReceivedMessage } from '../ports/broker.js';
import { flowControlFor } from '../runtime.js';
import { DeleteBatcher, FLUSH_AFTER_MS } from './delete-batcher.js';
import { executeMessage } from './execute-message.js';
import { describeError, type WorkerDeps } from './execution-context.js';
import { runLane, toLanes } from './fifo-lanes.js';
import { formatOutcome, outcomeLevel } from './format-outcome.js';
import { activeTasks, type InFlight, type Queue } from './in-flight.js';
import { KeepAlive } from './keep-alive.js';
import { MessageAction, type MessageOutcome } from './message-outcome.js';
import { createPool } from './pool/create-pool.js';
import type { Pool } from './pool/pool.js';
import { Prefetched } from './prefetched.js';
import { ProcessedCounts } from './processed-counts.js';
import { weightedQueues } from './queue-weights.js';
import { receiveUntilStopped } from './receive-loop.js';
import { RegistryAgent } from './registry-agent.js';
import { setVisibility } from './set-visibility.js';
import { RECEIVE_BATCH, SlotPool } from './slot-pool.js';
import { batchVisibilityChanges } from './visibility-batcher.js';
import { WorkerEvents } from './worker-events.js';
import { workerIdentity } from './worker-identity.js';
import type { RunningWorker, WorkerOptions } from './worker-options.js';

export type { RunningWorker, WorkerOptions } from './worker-options.js';

/**
 * Starts a worker on the registry's tasks, consuming the runtime's queues.
 *
 * @example
 * const worker = runWorker(app, { queues: ['celery'], concurrency: 16 }); // an App is { registry, runtime }
 * process.once('SIGTERM', () => void worker.stop());
 * await worker.stopped;
 */
export function runWorker(deps: WorkerDeps, options: WorkerOptions = {}): RunningWorker {
  const { registry, runtime } = deps;
  const { broker, results, clock, settings } = runtime;
  const identity = workerIdentity(settings.name);
  const queueSpecs = weightedQueues(options.queues, settings.defaultQueue);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const prefetch = Math.max(0, options.prefetch ?? RECEIVE_BATCH);
  const visibility = Math.max(2, options.visibilityTimeoutSeconds ?? 60);
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  // A level reaches JSON lines only: a caller's `log` and the text lines get the line alone.
  const own = options.log;
  const write: (line: string, level?: LogLevel) => void = own
    ? (line) => own(line)
    : settings.events.logFormat === LogFormat.JSON
      ? jsonLog({ service: settings.name })
      : (line) => console.log(line);
  const log = (line: string, level?: LogLevel): void => {
    try {
      write(line, level);
    } catch {
      // A failing log sink must not take the worker down.
    }
  };

  const pool: Pool =
    typeof options.pool === 'object'
      ? options.pool
      : createPool({
          kind: options.pool ?? 'inline',
          size: concurrency,
          ...(options.appModule ? { appModule: options.appModule } : {}),
          ...(options.maxTasksPerChild !== undefined ? { maxTasksPerChild: options.maxTasksPerChild } : {}),
          ...(options.maxMemoryPerChildKiB !== undefined
            ? { maxMemoryPerChildKiB: options.maxMemoryPerChildKiB }
            : {}),
          ...(options.rejectOnWorkerLost ? { rejectOnWorkerLost: true } : {}),
          ...(options.minPoolSize !== undefined ? { minSize: options.minPoolSize } : {}),
          ...(options.poolIdleMs !== undefined ? { idleMs: options.poolIdleMs } : {}),
          log,
        });

  // `--rate-limit-scope` other than the app's: this host's own flow control.
  const flow =
    options.rateLimitScope === undefined || options.rateLimitScope === settings.rateLimitScope
      ? undefined
      : flowControlFor(options.rateLimitScope, settings, runtime.flowStore, () => clock.now());

  const counts = new ProcessedCounts(registry);
  const inFlight = new Set<InFlight>();
  const receiving = new AbortController();
  const slots = new SlotPool({ concurrency, prefetch });
  const prefetched = new Prefetched(slots, (entry) => void run(entry));
  // Deletes wait for a full batch, at most a second and well inside the visibility timeout.
  const deletes = new DeleteBatcher(broker, log, Math.min(FLUSH_AFTER_MS, (visibility * 1000) / 4));
  // Heartbeats of messages received together come due together: their extensions go as one batch.
  const heartbeats = batchVisibilityChanges(broker);
  const processed = (): number => Object.values(counts.byState).reduce((sum, n) => sum + n, 0);
  const workerEvents = runtime.events
    ? new WorkerEvents(
        runtime.events,
        identity,
        { active: () => slots.running, processed },
        settings.events.heartbeatSeconds,
      )
    : undefined;

  const registryAgent = runtime.monitoring
    ? new RegistryAgent({
        store: runtime.monitoring,
        identity,
        kind: 'worker',
        clock,
        freqSeconds: settings.events.heartbeatSeconds,
        log,
        state: () => ({
          pool: pool.kind,
          concurrency,
          queues: [...consumers.keys()],
          active: activeTasks(inFlight),
          processed: { ...counts.byState },
          totals: { ...counts.byTask },
          registered: registry.taskNames,
        }),
        control: {
          shutdown: () => void stop(),
          addConsumer: (name) => addConsumer(name),
          cancelConsumer: (name) => cancelConsumer(name),
        },
      })
    : undefined;

  const visibilityOf = (entry: InFlight, seconds: number, what: string): Promise<boolean> =>
    setVisibility(
      broker,
      {
        queueUrl: entry.queue.url,
        receiptHandle: entry.message.receiptHandle,
        messageId: entry.message.messageId,
        seconds,
        what,
      },
      log,
    );

  /** Takes a received message in: it holds a slot and its leases are kept up until it is settled. */
  const track = (queue: Queue, message: ReceivedMessage): InFlight => {
    const abort = new AbortController();
    const kill = new AbortController();
    const entry: InFlight = {
      queue,
      message,
      abort,
      kill,
      keepAlive: new KeepAlive({
        broker: heartbeats,
        results,
        clock,
        queueUrl: queue.url,
        receiptHandle: message.receiptHandle,
        messageId: message.messageId,
        visibilitySeconds: visibility,
        log,
        onLost: (reason) => abort.abort(reason),
        onRevoked: (reason) => kill.abort(reason),
      }),
    };
    inFlight.add(entry);
    return entry;
  };

  /** Settles a started message: its slot is free for the next waiting one. */
  const settle = (entry: InFlight): void => {
    entry.keepAlive.stop();
    if (inFlight.delete(entry)) slots.release(entry.queue.name);
    if (!receiving.signal.aborted) prefetched.startReady();
  };

  /** Runs a tracked message and carries its outcome out; undefined when it was handed back during shutdown. */
  const run = (entry: InFlight): Promise<MessageOutcome | undefined> => {
    const startedAt = clock.now();
    entry.done = executeMessage(
      { ...entry.message, queueUrl: entry.queue.url },
      {
        registry,
        runtime,
        identity,
        leaseMs: visibility * 1000,
        queueName: entry.queue.name,
        signal: entry.abort.signal,
        kill: entry.kill.signal,
        pool,
        log,
        ...(flow ? { flow } : {}),
        onClaimed: (claim) => {
          entry.claim = claim;
          entry.claimedAtMs = clock.now();
          entry.keepAlive.claimed(claim);
        },
      },
    ).then(async (outcome) => {
      if (!inFlight.has(entry)) return undefined; // handed back during shutdown
      counts.add(outcome);
      log(
        formatOutcome(outcome, { messageId: entry.message.messageId, totalMs: clock.now() - startedAt }),
        outcomeLevel(outcome.state),
      );
      try {
        options.onOutcome?.(outcome);
      } catch (error) {
        log(`onOutcome failed: ${describeError(error)}`);
      }
      if (outcome.action === MessageAction.DELETE) deletes.add(entry.queue.url, entry.message.receiptHandle);
      else if (outcome.action === MessageAction.RETRY_LATER && outcome.delaySeconds !== undefined) {
        await visibilityOf(entry, outcome.delaySeconds, 'delay');
      }
      settle(entry);
      return outcome;
    });
    return entry.done;
  };

  const dispatch = (queue: Queue, messages: readonly ReceivedMessage[]): void => {
    const entries = messages.map((message) => track(queue, message));
    if (!queue.fifo) {
      prefetched.add(entries);
      return;
    }
    // A FIFO queue received into running slots only (slot-pool.ts): its groups start at once, each in order.
    for (let i = 0; i < entries.length; i++) slots.start(queue.name);
    for (const lane of toLanes(entries, (entry) => entry.message.messageGroupId ?? '')) {
      void runLane(
        lane,
        async (entry) => (await run(entry))?.action === MessageAction.DELETE,
        async (rest) => {
          for (const entry of rest) {
            if (!inFlight.has(entry)) continue;
            await visibilityOf(entry, 0, 'return');
            settle(entry);
          }
        },
      );
    }
  };

  /** The queues consumed now, each with what stops its poller (`cancel_consumer`). */
  const consumers = new Map<string, AbortController>();

  const poll = async (queue: Queue, weight: number): Promise<void> => {
    const cancel = new AbortController();
    consumers.set(queue.name, cancel);
    slots.addQueue(queue.name, weight, queue.fifo);
    cancel.signal.addEventListener('abort', () => slots.removeQueue(queue.name), { once: true });
    try {
      log(`worker ${identity.hostname} consuming ${queue.name} (${queue.url})`);
      await receiveUntilStopped(
        {
          broker,
          slots,
          receiving: receiving.signal,
          waitTimeSeconds,
          visibilitySeconds: visibility,
          dispatch,
          log,
        },
        queue,
        cancel.signal,
      );
    } finally {
      if (consumers.get(queue.name) === cancel) {
        consumers.delete(queue.name);
        slots.removeQueue(queue.name);
      }
    }
  };

  /** `cancel_consumer`: stops the queue's poller; what it already received still runs. */
  const cancelConsumer = async (name: string): Promise<void> => {
    const consumer = consumers.get(name);
    if (!consumer) throw new Error(`not consuming ${JSON.stringify(name)}`);
    consumer.abort();
  };

  /** `add_consumer`: starts a poller on one more queue while the worker runs. */
  const addConsumer = async (name: string): Promise<void> => {
    if (receiving.signal.aborted) throw new Error('the worker is stopping');
    if (consumers.has(name)) return;
    const url = await runtime.queues.urlFor(name);
    void poll({ name, url, fifo: url.endsWith('.fifo') }, 1);
  };

  const started = (async (): Promise<PromiseSettledResult<void>[]> => {
    try {
      await pool.start();
    } catch (error) {
      log(`cannot start the ${pool.kind} pool: ${describeError(error)}`, LogLevel.ERROR);
      throw error;
    }
    if (pool.kind !== 'inline') log(`worker ${identity.hostname} running tasks in ${pool.size} ${pool.kind}`);
    const queues = await Promise.all(
      queueSpecs.map(async ({ name, weight }): Promise<{ queue: Queue; weight: number }> => {
        try {
          const url = await runtime.queues.urlFor(name);
          return { queue: { name, url, fifo: url.endsWith('.fifo') }, weight };
        } catch (error) {
          log(`cannot consume ${name}: ${describeError(error)}`, LogLevel.ERROR);
          throw error;
        }
      }),
    );
    workerEvents?.start(() => clock.now());
    const polls = Promise.allSettled(queues.map(({ queue, weight }) => poll(queue, weight)));
    registryAgent?.start();
    return polls;
  })();
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      receiving.abort();
      slots.close();
      await prefetched.handBack(
        broker,
        (entry) => {
          entry.keepAlive.stop();
          inFlight.delete(entry);
        },
        log,
      );
      await started.catch(() => undefined);
      const running = [...inFlight].map((entry) => entry.done ?? Promise.resolve(undefined));
      await Promise.race([Promise.all(running), sleep(shutdownTimeoutMs, undefined, { ref: false })]);
      const unfinished = [...inFlight];
      if (unfinished.length > 0) log(`handing ${unfinished.length} running task(s) back to the queue`);
      for (const entry of unfinished) {
        settle(entry);
        entry.abort.abort(new WorkerShutdown());
        if (entry.claim) {
          await results
            .releaseClaim({ ...entry.claim, nowMs: clock.now() })
            .catch((error: unknown) =>
              log(`could not release the claim on ${entry.claim?.taskId}: ${describeError(error)}`),
            );
        }
        await visibilityOf(entry, 0, 'hand back');
      }
      await deletes.flush();
      await workerEvents?.stop(clock.now());
      await registryAgent?.stop();
      await pool.close();
    })();
    return stopping;
  };

  const stopped = started.then(
    async (settledPolls) => {
      await stop();
      const failed = settledPolls.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );

  return { identity, stop, stopped, counts: counts.byState };
}
