/**
 * The migration step of admission (docs/migrating-from-celery.md), run on every host once a message is decoded
 * and before its task name is looked up or its task id claimed:
 *
 * - a **shadow copy** (the `celeriac_shadow` message attribute, sent by Python workers in shadow mode) is run as
 *   a shadow when its task is shadow-safe, compared with the real result once Python stored it (a log line says
 *   whether they differ), and deleted: it never runs for real;
 * - a task name routed to **python** is handed over (`hand-over.ts`);
 * - one in **shadow** mode is run as a shadow here too, then handed over to Python, which runs it for real;
 * - one routed to **celeriac**, or not routed, runs here as usual.
 */
import type { TaskMessage } from '../protocol/task-message.js';
import { describeError, isTransient, type MessageScope, retryLater } from '../worker/execution-context.js';
import { MessageAction, type MessageOutcome, MessageState } from '../worker/message-outcome.js';
import { comparable, compareShadow, describeComparison } from './compare-shadow.js';
import { handOver } from './hand-over.js';
import type { MigrationRoutes } from './migration-routes.js';
import { Side } from './routes-record.js';
import { runShadow } from './run-shadow.js';

/** The message attribute that marks a shadow copy. */
export const SHADOW_ATTRIBUTE = 'celeriac_shadow';

/** How long a shadow copy waits between looks for the real result. */
const COMPARE_RETRY_SECONDS = 2;

/**
 * What the migration decides for the scope's message: an outcome when it is not to run here, undefined when it
 * is (or when the app has no migration).
 */
export async function routeMessage(
  scope: MessageScope,
  message: TaskMessage,
): Promise<MessageOutcome | undefined> {
  const migration = scope.runtime.migration;
  if (!migration) return undefined;
  const { headers } = message;
  const base = { taskId: headers.id, taskName: headers.task };
  try {
    if (scope.inbound.attributes[SHADOW_ATTRIBUTE] !== undefined)
      return await shadowCopy(scope, migration, message);
    const route = await migration.routeOf(headers.task);
    if (route === undefined || route.side === Side.CELERIAC) return undefined;
    if (route.side === Side.SHADOW) {
      const run = await runShadow(scope, migration, message);
      scope.log(
        run.kind === 'skipped'
          ? `shadow ${headers.task}[${headers.id}] not run: ${run.why}`
          : `shadow ${headers.task}[${headers.id}] stored; Python runs the task`,
      );
    }
    return await handOver(scope, message, Side.PYTHON, route.pythonQueue, migration.settings.handoverLimit);
  } catch (error) {
    if (isTransient(error)) return retryLater(base, MessageState.HANDED_OVER, describeError(error));
    throw error;
  }
}

async function shadowCopy(
  scope: MessageScope,
  migration: MigrationRoutes,
  message: TaskMessage,
): Promise<MessageOutcome> {
  const { headers } = message;
  const base = { taskId: headers.id, taskName: headers.task };
  const done = (reason: string): MessageOutcome => ({
    ...base,
    action: MessageAction.DELETE,
    state: MessageState.SHADOW,
    reason,
  });
  const run = await runShadow(scope, migration, message);
  if (run.kind === 'skipped') return done(`shadow copy not run: ${run.why}`);
  const meta = await scope.runtime.results.get(headers.id);
  const comparison = compareShadow(run.record, meta);
  if (!comparable(meta)) {
    if (scope.inbound.receiveCount < migration.settings.handoverLimit) {
      return {
        ...base,
        action: MessageAction.RETRY_LATER,
        delaySeconds: COMPARE_RETRY_SECONDS,
        state: MessageState.SHADOW,
        reason: 'shadow result stored; waiting for the real result to compare',
      };
    }
    return done(`${describeComparison(comparison)}; compare later with celeriac shadow report`);
  }
  const line = describeComparison(comparison);
  if (comparison.verdict === 'differs') scope.log(line);
  return done(line);
}
