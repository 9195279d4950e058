/**
 * What SQS's API does not say about a queue, from CloudWatch's `AWS/SQS` metrics, published once a minute for
 * active queues: the age of the oldest message (`ApproximateAgeOfOldestMessage`), and how many messages were sent
 * (`NumberOfMessagesSent`) and deleted, that is processed (`NumberOfMessagesDeleted`), per minute. One
 * `GetMetricData` request reads all three. An emulator publishes no SQS metrics, so there they are unknown
 * (`null`), as they are for a queue that has been idle, and when the credentials may not read metrics (the answer
 * then says which IAM action is missing).
 */
import { CloudWatchClient, GetMetricDataCommand, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { awsErrorName } from './aws-error.js';
import { type SdkClientOptions, sdkClientConfig } from './clients.js';

/** How far back the oldest message's age is looked for: SQS publishes every minute, sometimes late. */
const LOOKBACK_MS = 10 * 60_000;
/** The rates are averages over the last five one-minute datapoints. */
const RATE_MINUTES = 5;
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** A queue's CloudWatch figures; each is `null` when unknown, and `note` says why. */
export interface QueueMetrics {
  /** Age of the oldest message in seconds: the latest datapoint of the last 10 minutes. */
  readonly oldestAgeSeconds: number | null;
  /** Messages sent per minute, averaged over the last 5 minutes. */
  readonly sentPerMinute: number | null;
  /** Messages deleted (processed) per minute, averaged over the last 5 minutes. */
  readonly deletedPerMinute: number | null;
  /** Why a figure is null, for the operator. */
  readonly note?: string;
}

/** Options for {@link CloudWatchQueueMetrics}. */
export interface CloudWatchQueueMetricsOptions extends SdkClientOptions {
  /** A client of the caller's own; default one from region, endpoint and timeouts. */
  readonly client?: CloudWatchClient;
  readonly now?: () => number;
}

const QUERIES = [
  { id: 'age', metric: 'ApproximateAgeOfOldestMessage', stat: 'Maximum' },
  { id: 'sent', metric: 'NumberOfMessagesSent', stat: 'Sum' },
  { id: 'deleted', metric: 'NumberOfMessagesDeleted', stat: 'Sum' },
] as const;

/** Reads a queue's CloudWatch figures by its SQS name. */
export class CloudWatchQueueMetrics {
  readonly #client: CloudWatchClient;
  readonly #now: () => number;

  constructor(options: CloudWatchQueueMetricsOptions = {}) {
    this.#client = options.client ?? new CloudWatchClient(sdkClientConfig(options));
    this.#now = options.now ?? Date.now;
  }

  /** The three figures of one queue; never throws (a failure becomes `null`s and a note). */
  async of(queueName: string): Promise<QueueMetrics> {
    const now = this.#now();
    let results: MetricDataResult[];
    try {
      const answer = await this.#client.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - LOOKBACK_MS),
          EndTime: new Date(now),
          ScanBy: 'TimestampDescending',
          MetricDataQueries: QUERIES.map(({ id, metric, stat }) => ({
            Id: id,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: metric,
                Dimensions: [{ Name: 'QueueName', Value: queueName }],
              },
              Period: 60,
              Stat: stat,
            },
          })),
        }),
      );
      results = answer.MetricDataResults ?? [];
    } catch (error) {
      const name = awsErrorName(error) ?? 'Error';
      const note = DENIED.has(name)
        ? 'permission denied: grant cloudwatch:GetMetricData to read it'
        : `CloudWatch GetMetricData failed: ${name}`;
      return { oldestAgeSeconds: null, sentPerMinute: null, deletedPerMinute: null, note };
    }
    const series = (id: string) => results.find((result) => result.Id === id);
    const age = series('age')?.Values?.[0];
    const sent = perMinute(series('sent'), now);
    const deleted = perMinute(series('deleted'), now);
    const missing = [
      ...(age === undefined ? ['ApproximateAgeOfOldestMessage'] : []),
      ...(sent === null ? ['NumberOfMessagesSent'] : []),
      ...(deleted === null ? ['NumberOfMessagesDeleted'] : []),
    ];
    return {
      oldestAgeSeconds: age === undefined ? null : Math.round(age),
      sentPerMinute: sent,
      deletedPerMinute: deleted,
      ...(missing.length > 0
        ? {
            note: `no CloudWatch datapoint in the last 10 minutes for ${missing.join(', ')} (an idle queue, or an emulator)`,
          }
        : {}),
    };
  }

  close(): void {
    this.#client.destroy();
  }
}

/** The average per minute of a Sum series over the last {@link RATE_MINUTES} minutes; null with no datapoint. */
function perMinute(result: MetricDataResult | undefined, now: number): number | null {
  const values = result?.Values ?? [];
  const stamps = result?.Timestamps ?? [];
  if (values.length === 0) return null;
  const since = now - RATE_MINUTES * 60_000;
  let total = 0;
  for (const [i, value] of values.entries()) {
    const at = stamps[i]?.getTime();
    if (at === undefined || at >= since) total += value;
  }
  return Math.round((total / RATE_MINUTES) * 10) / 10;
}
