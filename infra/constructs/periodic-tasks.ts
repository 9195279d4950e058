/**
 * An app's periodic tasks on AWS: one EventBridge Scheduler schedule per expression of each periodic task, each
 * sending the task's Celery message straight to its SQS queue, with retries and a dead-letter queue.
 */
import { Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScheduleDefinition } from '../../src/config/schedule-definition.js';
import { deadLetterAlarm } from './dead-letter-alarm.js';
import {
  type CeleryQueue,
  MAX_EVENT_AGE,
  MAX_RETRY_ATTEMPTS,
  MIN_EVENT_AGE,
  queuesByCeleryName,
  scheduleDescription,
  scheduleName,
  validateDeadLetterQueue,
  validateDefinitions,
  validateGroupName,
} from './periodic-tasks-rules.js';
import type { DeadLetterAlarmOptions } from './task-queue.js';
import { PropValidator } from './validation.js';

/** Properties of {@link PeriodicTasks}. */
export interface PeriodicTasksProps {
  /**
   * The periodic tasks to deploy: `app.scheduleDefinitions()` of the celeriac app that registers them with
   * `app.periodic(...)`. Each definition's `input` is sent verbatim as the SQS message body; EventBridge Scheduler
   * replaces `<aws.scheduler.scheduled-time>` in it with the firing's scheduled time.
   */
  readonly schedules: readonly ScheduleDefinition[];

  /**
   * The queues periodic tasks go to, by Celery queue name: `TaskQueue`s, or `{ celeryQueueName, queue }` for a
   * queue managed elsewhere (a Python Celery worker's, say). Every definition's `celeryQueue` must be among them,
   * and must be a standard queue. Only the queues some definition targets are granted to the scheduler.
   */
  readonly queues: readonly CeleryQueue[];

  /**
   * The schedule group that holds the schedules (1 to 64 letters, digits, `-`, `_`, `.`). The group is deleted
   * with the stack, taking its schedules with it.
   *
   * @default - derived from the stack name and construct path, unique in the account and Region
   */
  readonly scheduleGroupName?: string;

  /**
   * How many times EventBridge Scheduler retries a delivery that fails with a retryable error (0 to 185).
   *
   * @default 185 - Scheduler's maximum, so that `maximumEventAge` is what ends the retries
   */
  readonly retryAttempts?: number;

  /**
   * How long after its scheduled time a firing may still be delivered (1 minute to 24 hours, whole seconds).
   * Past it, the firing goes to the dead-letter queue instead of running late.
   *
   * @default Duration.hours(1)
   */
  readonly maximumEventAge?: Duration;

  /**
   * Where EventBridge Scheduler puts firings it could not deliver: a standard SQS queue (Scheduler refuses FIFO
   * dead-letter queues). The scheduler's role is granted `sqs:SendMessage` on it (and the KMS actions on its key).
   *
   * @default - a queue created here: SSE-SQS (or `encryptionKey`), TLS only, 14-day retention, alarmed
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * The alarm on the dead-letter queue this construct creates (ignored when `deadLetterQueue` is given).
   *
   * @default - alarm when the dead-letter queue holds at least 1 visible message, with no actions
   */
  readonly deadLetterAlarm?: DeadLetterAlarmOptions;

  /**
   * Customer managed KMS key that encrypts the schedules (their inputs hold the tasks' arguments) and the
   * dead-letter queue this construct creates. The scheduler's role is granted `kms:Decrypt` and
   * `kms:GenerateDataKey` on it.
   *
   * @default - schedules encrypted with an AWS owned key, the dead-letter queue with SSE-SQS
   */
  readonly encryptionKey?: kms.IKey;
}

const DEFAULT_RETRY_ATTEMPTS = MAX_RETRY_ATTEMPTS;
const DEFAULT_MAXIMUM_EVENT_AGE = Duration.hours(1);
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * An app's periodic tasks as EventBridge Scheduler schedules that send each firing's Celery message straight to
 * SQS: no Lambda in between.
 *
 * It creates one schedule group, one execution role that only `scheduler.amazonaws.com` can assume (for this
 * account and group) and that may only `sqs:SendMessage` to the target queues and the dead-letter queue (plus
 * `kms:GenerateDataKey` and `kms:Decrypt` on their keys), a dead-letter queue with an alarm, and one schedule per
 * expression of each definition, named `<periodic task name>-<n>`, with the flexible time window off.
 *
 * Each firing's task id is `<periodic task name>-<scheduled time>`: a delivery Scheduler retries, or SQS delivers
 * twice, carries the same id, and the worker's claim runs it once.
 *
 * Props are validated in the constructor (a `CeleriacConfigurationError` names the prop, the value and the fix).
 *
 * @example
 * // tasks.ts: the app registers its periodic tasks
 * export const app = createApp();
 * const cleanup = app.task('cleanup', async () => { ... });
 * app.periodic('nightly-cleanup', { task: cleanup, schedule: crontab({ minute: 0, hour: 4 }) });
 * app.periodic('first-mondays', {
 *   task: 'reports.monthly', // a task defined elsewhere, Python included
 *   schedule: crontab({ minute: 0, hour: 9, dayOfMonth: '1-7', dayOfWeek: 'mon' }),
 *   timezone: 'Europe/Paris',
 * });
 *
 * // stack.ts: the CDK app deploys them
 * import { app } from './tasks.js';
 * const tasks = new TaskQueue(this, 'Tasks', { resultStore, worker: { entry: 'functions/worker.ts' } });
 * new PeriodicTasks(this, 'Periodic', { schedules: app.scheduleDefinitions(), queues: [tasks] });
 */
export class PeriodicTasks extends Construct {
  /** The schedule group that holds every schedule. */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  /** The execution role EventBridge Scheduler assumes to send the messages. */
  readonly role: iam.IRole;
  /** Where firings that could not be delivered go. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The alarm on the dead-letter queue, when this construct created the queue. */
  readonly deadLetterAlarm: cloudwatch.IAlarm | undefined;
  /** The schedules, by schedule name (`<periodic task name>-<n>`). */
  readonly schedules: ReadonlyMap<string, scheduler.ISchedule>;

  constructor(scope: Construct, id: string, props: PeriodicTasksProps) {
    super(scope, id);
    const validate = new PropValidator('PeriodicTasks', this);
    validateGroupName(validate, props.scheduleGroupName);
    const targets = validateDefinitions(
      validate,
      props.schedules,
      queuesByCeleryName(validate, props.queues),
    );
    validate.integerInRange(
      'retryAttempts',
      props.retryAttempts,
      0,
      MAX_RETRY_ATTEMPTS,
      'the retry attempts EventBridge Scheduler accepts.',
    );
    validate.durationInRange(
      'maximumEventAge',
      props.maximumEventAge,
      { min: MIN_EVENT_AGE, max: MAX_EVENT_AGE },
      'the maximum event ages EventBridge Scheduler accepts.',
    );
    validateDeadLetterQueue(validate, props.deadLetterQueue);
    const threshold = props.deadLetterAlarm?.threshold ?? 1;
    validate.integerAtLeast(
      'deadLetterAlarm.threshold',
      threshold,
      1,
      'the alarm fires when the dead-letter queue holds at least this many visible messages.',
    );

    const group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: props.scheduleGroupName,
      // The group holds nothing but the schedules defined here; a retained group would make the next deployment
      // of the same stack fail on its name.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The group's ARN built from its name, not `Fn::GetAtt`: emulators whose CloudFormation skips schedule groups
    // (moto) would fail the whole deployment on a reference to one.
    const groupArn = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: group.scheduleGroupName,
    });
    const role = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to send periodic Celery tasks to SQS.',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': groupArn,
          },
        },
      }),
    });

    const deadLetterQueue = props.deadLetterQueue ?? this.createDeadLetterQueue(props.encryptionKey);
    const grantedQueues = new Set<sqs.IQueue>();
    const grantedKeys = new Set<kms.IKey>();
    for (const queue of [...targets.map((target) => target.queue), deadLetterQueue]) {
      if (grantedQueues.has(queue)) continue;
      grantedQueues.add(queue);
      queue.grant(role, 'sqs:SendMessage');
      const key = queue.encryptionMasterKey;
      if (key !== undefined && !grantedKeys.has(key)) {
        grantedKeys.add(key);
        key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
      }
    }
    // The schedules' key: Scheduler decrypts their inputs with it (a queue's grant may already include it).
    if (props.encryptionKey !== undefined && !grantedKeys.has(props.encryptionKey)) {
      props.encryptionKey.grant(role, 'kms:Decrypt');
    }

    const retryPolicy: scheduler.CfnSchedule.RetryPolicyProperty = {
      maximumRetryAttempts: props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: (props.maximumEventAge ?? DEFAULT_MAXIMUM_EVENT_AGE).toSeconds(),
    };
    const schedules = new Map<string, scheduler.ISchedule>();
    for (const { definition, queue } of targets) {
      const target = new CeleryMessageTarget({
        queue,
        role,
        input: definition.input,
        retryPolicy,
        deadLetterQueue,
      });
      definition.expressions.forEach(({ expression, timezone }, n) => {
        const name = scheduleName(definition.name, n);
        const schedule = new scheduler.Schedule(this, name, {
          scheduleName: name,
          scheduleGroup: group,
          description: scheduleDescription(definition, n),
          schedule: scheduler.ScheduleExpression.expression(expression, TimeZone.of(timezone)),
          timeWindow: scheduler.TimeWindow.off(),
          enabled: definition.enabled,
          target,
        });
        // `GroupName` is the group's literal name, which gives CloudFormation no dependency on the group; and a
        // schedule can fire soon after it is created, so not before its role may send.
        schedule.node.addDependency(group, role);
        if (props.encryptionKey !== undefined) {
          // Set on the resource rather than through the L2 `key` prop, which would add one identical
          // `kms:Decrypt` grant per schedule; the role is granted once above.
          (schedule.node.defaultChild as scheduler.CfnSchedule).kmsKeyArn = props.encryptionKey.keyArn;
        }
        schedules.set(name, schedule);
      });
    }

    this.scheduleGroup = group;
    this.role = role;
    this.deadLetterQueue = deadLetterQueue;
    this.deadLetterAlarm =
      props.deadLetterQueue === undefined ? this.createAlarm(deadLetterQueue, threshold, props) : undefined;
    this.schedules = schedules;
  }

  private createDeadLetterQueue(encryptionKey: kms.IKey | undefined): sqs.IQueue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      retentionPeriod: DEAD_LETTER_RETENTION,
      enforceSSL: true,
      ...(encryptionKey === undefined
        ? { encryption: sqs.QueueEncryption.SQS_MANAGED }
        : { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: encryptionKey }),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is a dead-letter queue: the `DeadLetterConfig` of the EventBridge Scheduler schedules of ' +
        'periodic tasks. cdk-nag recognises only SQS redrive policies as dead-letter use, and a dead-letter ' +
        'queue needs no dead-letter queue of its own.',
    });
    return queue;
  }

  private createAlarm(queue: sqs.IQueue, threshold: number, props: PeriodicTasksProps): cloudwatch.IAlarm {
    return deadLetterAlarm(this, queue, {
      description:
        'Firings of periodic tasks that EventBridge Scheduler could not deliver to SQS reached the ' +
        'dead-letter queue: those tasks did not run.',
      threshold,
      ...(props.deadLetterAlarm?.alarmActions ? { actions: props.deadLetterAlarm.alarmActions } : {}),
    });
  }
}

/** What one definition's schedules send, and where. */
interface CeleryMessageTargetProps {
  readonly queue: sqs.IQueue;
  readonly role: iam.IRole;
  readonly input: string;
  readonly retryPolicy: scheduler.CfnSchedule.RetryPolicyProperty;
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * The SQS templated target with the construct's own role. `aws-scheduler-targets`' `SqsSendMessage` would grant
 * `kms:GenerateDataKey*` (a wildcard) on the queue's key once per schedule; the role here is granted exactly what
 * it needs, once per queue.
 */
class CeleryMessageTarget implements scheduler.IScheduleTarget {
  constructor(private readonly props: CeleryMessageTargetProps) {}

  bind(_schedule: scheduler.ISchedule): scheduler.ScheduleTargetConfig {
    return {
      arn: this.props.queue.queueArn,
      role: this.props.role,
      // Verbatim: a string without tokens resolves to itself, `<` and `>` included.
      input: scheduler.ScheduleTargetInput.fromText(this.props.input),
      retryPolicy: this.props.retryPolicy,
      deadLetterConfig: { arn: this.props.deadLetterQueue.queueArn },
    };
  }
}
