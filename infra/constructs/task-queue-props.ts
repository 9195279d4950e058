/** The properties of a `TaskQueue` (task-queue.ts), with the behaviour each default stands for. */
import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { ResultStore } from './result-store.js';
import type { TaskQueueWorkerProps } from './worker-function.js';

/** The CloudWatch alarm on a task queue's dead-letter queue. */
export interface DeadLetterAlarmOptions {
  /**
   * Number of visible messages in the dead-letter queue at which the alarm fires (a whole number, at least
   * 1). The alarm looks at the maximum of `ApproximateNumberOfMessagesVisible` over one 1-minute period and
   * treats missing data as not breaching.
   *
   * @default 1
   */
  readonly threshold?: number;

  /**
   * Actions to run when the alarm fires, e.g. `new cloudwatch_actions.SnsAction(topic)`.
   *
   * @default - none: the alarm only changes state
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/** One of a `TaskQueue`'s `priorityQueues`. */
export interface PriorityQueueProps {
  /**
   * The Celery queue name, e.g. `high`: distinct from the TaskQueue's and the other priority queues' (under
   * kombu's naming rules), and ending in `.fifo` exactly when the TaskQueue's does.
   */
  readonly celeryQueueName: string;

  /**
   * Physical SQS queue name; the dead-letter queue is `<name>-dlq` (before any `.fifo`).
   *
   * @default - generated, as for the TaskQueue's own queue
   */
  readonly queueName?: string;

  /**
   * The most concurrent worker invocations this queue's event source mapping starts (2 to 1000).
   *
   * @default - its share of `worker.reservedConcurrentExecutions` by position (see `priorityQueues`), or no
   * limit without a reservation
   */
  readonly maxConcurrency?: number;
}

/** Properties of a `TaskQueue`. */
export interface TaskQueueProps {
  /**
   * The Celery queue name (Celery's routing key, `task_default_queue`, `apply_async(queue=...)`). A name that
   * ends in `.fifo` makes the queue and its dead-letter queue FIFO. Must map, under kombu's SQS naming rules,
   * to a name SQS accepts, so Python Celery can share the queue.
   *
   * @default 'celery'
   */
  readonly celeryQueueName?: string;

  /**
   * Physical SQS queue name. The dead-letter queue is then named `<name>-dlq` (before any `.fifo`). Must end
   * in `.fifo` exactly when `celeryQueueName` does.
   *
   * @default - for a standard queue, CloudFormation generates unique names for both queues; a FIFO queue is
   * named `<stack name>-<construct path>-<hash>.fifo` (its dead-letter queue `...-dlq.fifo`), because
   * CloudFormation's generated FIFO names can exceed SQS's 80 characters
   */
  readonly queueName?: string;

  /** Where the worker stores states and results; the worker is granted `grantWriteResults` on it. */
  readonly resultStore: ResultStore;

  /** The Lambda function that consumes the queue. */
  readonly worker: TaskQueueWorkerProps;

  /**
   * How long a received message stays invisible before SQS delivers it again. At least 6 × `worker.timeout`
   * (plus `maxBatchingWindow`), as AWS advises for Lambda event sources, so a message is not redelivered
   * while its batch is still running; at most 12 hours.
   *
   * @default - 6 × `worker.timeout` + `maxBatchingWindow`
   */
  readonly visibilityTimeout?: Duration;

  /**
   * Receives after which SQS moves a message to the dead-letter queue (1 to 1000). Each failed attempt of a
   * batch item counts once.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the queue keeps an unconsumed message (60 seconds to 14 days).
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * How long the dead-letter queue keeps a message (60 seconds to 14 days). For a standard queue it must be
   * longer than `retentionPeriod`: a message moved to a standard dead-letter queue keeps its original
   * enqueue time, so it would otherwise expire on arrival.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * Messages per worker invocation: 1 to 10 for FIFO queues, 1 to 10000 for standard queues, where more than
   * 10 requires `maxBatchingWindow`.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long the event source mapping gathers messages before invoking the worker (up to 5 minutes; not for
   * FIFO queues).
   *
   * @default - no batching window: invoke as soon as messages arrive
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The most concurrent worker invocations the event source mapping starts (2 to 1000), at most
   * `worker.reservedConcurrentExecutions`.
   *
   * @default - `worker.reservedConcurrentExecutions` when that is set (and at least 2), otherwise no limit; with
   * `priorityQueues`, this queue's share of the reservation (see there)
   */
  readonly maxConcurrency?: number;

  /**
   * More Celery queues the same worker consumes, the most urgent first (a `high` queue for an app's
   * `priorityQueues` or `taskRoutes`). Each gets its own SQS queue and dead-letter queue, with this queue's
   * encryption, TLS-only policy, visibility, retention, `maxReceiveCount`, batching and alarm, and its own event
   * source mapping on the worker; the grants of this TaskQueue cover them too. With
   * `worker.reservedConcurrentExecutions`, the mappings without a `maxConcurrency` split what the others leave
   * by position: the first of `n` queues (this queue last) weighs `n`, the last 1, each gets at least 2, and
   * all of them together never exceed the reservation.
   *
   * @default - none: this queue only
   */
  readonly priorityQueues?: readonly PriorityQueueProps[];

  /**
   * Long countdowns and ETAs as EventBridge Scheduler one-time schedules (docs/flow-control.md, "Long ETAs"):
   * creates a delivery role allowed to send to this queue (and its priority queues) only, and the stack's
   * long-ETA schedule group; the grants then add `scheduler:CreateSchedule` on that group's `celeriac-*`
   * schedules, `iam:PassRole` on the role (to `scheduler.amazonaws.com` only), and set
   * `CELERIAC_SCHEDULE_GROUP` and `CELERIAC_SCHEDULER_ROLE_ARNS` on function grantees. Opt-in: a scheduled
   * message waits in the schedule (encrypted with an AWS owned key, not `encryptionKey`) instead of the queue.
   * Standard queues only.
   *
   * @default false - every ETA re-delays every 15 minutes on the queue
   */
  readonly longEtas?: boolean;

  /**
   * Customer managed KMS key that encrypts both queues. Grants then include the KMS actions needed to send
   * and receive.
   *
   * @default - SQS-managed server-side encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The alarm on the dead-letter queue.
   *
   * @default - alarm when the dead-letter queue holds at least 1 visible message, with no actions
   */
  readonly deadLetterAlarm?: DeadLetterAlarmOptions;
}
