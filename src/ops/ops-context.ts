/**
 * What every operator action works with: the app (its settings, result store, queue routing), the SQS admin
 * adapter, the redrive, and the worker registry's control client when the registry is on. The CLI builds one per
 * command; a long-running host (the dashboard) keeps one.
 */
import type { App } from '../app.js';
import { type AwsClients, createAwsClients } from '../aws/clients.js';
import { CloudWatchQueueMetrics, type QueueMetrics } from '../aws/cloudwatch-queue-metrics.js';
import { QueueNotFoundError } from '../aws/queue-admin-errors.js';
import { type RedriveOptions, type RedriveReport, redriveDeadLetters } from '../aws/redrive-dead-letters.js';
import { isQueueUrl, SqsQueueAdmin } from '../aws/sqs-queue-admin.js';
import { ControlClient } from '../monitoring/control-client.js';

/** The operator layer's dependencies. */
export interface OpsContext {
  readonly app: App;
  readonly queues: SqsQueueAdmin;
  /** Moves dead letters back (`redriveDeadLetters` on this context's SQS client). */
  readonly redrive: (options: RedriveOptions) => Promise<RedriveReport>;
  /** The worker registry, or `undefined` when it is off (no task index, no `events.workerRegistry`). */
  readonly control: ControlClient | undefined;
  /**
   * A queue's CloudWatch figures by SQS name: the oldest message's age (`ApproximateAgeOfOldestMessage`) and the
   * messages sent and deleted per minute, which SQS's API does not report.
   */
  readonly queueMetrics: (sqsName: string) => Promise<QueueMetrics>;
  /** Closes the clients' sockets. */
  close(): void;
}

/**
 * Builds the context for an app, with SDK clients of its own (or the ones given).
 *
 * @example
 * const ops = createOpsContext(createApp());
 * try { console.log(await statusSnapshot(ops)); } finally { ops.close(); }
 */
export function createOpsContext(
  app: App,
  clients: Pick<AwsClients, 'sqs'> = createAwsClients(app.config),
): OpsContext {
  const { sqs } = clients;
  const monitoring = app.runtime.monitoring;
  let metrics: CloudWatchQueueMetrics | undefined;
  return {
    app,
    queues: new SqsQueueAdmin(sqs),
    redrive: (options) => redriveDeadLetters(sqs, options),
    control: monitoring ? new ControlClient(monitoring, app.runtime.clock) : undefined,
    queueMetrics: (sqsName) => {
      metrics ??= new CloudWatchQueueMetrics(app.config);
      return metrics.of(sqsName);
    },
    close: () => {
      sqs.destroy();
      metrics?.close();
    },
  };
}

/**
 * The URL of a queue given as a Celery queue name (mapped by `queueUrls` / CELERIAC_QUEUE_URLS, else by the
 * name kombu gives it), an SQS queue name or a URL.
 *
 * @throws {QueueNotFoundError} naming the queue when none exists.
 */
export async function resolveQueue(ctx: OpsContext, queue: string): Promise<string> {
  if (isQueueUrl(queue)) return queue;
  const explicit = ctx.app.config.queueUrls[queue];
  if (explicit !== undefined) return explicit;
  let sqsName: string;
  try {
    sqsName = ctx.app.runtime.queues.sqsName(queue);
  } catch {
    // Not a Celery queue name SQS accepts: try it as it is, for the adapter to name in its error.
    return await ctx.queues.resolve(queue);
  }
  try {
    return await ctx.queues.resolve(sqsName);
  } catch (error) {
    // An SQS name given as it is (with the prefix already, say) rather than a Celery queue name.
    if (!(error instanceof QueueNotFoundError) || sqsName === queue) throw error;
    try {
      return await ctx.queues.resolve(queue);
    } catch {
      throw error;
    }
  }
}

/** The Celery queues the app knows: its default queue and every queue of `queueUrls`. */
export function knownQueues(ctx: OpsContext): string[] {
  return [...new Set([ctx.app.config.defaultQueue, ...Object.keys(ctx.app.config.queueUrls)])];
}
