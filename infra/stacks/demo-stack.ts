/**
 * The demo stack: one result store and the default Celery queue (`celery`) with its Lambda worker running the
 * demo app (`examples/tasks.ts` through `functions/worker.ts`). `npm run local` deploys it to MiniStack; the
 * same stack deploys to an AWS account with `npx cdk deploy`.
 */
import path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ScheduleDefinition } from '../../src/config/schedule-definition.js';
import { PeriodicTasks } from '../constructs/periodic-tasks.js';
import { ResultStore } from '../constructs/result-store.js';
import { TaskQueue } from '../constructs/task-queue.js';
import { DEMO_OUTPUTS } from './demo-outputs.js';

/** The worker's entry point, found from this file so `cdk synth` works from any directory. */
const WORKER_ENTRY = path.join(import.meta.dirname, '..', '..', 'functions', 'worker.ts');

/**
 * A `ResultStore` and a `TaskQueue` for the Celery queue `celery`, with outputs for the queue URL, the
 * dead-letter queue URL, the results table, the payload bucket and the worker function. The table and bucket
 * are removed with the stack (a demo keeps nothing worth retaining); the bucket only once it is empty.
 */
/** Props of {@link DemoStack}. */
export interface DemoStackProps extends StackProps {
  /**
   * Periodic tasks to deploy as EventBridge Scheduler schedules (`app.scheduleDefinitions()`).
   *
   * @default - none: no schedule group, role or schedules are created
   */
  readonly schedules?: readonly ScheduleDefinition[];
}

export class DemoStack extends Stack {
  /** The results table and payload bucket. */
  readonly results: ResultStore;
  /** The `celery` queue, its dead-letter queue and its worker. */
  readonly tasks: TaskQueue;
  /** The periodic tasks' schedules, when there are any. */
  readonly periodic: PeriodicTasks | undefined;

  constructor(scope: Construct, id: string, props: DemoStackProps = {}) {
    super(scope, id, props);
    this.results = new ResultStore(this, 'Results', {
      resultTtl: Duration.days(1),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.tasks = new TaskQueue(this, 'Tasks', {
      resultStore: this.results,
      worker: {
        entry: WORKER_ENTRY,
        timeout: Duration.seconds(30),
      },
      maxReceiveCount: 3,
      // Far countdowns become one-time schedules (docs/flow-control.md, "Long ETAs"); MiniStack fires them too.
      longEtas: true,
    });
    this.periodic =
      props.schedules && props.schedules.length > 0
        ? new PeriodicTasks(this, 'Periodic', { schedules: props.schedules, queues: [this.tasks] })
        : undefined;

    new CfnOutput(this, DEMO_OUTPUTS.queueUrl, {
      value: this.tasks.queue.queueUrl,
      description: "URL of the SQS queue of the Celery queue 'celery' (CELERIAC_QUEUE_URLS)",
    });
    new CfnOutput(this, DEMO_OUTPUTS.deadLetterQueueUrl, {
      value: this.tasks.deadLetterQueue.queueUrl,
      description: 'URL of its dead-letter queue',
    });
    new CfnOutput(this, DEMO_OUTPUTS.tableName, {
      value: this.results.table.tableName,
      description: 'DynamoDB table of task states and results (CELERIAC_RESULT_TABLE)',
    });
    new CfnOutput(this, DEMO_OUTPUTS.bucketName, {
      value: this.results.payloadBucket.bucketName,
      description: 'S3 bucket for large payloads (CELERIAC_PAYLOAD_BUCKET)',
    });
    new CfnOutput(this, DEMO_OUTPUTS.workerFunctionName, {
      value: this.tasks.workerFunction.functionName,
      description: 'The Lambda worker',
    });
  }
}
