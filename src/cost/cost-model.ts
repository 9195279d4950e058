/**
 * What a task costs on AWS, from the requests counted per task and the durations measured, at AWS list prices
 * (us-east-1, free tiers not subtracted; DynamoDB on demand, or as provisioned capacity kept at a utilization). It prices one task mix for three hosts: celeriac on Lambda
 * (the event source mapping's batches of 10), celeriac on a container (`celeriac worker` on Fargate), and Python
 * Celery on a container, all with results stored in DynamoDB.
 *
 * Where each figure comes from:
 * - celeriac's requests per task are the floors `test/integration/request-floor.test.ts` (Lambda) and
 *   `test/integration/worker-request-floor.test.ts` (`celeriac worker`) assert by counting SDK calls;
 * - Python Celery's are those `bench/python-celery-rate.ts` records inside its processes (boto3 and kombu);
 * - a container's throughput is the caller's (default: the drain rates of BENCHMARKS.md on two vCPU).
 *
 * It is an estimate: a retry is one more run, a payload above the S3 threshold adds an S3 PUT and GET, a
 * container is priced as if kept busy, and provisioned DynamoDB capacity as if the load used the given share of it.
 */
import type { Guarantee } from '../task-options.js';

/** The list prices used, in US dollars (us-east-1). */
export const LIST_PRICES = {
  /** SQS standard queue, per million requests (each 64 KiB chunk of a request is one). */
  sqsPerMillionRequests: 0.4,
  /** DynamoDB on-demand, per million write request units (1 KiB each). */
  dynamodbPerMillionWriteUnits: 0.625,
  /** DynamoDB on-demand, per million read request units (4 KiB strongly consistent, 8 KiB eventually). */
  dynamodbPerMillionReadUnits: 0.125,
  /** DynamoDB provisioned capacity, per write capacity unit-hour (one 1 KiB write per second for an hour). */
  dynamodbPerWcuHour: 0.00065,
  /** DynamoDB provisioned capacity, per read capacity unit-hour (one strongly consistent 4 KiB read per second). */
  dynamodbPerRcuHour: 0.00013,
  /** Lambda, per million invocations. */
  lambdaPerMillionInvocations: 0.2,
  /** Lambda on arm64, per GB-second of duration. */
  lambdaPerGbSecond: 0.0000133334,
  /** Fargate on arm64 (Linux), per vCPU-hour. */
  fargatePerVcpuHour: 0.03238,
  /** Fargate on arm64 (Linux), per GB-hour of memory. */
  fargatePerGbHour: 0.00356,
} as const;

/** Requests per task of one host, by what they are. */
export interface RequestsPerTask {
  readonly sqsSend: number;
  readonly sqsReceive: number;
  readonly sqsDelete: number;
  /** DynamoDB write request units for an item of 1 KiB or less. */
  readonly dynamodbWrites: number;
  /** DynamoDB read request units the worker spends (not the caller's result reads). */
  readonly dynamodbReads: number;
}

/**
 * celeriac's counted floors per task. Sends are `sendTasks` batches (0.1) or single `delay()` calls (1).
 * The claim is one write and the result another; `at-least-once` writes once.
 */
export const CELERIAC_REQUESTS = {
  batchedSend: 0.1,
  singleSend: 1,
  /** The event source mapping's full batches of 10. */
  lambdaReceive: 0.1,
  /** `celeriac worker`'s full batches, as `test/integration/worker-request-floor.test.ts` counts them. */
  workerReceive: 0.1,
  delete: 0.1,
  /** Write units per task: `bulk` batches its writes (25 per BatchWriteItem), but each item is still billed. */
  writes: { 'effectively-once': 2, 'at-least-once': 1, bulk: 1 } satisfies Record<Guarantee, number>,
} as const;

/**
 * Python Celery 5.6 with the SQS transport and the DynamoDB backend, as recorded by `npm run bench:worker`:
 * one SendMessage per `apply_async`, receives of up to 10 (0.19 per task), one DeleteMessage per task, and a
 * GetItem (strongly consistent) before the PutItem of each result.
 */
export const PYTHON_CELERY_REQUESTS: RequestsPerTask = {
  sqsSend: 1,
  sqsReceive: 0.19,
  sqsDelete: 1,
  dynamodbWrites: 1,
  dynamodbReads: 1,
};

/** One kind of task in the mix. */
export interface TaskMixEntry {
  readonly name: string;
  /** How many tasks, e.g. per month. */
  readonly tasks: number;
  /** Default `effectively-once` ({@link MIX_DEFAULTS}). */
  readonly guarantee?: Guarantee;
  /** Average run time of one task in milliseconds (what Lambda bills as duration). Default 20. */
  readonly durationMs?: number;
  /** Size of the stored result item in KiB (write units are per KiB). Default 1. */
  readonly resultKiB?: number;
}

/** What a mix entry is priced with where it says nothing. */
export const MIX_DEFAULTS = {
  guarantee: 'effectively-once',
  durationMs: 20,
  resultKiB: 1,
} as const satisfies Required<Omit<TaskMixEntry, 'name' | 'tasks'>>;

/** How the results table can pay for DynamoDB: per request, or for capacity provisioned by the hour. */
export const DYNAMODB_BILLINGS = ['on-demand', 'provisioned'] as const;

/** How the results table pays for DynamoDB (one of {@link DYNAMODB_BILLINGS}). */
export type DynamodbBilling = (typeof DYNAMODB_BILLINGS)[number];

/** Whether `value` names a {@link DynamodbBilling}. */
export function isDynamodbBilling(value: unknown): value is DynamodbBilling {
  return (DYNAMODB_BILLINGS as readonly unknown[]).includes(value);
}

/** The hosts' settings. */
export interface CostAssumptions {
  /**
   * `on-demand` (the `ResultStore` default) or `provisioned` (`ResultStore`'s `provisionedCapacity`), priced per
   * capacity unit-hour at {@link CostAssumptions.provisionedUtilization}. Default `on-demand`.
   */
  readonly dynamodbBilling?: DynamodbBilling;
  /**
   * With provisioned capacity, the share of the capacity paid for that the load uses, in (0, 1]: auto scaling
   * keeps it near its target (default 70 %), a load that varies within the hour lowers it. Default 0.7.
   */
  readonly provisionedUtilization?: number;
  /** Whether producers send in batches (`sendTasks`, or coalesced `delay()` calls). Default false. */
  readonly batchedSends?: boolean;
  /** Lambda memory in MB. Default 512. */
  readonly lambdaMemoryMb?: number;
  /** Tasks one Lambda invocation runs at once (the batch's concurrency). Default 10. */
  readonly lambdaConcurrency?: number;
  /** Fargate task size. Default 2 vCPU, 4 GB. */
  readonly containerVcpu?: number;
  readonly containerMemoryGb?: number;
  /** Tasks per second one busy `celeriac worker` container drains. Default 500 (BENCHMARKS.md, fast emulators). */
  readonly celeriacTasksPerSecond?: number;
  /** Tasks per second one busy Python Celery container drains. Default 100 (threads pool, same run). */
  readonly pythonTasksPerSecond?: number;
}

/** One host's price for the mix. */
export interface HostCost {
  readonly host: 'celeriac on Lambda' | 'celeriac on a container' | 'Python Celery on a container';
  readonly requests: {
    readonly sqs: number;
    readonly dynamodbWrites: number;
    readonly dynamodbReads: number;
  };
  readonly dollars: {
    readonly sqs: number;
    readonly dynamodb: number;
    readonly compute: number;
    readonly total: number;
  };
  /** Total dollars per million tasks of the mix. */
  readonly perMillionTasks: number;
}

/** The mix priced on each host. */
export interface CostEstimate {
  readonly tasks: number;
  readonly prices: typeof LIST_PRICES;
  readonly assumptions: Required<CostAssumptions>;
  readonly hosts: readonly HostCost[];
}

const DEFAULTS: Required<CostAssumptions> = {
  dynamodbBilling: 'on-demand',
  provisionedUtilization: 0.7,
  batchedSends: false,
  lambdaMemoryMb: 512,
  lambdaConcurrency: 10,
  containerVcpu: 2,
  containerMemoryGb: 4,
  celeriacTasksPerSecond: 500,
  pythonTasksPerSecond: 100,
};

const perMillion = (count: number, price: number): number => (count * price) / 1_000_000;

function check(mix: readonly TaskMixEntry[], assumptions: Required<CostAssumptions>): void {
  for (const entry of mix) {
    for (const [field, value] of Object.entries({
      tasks: entry.tasks,
      durationMs: entry.durationMs ?? MIX_DEFAULTS.durationMs,
      resultKiB: entry.resultKiB ?? MIX_DEFAULTS.resultKiB,
    })) {
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(
          `Expected ${field} of ${JSON.stringify(entry.name)} to be a number >= 0, got ${value}`,
        );
      }
    }
  }
  for (const [field, value] of Object.entries(assumptions)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`Expected ${field} to be a number > 0, got ${value}`);
    }
  }
  if (assumptions.provisionedUtilization > 1) {
    throw new RangeError(
      `Expected provisionedUtilization to be a share of the capacity, at most 1, got ${assumptions.provisionedUtilization}`,
    );
  }
  if (!isDynamodbBilling(assumptions.dynamodbBilling)) {
    throw new RangeError(
      `Expected dynamodbBilling to be ${DYNAMODB_BILLINGS.join(' or ')}, got ${JSON.stringify(assumptions.dynamodbBilling)}`,
    );
  }
}

const SECONDS_PER_HOUR = 3600;

/**
 * Dollars per million write units and per million read units under `billing`. One provisioned unit serves one
 * request per second, so a million requests take 1,000,000 / 3,600 unit-hours, divided by the utilization.
 */
export function dynamodbUnitPrices(
  billing: DynamodbBilling,
  utilization: number,
): { readonly perMillionWrites: number; readonly perMillionReads: number } {
  if (billing === 'on-demand') {
    return {
      perMillionWrites: LIST_PRICES.dynamodbPerMillionWriteUnits,
      perMillionReads: LIST_PRICES.dynamodbPerMillionReadUnits,
    };
  }
  const unitHours = 1_000_000 / SECONDS_PER_HOUR / utilization;
  return {
    perMillionWrites: unitHours * LIST_PRICES.dynamodbPerWcuHour,
    perMillionReads: unitHours * LIST_PRICES.dynamodbPerRcuHour,
  };
}

/** Prices a task mix on Lambda, on a container, and as Python Celery on a container. */
export function estimateCost(mix: readonly TaskMixEntry[], options: CostAssumptions = {}): CostEstimate {
  const a: Required<CostAssumptions> = { ...DEFAULTS, ...options };
  check(mix, a);
  const tasks = mix.reduce((sum, entry) => sum + entry.tasks, 0);
  const send = a.batchedSends ? CELERIAC_REQUESTS.batchedSend : CELERIAC_REQUESTS.singleSend;
  const writeUnits = (perResult: (entry: TaskMixEntry) => number) =>
    mix.reduce(
      (sum, entry) =>
        sum + entry.tasks * perResult(entry) * Math.ceil(entry.resultKiB ?? MIX_DEFAULTS.resultKiB),
      0,
    );
  const celeriacWrites = writeUnits((e) => CELERIAC_REQUESTS.writes[e.guarantee ?? MIX_DEFAULTS.guarantee]);
  const containerHour =
    a.containerVcpu * LIST_PRICES.fargatePerVcpuHour + a.containerMemoryGb * LIST_PRICES.fargatePerGbHour;
  const unitPrices = dynamodbUnitPrices(a.dynamodbBilling, a.provisionedUtilization);

  const host = (
    name: HostCost['host'],
    sqs: number,
    dynamodbWrites: number,
    dynamodbReads: number,
    compute: number,
  ): HostCost => {
    const sqsDollars = perMillion(sqs, LIST_PRICES.sqsPerMillionRequests);
    const dynamodb =
      perMillion(dynamodbWrites, unitPrices.perMillionWrites) +
      perMillion(dynamodbReads, unitPrices.perMillionReads);
    const total = sqsDollars + dynamodb + compute;
    return {
      host: name,
      requests: { sqs, dynamodbWrites, dynamodbReads },
      dollars: { sqs: sqsDollars, dynamodb, compute, total },
      perMillionTasks: tasks === 0 ? 0 : (total / tasks) * 1_000_000,
    };
  };

  const invocations = tasks / 10;
  const gbSeconds = mix.reduce(
    (sum, e) =>
      sum +
      (e.tasks * (e.durationMs ?? MIX_DEFAULTS.durationMs) * (a.lambdaMemoryMb / 1024)) /
        1000 /
        a.lambdaConcurrency,
    0,
  );
  const lambda = host(
    'celeriac on Lambda',
    tasks * (send + CELERIAC_REQUESTS.lambdaReceive + CELERIAC_REQUESTS.delete),
    celeriacWrites,
    0,
    perMillion(invocations, LIST_PRICES.lambdaPerMillionInvocations) +
      gbSeconds * LIST_PRICES.lambdaPerGbSecond,
  );
  const container = host(
    'celeriac on a container',
    tasks * (send + CELERIAC_REQUESTS.workerReceive + CELERIAC_REQUESTS.delete),
    celeriacWrites,
    0,
    (tasks / a.celeriacTasksPerSecond / 3600) * containerHour,
  );
  const p = PYTHON_CELERY_REQUESTS;
  const python = host(
    'Python Celery on a container',
    tasks * (p.sqsSend + p.sqsReceive + p.sqsDelete),
    writeUnits(() => p.dynamodbWrites),
    tasks * p.dynamodbReads,
    (tasks / a.pythonTasksPerSecond / 3600) * containerHour,
  );
  return { tasks, prices: LIST_PRICES, assumptions: a, hosts: [lambda, container, python] };
}
