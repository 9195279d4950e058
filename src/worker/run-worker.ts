/**
 * The long-running worker behind `celeriac worker`: long-polls one or more queues and feeds the execution core,
 * with bounded concurrency.
 *
 * How the options interact:
 * - Every queue is resolved before anything is received; a queue that cannot be found stops the worker at once,
 *   with the reason.
 * - Each queue has one poller. Pollers reserve free slots before they ask SQS for messages (at most 10, at most
 *   their queue's share of `concurrency`, and no more than the slots they reserved), so `concurrency` bounds the
 *   tasks of all queues together and nothing waits in memory unstarted. While every slot is reserved, a poller
 *   long-polls for at most a second, so the other queues get their turn.
 * - Received messages are invisible for `visibilityTimeoutSeconds`. While a task runs, a heartbeat every half of
 *   that extends the message's visibility and the task's claim lease together, so a long task is neither
 *   redelivered nor taken over. (A task that blocks the event loop for longer stops the heartbeat: tasks should
 *   yield, as any Node.js code should.)
 * - On a FIFO queue, the messages of one message group run one after another, in order; when one of them is not
 *   done (it waits for its ETA, or failed to record), the rest of its group goes back to the queue behind it.
 * - Finished messages are deleted in batches of up to 10.
 * - `stop()` (SIGTERM/SIGINT in the CLI) stops receiving at once, then waits up to `shutdownTimeoutMs` for
 *   running tasks. Tasks still running then are handed back: their signal aborts with `WorkerShutdown`, their claim
 *   is released and their message made visible, so another worker runs them. Nothing is lost: every message ends
 *   deleted after its outcome was stored, or back on the queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '../app.js';
import { WorkerShutdown } from '../errors.js';
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
  /** Settles when the worker has stopped; rejects when it could not start (a queue that does not exist). */
  readonly stopped: Promise<void>;
  /** Messages processed so far, by final state. */
  readonly counts: Readonly<Record<string, number>>;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly fifo: boolean;
}

interface InFlight {
  readonly queue: Queue;
  readonly message: ReceivedMessage;
  readonly abort: AbortController;
  readonly heartbeat: NodeJS.Timeout;
  claim?: { readonly taskId: string; readonly owner: string };
  done?: Promise<MessageOutcome | undefined>;
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
  const queueNames = options.queues?.length ? options.queues : [app.config.defaultQueue];
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const visibility = Math.max(2, options.visibilityTimeoutSeconds ?? 60);
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  const { broker, results, clock } = app.transport;
  const log = (line: string): void => {
    try {
      (options.log ?? console.log)(line);
    } catch {
      // A failing log sink must not take the worker down.
    }
  };

  const counts: Record<string, number> = {};
  const inFlight = new Set<InFlight>();
  const receiving = new AbortController();
  const pendingDeletes = new Map<string, string[]>();
  let reserved = 0;
  const freeSlots = (): number => concurrency - inFlight.size - reserved;
  // Pollers waiting for slots, first come first served: freed slots are handed to the longest-waiting poller
  // directly, so a poller that just received cannot take them again before the others get a turn.
  const slotWaiters: { readonly share: number; readonly grant: (slots: number) => void }[] = [];
  const slotFreed = (): void => {
    for (;;) {
      const free = receiving.signal.aborted ? 0 : freeSlots();
      const waiter = slotWaiters[0];
      if (!waiter || (free <= 0 && !receiving.signal.aborted)) return;
      slotWaiters.shift();
      const slots = Math.min(10, Math.max(free, 0), waiter.share);
      reserved += slots;
      waiter.grant(slots);
    }
  };
  /** Reserves up to `share` free slots (at most 10), waiting for a turn when none is free; 0 when stopping. */
  const reserveSlots = (share: number): Promise<number> => {
    const free = freeSlots();
    if (receiving.signal.aborted) return Promise.resolve(0);
    if (slotWaiters.length === 0 && free > 0) {
      const slots = Math.min(10, free, share);
      reserved += slots;
      return Promise.resolve(slots);
    }
    return new Promise((grant) => slotWaiters.push({ share, grant }));
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

  const setVisibility = async (entry: InFlight, seconds: number, what: string): Promise<void> => {
    try {
      const [failed] = await broker.changeVisibility(entry.queue.url, [
        { receiptHandle: entry.message.receiptHandle, visibilityTimeoutSeconds: seconds },
      ]);
      if (failed) log(`could not ${what} ${entry.message.messageId}: ${failed.code} ${failed.message}`);
    } catch (error) {
      log(`could not ${what} ${entry.message.messageId}: ${String(error)}`);
    }
  };

  /** Takes a received message in: it holds a slot and its visibility is kept up until it is settled. */
  const track = (queue: Queue, message: ReceivedMessage): InFlight => {
    const entry: InFlight = {
      queue,
      message,
      abort: new AbortController(),
      heartbeat: setInterval(
        () => {
          void setVisibility(entry, visibility, 'extend the visibility of');
          if (entry.claim) {
            void results
              .renewClaim({ ...entry.claim, leaseMs: visibility * 1000, nowMs: clock.now() })
              .catch((error: unknown) =>
                log(`lease renewal for ${entry.claim?.taskId} failed: ${String(error)}`),
              );
          }
        },
        (visibility * 1000) / 2,
      ),
    };
    inFlight.add(entry);
    return entry;
  };

  const release = (entry: InFlight): void => {
    clearInterval(entry.heartbeat);
    inFlight.delete(entry);
    slotFreed();
  };

  /** Runs a tracked message and carries its outcome out; undefined when it was handed back during shutdown. */
  const run = (entry: InFlight): Promise<MessageOutcome | undefined> => {
    const startedAt = clock.now();
    entry.done = executeMessage(
      { ...entry.message, queueUrl: entry.queue.url },
      {
        app,
        identity,
        leaseMs: visibility * 1000,
        queueName: entry.queue.name,
        signal: entry.abort.signal,
        log,
        onClaimed: (claim) => {
          entry.claim = claim;
        },
      },
    ).then(async (outcome) => {
      if (!inFlight.has(entry)) return undefined; // handed back during shutdown
      counts[outcome.state] = (counts[outcome.state] ?? 0) + 1;
      log(formatOutcome(outcome, clock.now() - startedAt));
      try {
        options.onOutcome?.(outcome);
      } catch (error) {
        log(`onOutcome failed: ${String(error)}`);
      }
      if (outcome.action === 'delete') scheduleDelete(entry.queue.url, entry.message.receiptHandle);
      else if (outcome.action === 'retry-later' && outcome.delaySeconds !== undefined) {
        await setVisibility(entry, outcome.delaySeconds, 'delay');
      }
      release(entry);
      return outcome;
    });
    return entry.done;
  };

  /** FIFO: one message group's messages in order; the rest of the group goes back after one that is not done. */
  const runLane = async (lane: InFlight[]): Promise<void> => {
    for (let i = 0; i < lane.length; i++) {
      const entry = lane[i] as InFlight;
      const outcome = await run(entry);
      if (outcome?.action !== 'delete') {
        for (const rest of lane.slice(i + 1)) {
          if (!inFlight.has(rest)) continue;
          await setVisibility(rest, 0, 'return');
          release(rest);
        }
        return;
      }
    }
  };

  const dispatch = (queue: Queue, messages: readonly ReceivedMessage[]): void => {
    const entries = messages.map((message) => track(queue, message));
    if (!queue.fifo) {
      for (const entry of entries) void run(entry);
      return;
    }
    const lanes = new Map<string, InFlight[]>();
    for (const entry of entries) {
      const group = entry.message.messageGroupId ?? '';
      lanes.set(group, [...(lanes.get(group) ?? []), entry]);
    }
    for (const lane of lanes.values()) void runLane(lane);
  };

  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: receiving.signal }).catch(() => undefined);

  const poll = async (queue: Queue, queueCount: number): Promise<void> => {
    // Each queue reserves at most its share of the slots, so one queue's long poll cannot hold every slot.
    const share = Math.max(1, Math.ceil(concurrency / queueCount));
    log(`worker ${identity.hostname} consuming ${queue.name} (${queue.url})`);
    while (!receiving.signal.aborted) {
      const want = await reserveSlots(share);
      if (receiving.signal.aborted || want <= 0) {
        reserved -= want;
        break;
      }
      // With every slot now reserved, other queues wait for this poll: keep it short then.
      const wait = queueCount > 1 && freeSlots() <= 0 ? Math.min(1, waitTimeSeconds) : waitTimeSeconds;
      let messages: ReceivedMessage[];
      try {
        messages = await broker.receive(queue.url, {
          maxMessages: want,
          waitTimeSeconds: wait,
          visibilityTimeoutSeconds: visibility,
          signal: receiving.signal,
        });
      } catch (error) {
        reserved -= want;
        slotFreed();
        log(`receive from ${queue.name} failed: ${String(error)}; retrying in 1 s`);
        await pause(1000);
        continue;
      }
      reserved -= want;
      if (receiving.signal.aborted) {
        // Received while stopping: hand them straight back.
        await broker
          .changeVisibility(
            queue.url,
            messages.map((m) => ({ receiptHandle: m.receiptHandle, visibilityTimeoutSeconds: 0 })),
          )
          .catch(() => undefined);
        break;
      }
      dispatch(queue, messages);
      slotFreed();
      // Without long polling an empty queue would be asked again at once, in a tight loop (kombu waits its
      // `polling_interval`, 1 s, in the same case).
      if (messages.length === 0 && waitTimeSeconds < 1) await pause(1000);
    }
  };

  const started = (async (): Promise<PromiseSettledResult<void>[]> => {
    const queues = await Promise.all(
      queueNames.map(async (name): Promise<Queue> => {
        try {
          const url = await app.router.urlFor(name);
          return { name, url, fifo: url.endsWith('.fifo') };
        } catch (error) {
          log(`cannot consume ${name}: ${error instanceof Error ? error.message : String(error)}`);
          throw error;
        }
      }),
    );
    return Promise.allSettled(queues.map((queue) => poll(queue, queues.length)));
  })();
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      receiving.abort();
      slotFreed();
      await started.catch(() => undefined);
      const running = [...inFlight].map((entry) => entry.done ?? Promise.resolve(undefined));
      await Promise.race([Promise.all(running), sleep(shutdownTimeoutMs, undefined, { ref: false })]);
      const unfinished = [...inFlight];
      if (unfinished.length > 0) log(`handing ${unfinished.length} running task(s) back to the queue`);
      for (const entry of unfinished) {
        release(entry);
        entry.abort.abort(new WorkerShutdown());
        if (entry.claim) {
          await results.renewClaim({ ...entry.claim, leaseMs: 0, nowMs: clock.now() }).catch(() => undefined);
        }
        await setVisibility(entry, 0, 'hand back');
      }
      await flushDeletes();
    })();
    return stopping;
  };

  const stopped = started.then(
    async (settled) => {
      await stop();
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );

  return { identity, stop, stopped, counts };
}
