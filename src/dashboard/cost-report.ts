/**
 * The Cost page: requests and dollars per task name. The tasks are counted from the task index over a window;
 * each task is priced with the AWS calls a celeriac task makes, as counted on the emulator (BENCHMARKS.md,
 * "Requests per task by guarantee": SendMessageBatch 0.10, ReceiveMessage 0.10, DeleteMessageBatch 0.10, PutItem
 * 1.00, UpdateItem 1.00), at the AWS list prices below. It is an estimate: a retry is one more run, a payload
 * above the S3 threshold adds an S3 PUT and GET, and free tiers are not subtracted.
 */
import { CELERIAC_REQUESTS, LIST_PRICES } from '../cost/cost-model.js';
import type { TaskIndex } from '../ports/task-index.js';

/** The list prices used, in US dollars per million requests (us-east-1): those of `src/cost/cost-model.ts`. */
export const PRICES = {
  /** SQS standard queue, per million requests (each 64 KiB chunk of a request is one). */
  sqsRequest: LIST_PRICES.sqsPerMillionRequests,
  /** DynamoDB on-demand, per million write request units (an item up to 1 KB). */
  dynamodbWrite: LIST_PRICES.dynamodbPerMillionWriteUnits,
  /** Lambda, per million invocations (duration not included). */
  lambdaInvocation: LIST_PRICES.lambdaPerMillionInvocations,
} as const;

/** AWS requests per task, as counted (see the module's header and `CELERIAC_REQUESTS`). */
export const REQUESTS_PER_TASK = {
  sqs: CELERIAC_REQUESTS.batchedSend + CELERIAC_REQUESTS.workerReceive + CELERIAC_REQUESTS.delete,
  dynamodbWrites: CELERIAC_REQUESTS.writes['effectively-once'],
  /** One invocation per batch of ten messages, on a Lambda worker. */
  lambdaInvocations: 0.1,
} as const;

/** One task name's line. */
export interface CostLine {
  readonly name: string;
  readonly tasks: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly requests: {
    readonly sqs: number;
    readonly dynamodbWrites: number;
    readonly lambdaInvocations: number;
  };
  readonly dollars: number;
}

/** The Cost page. */
export interface CostReport {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly prices: typeof PRICES;
  readonly requestsPerTask: typeof REQUESTS_PER_TASK;
  readonly lines: readonly CostLine[];
  readonly totalDollars: number;
}

/** The most tasks counted per name (the index query's limit). */
const MAX_TASKS_PER_NAME = 10_000;

/** Counts each task name's tasks in `[sinceMs, untilMs]` and prices them. */
export async function costReport(
  index: TaskIndex,
  names: readonly string[],
  window: { readonly sinceMs: number; readonly untilMs: number },
): Promise<CostReport> {
  const lines = await Promise.all(
    names.map(async (name): Promise<CostLine> => {
      const entries = await index.query({ name, ...window, limit: MAX_TASKS_PER_NAME });
      const byState: Record<string, number> = {};
      for (const entry of entries) byState[entry.state] = (byState[entry.state] ?? 0) + 1;
      const tasks = entries.length;
      const requests = {
        sqs: tasks * REQUESTS_PER_TASK.sqs,
        dynamodbWrites: tasks * REQUESTS_PER_TASK.dynamodbWrites,
        lambdaInvocations: tasks * REQUESTS_PER_TASK.lambdaInvocations,
      };
      const dollars =
        (requests.sqs * PRICES.sqsRequest +
          requests.dynamodbWrites * PRICES.dynamodbWrite +
          requests.lambdaInvocations * PRICES.lambdaInvocation) /
        1_000_000;
      return { name, tasks, byState, requests, dollars };
    }),
  );
  return {
    ...window,
    prices: PRICES,
    requestsPerTask: REQUESTS_PER_TASK,
    lines: lines.sort((a, b) => b.dollars - a.dollars || a.name.localeCompare(b.name)),
    totalDollars: lines.reduce((sum, line) => sum + line.dollars, 0),
  };
}
