/**
 * The long-running worker behind `celeriac worker`: long-polls one or more queues and feeds the execution core,
 * with bounded concurrency.
 *
 * How the options interact:
 * - Every queue is resolved before anything is received; a queue that cannot be found stops the worker at once,
 *   with the reason.
 * - Each queue has one poller. Pollers reserve free slots before they ask SQS for messages (`slot-pool.ts`), so
 *   `concurrency` bounds the tasks of all queues together. Queues share the slots by weight (`queues`, listed
 *   most urgent first; `queue-weights.ts`): while every queue has messages, each holds at most its weight's share,
 *   and free slots go to the queue granted the fewest for its weight, so a higher-priority queue drains first and
 *   none is starved. A queue whose receive came back empty lends its share to the busy ones and asks for one
 *   message at a time until it has messages again. While every slot is reserved, a poller long-polls for at most
 *   a second, so the other queues get their turn.
 * - Received messages are invisible for `visibilityTimeoutSeconds`. While a task runs, its visibility and its claim
 *   are kept alive independently (`keep-alive.ts`); a claim that cannot be kept stops the run and hands it back.
 *   (A task that blocks the event loop stops the heartbeat too: tasks should yield, as any Node.js code should,
 *   or run in the `threads` or `processes` pool.)
 * - `pool` says where task functions run (`pool/`): inline by default, or in `concurrency` worker threads or
 *   child processes that load `appModule` themselves, are terminated at the hard time limit or on a terminating
 *   revoke, and are replaced after `maxTasksPerChild` tasks or past `maxMemoryPerChildKiB`. The pool is started
 *   before anything is received (an app module that cannot load stops the worker at once) and closed last.
 * - On a FIFO queue, the messages of one message group run one after another, in order (`fifo-lanes.ts`).
 * - Finished messages are deleted in batches of up to 10 (`delete-batcher.ts`).
 * - `stop()` (SIGTERM/SIGINT in the CLI) stops receiving: a long poll already under way is let finish (aborting
 *   it would drop what SQS already handed out, leaving it invisible for the whole visibility timeout) and what it
 *   brings is handed straight back. It then waits up to `shutdownTimeoutMs` for running tasks. Tasks still running
 *   then are handed back: their signal aborts with `WorkerShutdown`, their claim is released and their message made
 *   visible, so another worker runs them. Nothing is lost: every message ends deleted after its outcome was stored,
 *   or back on the queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerShutdown } from '../errors.js';
import { jsonLog, LogFormat, LogLevel } from '../monitoring/json-log.js';
import type { ReceivedMessage } from '../ports/broker.js';
import { flowControlFor } from '../runtime.js';
import { DeleteBatcher } from './delete-batcher.js';
import { executeMessage } from './execute-message.js';
import { describeError, type WorkerDeps } from './execution-context.js';
import { runLane, toLanes } from './fifo-lanes.js';
import { formatOutcome, outcomeLevel } from './format-outcome.js';
import { activeTasks, type InFlight, type Queue } from './in-flight.js';
import { KeepAlive } from './keep-alive.js';
import { MessageAction, type MessageOutcome } from './message-outcome.js';
import { createPool } from './pool/create-pool.js';
import type { Pool } from './pool/pool.js';
import { weightedQueues } from './queue-weights.js';
import { RegistryAgent } from './registry-agent.js';
import { setVisibility } from './set-visibility.js';
import { SlotPool } from './slot-pool.js';
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

  const counts: Record<string, number> = {};
  const inFlight = new Set<InFlight>();
  const receiving = new AbortController();
  const slots = new SlotPool(concurrency);
  const deletes = new DeleteBatcher(broker, log);
  const processed = (): number => Object.values(counts).reduce((sum, n) => sum + n, 0);
  const workerEvents = runtime.events
    ? new WorkerEvents(
        runtime.events,
        identity,
        { active: () => inFlight.size, processed },
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
          processed: { ...counts },
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
        broker,
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

  const settle = (entry: InFlight): void => {
    entry.keepAlive.stop();
    if (inFlight.delete(entry)) slots.release(entry.queue.name);
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
      counts[outcome.state] = (counts[outcome.state] ?? 0) + 1;
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
    const lanes = queue.fifo ? toLanes(entries, (entry) => entry.message.messageGroupId ?? '') : [entries];
    for (const lane of lanes) {
      if (!queue.fifo) {
        for (const entry of lane) void run(entry);
        continue;
      }
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

  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: receiving.signal }).catch(() => undefined);

  /** The queues consumed now, each with what stops its poller (`cancel_consumer`). */
  const consumers = new Map<string, AbortController>();

  const poll = async (queue: Queue, weight: number): Promise<void> => {
    const cancel = new AbortController();
    consumers.set(queue.name, cancel);
    slots.addQueue(queue.name, weight);
    cancel.signal.addEventListener('abort', () => slots.removeQueue(queue.name), { once: true });
    try {
      await pollUntilStopped(queue, cancel.signal);
    } finally {
      if (consumers.get(queue.name) === cancel) {
        consumers.delete(queue.name);
        slots.removeQueue(queue.name);
      }
    }
  };

  const pollUntilStopped = async (queue: Queue, cancelled: AbortSignal): Promise<void> => {
    log(`worker ${identity.hostname} consuming ${queue.name} (${queue.url})`);
    while (!receiving.signal.aborted && !cancelled.aborted) {
      const queueCount = Math.max(1, consumers.size);
      // Each queue reserves at most its weight's share of the slots (slot-pool.ts).
      const want = await slots.reserve(queue.name);
      if (receiving.signal.aborted || cancelled.aborted || want <= 0) {
        slots.settle(queue.name, want, 0);
        break;
      }
      // With every slot now reserved, other queues wait for this poll: keep it short then.
      const wait = queueCount > 1 && slots.free <= 0 ? Math.min(1, waitTimeSeconds) : waitTimeSeconds;
      let messages: ReceivedMessage[];
      try {
        // Not aborted on stop: an aborted poll may already have taken messages, which would stay invisible.
        messages = await broker.receive(queue.url, {
          maxMessages: want,
          waitTimeSeconds: wait,
          visibilityTimeoutSeconds: visibility,
        });
      } catch (error) {
        slots.settle(queue.name, want, 0);
        log(`receive from ${queue.name} failed: ${describeError(error)}; retrying in 1 s`, LogLevel.WARN);
        await pause(1000);
        continue;
      }
      if (receiving.signal.aborted) {
        slots.settle(queue.name, want, 0);
        if (messages.length > 0) {
          // Received while stopping: hand them straight back.
          await broker
            .changeVisibility(
              queue.url,
              messages.map((m) => ({ receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 })),
            )
            .catch((error: unknown) =>
              log(`could not hand back ${messages.length} message(s): ${describeError(error)}`),
            );
        }
        break;
      }
      slots.settle(queue.name, want, messages.length);
      dispatch(queue, messages);
      // Without long polling an empty queue would be asked again at once, in a tight loop (kombu waits its
      // `polling_interval`, 1 s, in the same case).
      if (messages.length === 0 && waitTimeSeconds < 1) await pause(1000);
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

  return { identity, stop, stopped, counts };
}
