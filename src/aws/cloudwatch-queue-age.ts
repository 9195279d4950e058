/**
 * The age of a queue's oldest message. SQS's API does not report it; CloudWatch's `AWS/SQS`
 * `ApproximateAgeOfOldestMessage` does, once a minute for active queues. An emulator publishes no SQS metrics, so
 * there the age is unknown (`null`), as it is for a queue that has been idle, and when the credentials may not
 * read metrics (the answer then says which IAM action is missing).
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { awsErrorName } from './aws-error.js';

/** How far back a datapoint is looked for: SQS publishes every minute, sometimes late. */
const LOOKBACK_MS = 10 * 60_000;
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);

/** The oldest message's age, or why it is not known. */
export interface QueueAge {
  readonly seconds: number | null;
  /** Why `seconds` is null, for the operator. */
  readonly note?: string;
}

/** Options for {@link CloudWatchQueueAge}. */
export interface CloudWatchQueueAgeOptions {
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  /** A client of the caller's own (tests); default one from region and endpoint. */
  readonly client?: CloudWatchClient;
  readonly now?: () => number;
}

/** Reads `ApproximateAgeOfOldestMessage` for queues by SQS name. */
export class CloudWatchQueueAge {
  readonly #client: CloudWatchClient;
  readonly #now: () => number;

  constructor(options: CloudWatchQueueAgeOptions = {}) {
    this.#client =
      options.client ??
      new CloudWatchClient({
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      });
    this.#now = options.now ?? Date.now;
  }

  /** The latest datapoint of the last ten minutes, in seconds. */
  async of(queueName: string): Promise<QueueAge> {
    const now = this.#now();
    try {
      const answer = await this.#client.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - LOOKBACK_MS),
          EndTime: new Date(now),
          ScanBy: 'TimestampDescending',
          MetricDataQueries: [
            {
              Id: 'age',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'ApproximateAgeOfOldestMessage',
                  Dimensions: [{ Name: 'QueueName', Value: queueName }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        }),
      );
      const values = answer.MetricDataResults?.[0]?.Values ?? [];
      const latest = values[0];
      return latest === undefined
        ? {
            seconds: null,
            note: 'no CloudWatch datapoint in the last 10 minutes (an idle queue, or an emulator)',
          }
        : { seconds: Math.round(latest) };
    } catch (error) {
      const name = awsErrorName(error) ?? 'Error';
      if (DENIED.has(name)) {
        return { seconds: null, note: 'permission denied: grant cloudwatch:GetMetricData to read it' };
      }
      return { seconds: null, note: `CloudWatch GetMetricData failed: ${name}` };
    }
  }

  close(): void {
    this.#client.destroy();
  }
}
