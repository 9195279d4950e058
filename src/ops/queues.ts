/** Queue depths and purges, by Celery queue name, SQS name or URL. */
import type { QueueDepth } from '../aws/sqs-queue-admin.js';
import { knownQueues, type OpsContext, resolveQueue } from './ops-context.js';

/** A queue and its dead-letter queue. */
export interface QueueStatus extends QueueDepth {
  /** The name the operator gave (a Celery queue name, an SQS name or a URL). */
  readonly queue: string;
  /**
   * Age of the oldest message in seconds, from CloudWatch (`ApproximateAgeOfOldestMessage`: SQS's API does not
   * report it); `null` when CloudWatch has no recent datapoint (an idle queue, an emulator) or may not be read.
   */
  readonly oldestAgeSeconds: number | null;
  /** Messages sent per minute over the last 5 minutes (CloudWatch `NumberOfMessagesSent`), or `null`. */
  readonly sentPerMinute: number | null;
  /** Messages deleted, that is processed, per minute over the last 5 minutes (`NumberOfMessagesDeleted`), or `null`. */
  readonly deletedPerMinute: number | null;
  /** Why a CloudWatch figure is null. */
  readonly metricsNote?: string;
  /** The dead-letter queue named by the redrive policy, with its depths. */
  readonly deadLetter?: QueueDepth;
}

/** The status of the queues named (default: the app's known queues). */
export async function queueStatus(
  ctx: OpsContext,
  queues: readonly string[] = knownQueues(ctx),
): Promise<QueueStatus[]> {
  return await Promise.all(
    queues.map(async (queue) => {
      const depth = await ctx.queues.depth(await resolveQueue(ctx, queue));
      const arn = depth.redrivePolicy?.deadLetterTargetArn;
      const [deadLetter, metrics] = await Promise.all([
        arn ? ctx.queues.depth(await ctx.queues.urlOfArn(arn)) : undefined,
        ctx.queueMetrics(depth.name),
      ]);
      return {
        ...depth,
        queue,
        oldestAgeSeconds: metrics.oldestAgeSeconds,
        sentPerMinute: metrics.sentPerMinute,
        deletedPerMinute: metrics.deletedPerMinute,
        ...(metrics.note ? { metricsNote: metrics.note } : {}),
        ...(deadLetter ? { deadLetter } : {}),
      };
    }),
  );
}

/** What {@link purgeQueues} did to one queue. */
export interface PurgeResult {
  readonly queue: string;
  readonly url: string;
  /** Messages in the queue just before the purge (SQS's approximate count). */
  readonly purged: number;
}

/**
 * Purges each queue. Every name is resolved first, so a misspelt second queue purges nothing.
 *
 * @throws {QueueNotFoundError} for a queue that does not exist; {@link PurgeInProgressError} within 60 s of a purge.
 */
export async function purgeQueues(ctx: OpsContext, queues: readonly string[]): Promise<PurgeResult[]> {
  const urls = await Promise.all(queues.map((queue) => resolveQueue(ctx, queue)));
  const results: PurgeResult[] = [];
  for (const [i, url] of urls.entries()) {
    results.push({ queue: queues[i] ?? url, url, purged: await ctx.queues.purge(url) });
  }
  return results;
}
