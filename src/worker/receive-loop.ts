/**
 * One queue's poller in the long-running worker: it reserves room (`slot-pool.ts`: a full batch, when it is this
 * queue's turn by weight), receives into it, and hands what came to the host, until the worker stops or the queue
 * is no longer consumed. A long poll under way when the worker stops is let finish (an aborted poll may already
 * have taken messages, which would stay invisible for the whole visibility timeout), and what it brings is handed
 * straight back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LogLevel } from '../monitoring/json-log.js';
import type { Broker, ReceivedMessage } from '../ports/broker.js';
import { describeError } from './execution-context.js';
import type { Queue } from './in-flight.js';
import type { SlotPool } from './slot-pool.js';

/** What {@link receiveUntilStopped} needs from its worker. */
export interface ReceiveLoopContext {
  readonly broker: Broker;
  readonly slots: SlotPool;
  /** Aborted when the worker stops receiving. */
  readonly receiving: AbortSignal;
  /** The long-poll wait, seconds. */
  readonly waitTimeSeconds: number;
  /** The visibility timeout of received messages, seconds. */
  readonly visibilitySeconds: number;
  /** Takes received messages in (their slots are already held). */
  readonly dispatch: (queue: Queue, messages: readonly ReceivedMessage[]) => void;
  readonly log: (line: string, level?: LogLevel) => void;
}

/** Polls `queue` until the worker stops receiving or `cancelled` aborts. */
export async function receiveUntilStopped(
  ctx: ReceiveLoopContext,
  queue: Queue,
  cancelled: AbortSignal,
): Promise<void> {
  const { broker, slots, receiving, waitTimeSeconds, log } = ctx;
  const pause = (ms: number): Promise<void> =>
    sleep(ms, undefined, { signal: receiving }).catch(() => undefined);
  while (!receiving.aborted && !cancelled.aborted) {
    // A full batch, to the queue whose turn it is by weight (slot-pool.ts).
    const want = await slots.reserve(queue.name);
    if (receiving.aborted || cancelled.aborted || want <= 0) {
      slots.settle(queue.name, want, 0);
      break;
    }
    // With several queues, a busy one's poll is kept short and an idle one's probe does not wait (slot-pool.ts).
    const wait = slots.waitFor(queue.name, waitTimeSeconds);
    let messages: ReceivedMessage[];
    try {
      // Not aborted on stop: an aborted poll may already have taken messages, which would stay invisible.
      messages = await broker.receive(queue.url, {
        maxMessages: want,
        waitTimeSeconds: wait,
        visibilityTimeoutSeconds: ctx.visibilitySeconds,
      });
    } catch (error) {
      slots.settle(queue.name, want, 0);
      log(`receive from ${queue.name} failed: ${describeError(error)}; retrying in 1 s`, LogLevel.WARN);
      await pause(1000);
      continue;
    }
    if (receiving.aborted) {
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
    ctx.dispatch(queue, messages);
    // Without long polling an empty queue would be asked again at once, in a tight loop (kombu waits its
    // `polling_interval`, 1 s, in the same case).
    if (messages.length === 0 && waitTimeSeconds < 1) await pause(1000);
  }
}
