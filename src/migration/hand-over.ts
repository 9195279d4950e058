/**
 * Handing a message over to the side its task name is routed to, without loss and without a second run:
 *
 * - with a queue of that side's own (`pythonQueue`, `celeriacQueue`), the received body and attributes are re-sent
 *   there unchanged (same task id, same headers), and only then is the received copy deleted. A crash between the
 *   two leaves both copies; the claim makes the second a duplicate that does not run;
 * - without one (a queue both sides read), the message is left where it is, visible again in a second, for the
 *   other side's workers. So that it cannot go back and forth for ever, after `handoverLimit` receives it is left
 *   for the queue's dead-letter queue with an error that says what to do.
 */
import type { TaskMessage } from '../protocol/task-message.js';
import { describeError, type MessageScope, retryLater } from '../worker/execution-context.js';
import { MessageAction, type MessageOutcome, MessageState } from '../worker/message-outcome.js';
import { resendOf } from '../worker/redelay.js';

/** Hands the scope's message over to `side`, through `queueUrl` when it names another queue. */
export async function handOver(
  scope: MessageScope,
  message: TaskMessage,
  side: string,
  queueUrl: string | undefined,
  handoverLimit: number,
): Promise<MessageOutcome> {
  const { inbound } = scope;
  const base = { taskId: message.headers.id, taskName: message.headers.task };
  if (queueUrl !== undefined && queueUrl !== inbound.queueUrl) {
    try {
      await scope.runtime.broker.send(queueUrl, [resendOf(inbound)]);
    } catch (error) {
      return retryLater(
        base,
        MessageState.HANDED_OVER,
        `handing over to ${queueUrl} failed: ${describeError(error)}`,
      );
    }
    return {
      ...base,
      action: MessageAction.DELETE,
      state: MessageState.HANDED_OVER,
      reason: `routed to ${side}: re-sent to ${queueUrl}`,
    };
  }
  if (inbound.receiveCount >= handoverLimit) {
    return {
      ...base,
      action: MessageAction.REJECT,
      state: MessageState.HANDED_OVER,
      reason:
        `routed to ${side}, but received ${inbound.receiveCount} times on a queue both sides read and no ${side} ` +
        `worker took it: start ${side} workers on this queue, or give the route a queue of their own ` +
        `(celeriac route ${message.headers.task} ${side} --${side}-queue <url>); left for the dead-letter queue`,
    };
  }
  return {
    ...base,
    action: MessageAction.RETRY_LATER,
    delaySeconds: 1,
    state: MessageState.HANDED_OVER,
    reason: `routed to ${side}: left on this queue for a ${side} worker (receive ${inbound.receiveCount} of ${handoverLimit})`,
  };
}
