/**
 * The stack of {{name}}: a result store, the Celery queue `celery` with its worker Lambda, the periodic tasks'
 * schedules, and the API Lambda that sends tasks and waits for their results. The same stack deploys to AWS
 * (`npx cdk deploy`) and to a local emulator (`npx celeriac local deploy`).
 */
import path from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { CallerFunction, PeriodicTasks, ResultStore, TaskQueue } from 'celeriac/cdk';
import type { Construct } from 'constructs';
import { app } from '../src/tasks.js';
import { OUTPUTS } from './outputs.js';

/** The project's root, so that `cdk synth` finds the functions from any directory. */
const ROOT = path.join({{dirname}}, '..');

export class AppStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // The table and bucket are kept when the stack is destroyed (RemovalPolicy.RETAIN, the default): pass
    // `removalPolicy: RemovalPolicy.DESTROY` to remove them with it.
    const results = new ResultStore(this, 'Results', { resultTtl: Duration.days(1) });
    const tasks = new TaskQueue(this, 'Tasks', {
      resultStore: results,
      worker: { entry: path.join(ROOT, 'functions', 'worker.ts'), timeout: Duration.seconds(30) },
    });
    // Node.js 24, arm64, a 30 s timeout, local esbuild bundling; granted to send to `tasks` and read results.
    const api = new CallerFunction(this, 'Api', {
      entry: path.join(ROOT, 'functions', 'api.ts'),
      sendsTo: [tasks],
      resultStore: results,
    });
    new PeriodicTasks(this, 'Periodic', { schedules: app.scheduleDefinitions(), queues: [tasks] });

    new CfnOutput(this, OUTPUTS.apiFunctionName, { value: api.function.functionName });
    new CfnOutput(this, OUTPUTS.queueUrl, { value: tasks.queue.queueUrl });
    new CfnOutput(this, OUTPUTS.resultTableName, { value: results.table.tableName });
  }
}
