/**
 * Visibility changes of the long-running worker's heartbeats, sent in batches. Every message's heartbeat extends
 * its visibility each half visibility timeout (`keep-alive.ts`); the messages of one receive start their
 * heartbeats together, so their extensions come due in the same timer tick. Changes asked for within
 * `lingerMs` of each other go to SQS as one `ChangeMessageVisibilityBatch` per queue (up to 10 entries), each
 * caller getting its own entry's failure, as if it had sent alone.
 */
import type { BatchEntryFailure, Broker } from '../ports/broker.js';
import { SQS_MAX_BATCH_ENTRIES } from '../ports/service-limits.js';

/** How long a change waits for others to join its batch, milliseconds. */
export const VISIBILITY_LINGER_MS = 10;

interface Pending {
  readonly receiptHandle: string;
  readonly visibilityTimeoutSeconds: number;
  readonly settle: (failure: BatchEntryFailure | undefined) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * `broker` with `changeVisibility` batched across callers; every other operation goes straight to it.
 *
 * @example
 * const heartbeats = batchVisibilityChanges(broker);
 * await heartbeats.changeVisibility(queueUrl, [{ receiptHandle, visibilityTimeoutSeconds: 120 }]);
 */
export function batchVisibilityChanges(broker: Broker, lingerMs = VISIBILITY_LINGER_MS): Broker {
  const pending = new Map<string, Pending[]>();
  const timers = new Map<string, NodeJS.Timeout>();

  const flush = (queueUrl: string): void => {
    clearTimeout(timers.get(queueUrl));
    timers.delete(queueUrl);
    const entries = pending.get(queueUrl) ?? [];
    pending.delete(queueUrl);
    for (let start = 0; start < entries.length; start += SQS_MAX_BATCH_ENTRIES) {
      const batch = entries.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      broker
        .changeVisibility(
          queueUrl,
          batch.map(({ receiptHandle, visibilityTimeoutSeconds }) => ({
            receiptHandle,
            visibilityTimeoutSeconds,
          })),
        )
        .then(
          (failures) => {
            const byIndex = new Map(failures.map((f) => [f.index, f]));
            batch.forEach((entry, i) => {
              const failure = byIndex.get(i);
              entry.settle(failure === undefined ? undefined : { ...failure, index: 0 });
            });
          },
          (error: unknown) => {
            for (const entry of batch) entry.fail(error);
          },
        );
    }
  };

  const one = (queueUrl: string, receiptHandle: string, visibilityTimeoutSeconds: number) =>
    new Promise<BatchEntryFailure | undefined>((settle, fail) => {
      const list = pending.get(queueUrl) ?? [];
      list.push({ receiptHandle, visibilityTimeoutSeconds, settle, fail });
      pending.set(queueUrl, list);
      if (list.length >= SQS_MAX_BATCH_ENTRIES) flush(queueUrl);
      else if (!timers.has(queueUrl))
        timers.set(
          queueUrl,
          setTimeout(() => flush(queueUrl), lingerMs),
        );
    });

  return {
    queueUrl: (name) => broker.queueUrl(name),
    send: (queueUrl, messages) => broker.send(queueUrl, messages),
    receive: (queueUrl, options) => broker.receive(queueUrl, options),
    delete: (queueUrl, receiptHandles) => broker.delete(queueUrl, receiptHandles),
    async changeVisibility(queueUrl, entries) {
      const results = await Promise.all(
        entries.map((e) => one(queueUrl, e.receiptHandle, e.visibilityTimeoutSeconds)),
      );
      return results.flatMap((failure, index) => (failure === undefined ? [] : [{ ...failure, index }]));
    },
  };
}
