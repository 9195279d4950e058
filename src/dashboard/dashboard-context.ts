/**
 * What the dashboard reads and acts through: the operator layer's context (`src/ops/`: queues, dead letters,
 * tasks, workers), the task index on the app's results table, and where task events come from when there are
 * any. One context lives as long as the server.
 */
import type { App } from '../app.js';
import { type AwsClients, createAwsClients } from '../aws/clients.js';
import { DynamoDbTaskIndex } from '../aws/dynamodb-task-index.js';
import { createOpsContext, type OpsContext } from '../ops/ops-context.js';
import type { TaskIndex } from '../ports/task-index.js';

/** The events about one task, oldest first (a `MemorySink`, or the dashboard's own {@link EventLog}). */
export interface TaskEventSource {
  forTask(taskId: string): readonly object[];
}

/** The dashboard's dependencies. */
export interface DashboardContext {
  readonly app: App;
  readonly ops: OpsContext;
  /** The task index, or `undefined` when the app does not write one (`events.taskIndex` off). */
  readonly taskIndex: TaskIndex | undefined;
  /** Task events, when the dashboard sees any (`--events`, or a sink passed in-process). */
  readonly events: TaskEventSource | undefined;
  close(): void;
}

/**
 * Builds the context for an app, with SDK clients of its own (or the ones given).
 *
 * @example
 * const ctx = createDashboardContext(app);
 * const server = await startDashboardServer(ctx, { port: 5555 });
 */
export function createDashboardContext(
  app: App,
  options: {
    readonly clients?: Pick<AwsClients, 'sqs' | 'dynamodb'>;
    readonly events?: TaskEventSource;
  } = {},
): DashboardContext {
  const clients = options.clients ?? createAwsClients(app.config);
  const ops = createOpsContext(app, clients);
  const indexed = app.config.events.taskIndex;
  return {
    app,
    ops,
    taskIndex: indexed
      ? new DynamoDbTaskIndex(clients.dynamodb, { tableName: app.config.resultTable })
      : undefined,
    events: options.events,
    close: () => {
      ops.close();
      clients.dynamodb.destroy();
    },
  };
}
