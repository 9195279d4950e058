/**
 * Waiting for an ETA without holding the message: on a standard queue the message is re-sent with the next
 * delay (up to SQS's 900 s) and the received copy deleted; on a FIFO queue, which takes no per-message delay,
 * it is kept invisible instead, which also holds back its message group and so keeps the group's order.
 *
 * A wait past the `longEta` threshold (a message sent by Python Celery with a far ETA, or one whose schedule
 * fired early) goes to the ETA scheduler instead, when one is configured and the message can go (long-eta.ts):
 * one schedule delivers the received body unchanged at the ETA, and the received copy is deleted. A repeated
 * delivery of the same message finds its schedule already made and is deleted too. If scheduling fails, the
 * message hops as before.
 */
import type { OutgoingMessage } from '../ports/broker.js';
import { SQS_MAX_DELAY_SECONDS, SQS_MAX_VISIBILITY_SECONDS } from '../ports/service-limits.js';
import { isFifoQueueName } from '../protocol/queue-name.js';
import type { TaskMessage } from '../protocol/task-message.js';
import { describeError, type MessageScope, retryLater } from './execution-context.js';
import { type InboundMessage, MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';

/**
 * How long a FIFO message may be kept invisible in one go: SQS refuses a visibility that reaches 12 hours after
 * the message was received, so stay a little under it. Each hop is one more receive towards `maxReceiveCount`.
 */
const MAX_HIDE_SECONDS = SQS_MAX_VISIBILITY_SECONDS - 300;

/**
 * The received message sent again as it came: the same body and attributes (same task id, same headers), its
 * message group (a standard queue's SQS fair queues group, the task's limit key), and `delaySeconds` when given.
 *
 * @example
 * await broker.send(inbound.queueUrl, [resendOf(inbound, 60)]);
 */
export function resendOf(inbound: InboundMessage, delaySeconds?: number): OutgoingMessage {
  return {
    body: inbound.body,
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
    attributes: inbound.attributes,
    ...(inbound.messageGroupId === undefined ? {} : { messageGroupId: inbound.messageGroupId }),
  };
}

/** Delays `message` by `waitMs` (at most one hop) and says what to do with the received copy. */
export async function redelay(
  scope: MessageScope,
  message: TaskMessage,
  waitMs: number,
): Promise<MessageOutcome> {
  const base = { taskId: message.headers.id, taskName: message.headers.task };
  const waitSeconds = Math.ceil(waitMs / 1000);
  const { inbound } = scope;
  const { longEtas } = scope.runtime;
  const eta = waitMs > 0 ? new Date(scope.now() + waitMs) : undefined;
  const candidate = {
    queue: scope.ctx.queueName,
    waitSeconds,
    body: inbound.body,
    attributes: inbound.attributes,
  };
  if (isFifoQueueName(scope.ctx.queueName) || inbound.queueUrl.endsWith('.fifo')) {
    const plan = longEtas.plan({ ...candidate, fifo: true });
    return {
      ...base,
      action: MessageAction.RETRY_LATER,
      delaySeconds: Math.min(waitSeconds, MAX_HIDE_SECONDS),
      state: MessageState.DELAYED,
      reason: `eta ${message.headers.eta}${plan.schedule ? '' : hopNote(plan.reason)}`,
    };
  }
  const plan = longEtas.plan({ ...candidate, fifo: false });
  let fallback = plan.schedule ? undefined : plan.reason;
  if (plan.schedule && eta !== undefined) {
    const scheduled = await longEtas.schedule({
      taskId: message.headers.id,
      retries: message.headers.retries,
      queue: scope.ctx.queueName,
      queueUrl: inbound.queueUrl,
      body: inbound.body,
      deliverAt: eta,
    });
    if (!('failed' in scheduled)) {
      return {
        ...base,
        action: MessageAction.DELETE,
        state: MessageState.DELAYED,
        reason:
          `eta ${message.headers.eta}, ${waitSeconds} s away, ` +
          `${scheduled.created ? 'scheduled' : 'already scheduled'} as ${scheduled.scheduleName}`,
      };
    }
    fallback = scheduled.failed;
  }
  try {
    await scope.runtime.broker.send(inbound.queueUrl, [
      resendOf(inbound, Math.min(waitSeconds, SQS_MAX_DELAY_SECONDS)),
    ]);
  } catch (error) {
    return retryLater(base, MessageState.DELAYED, `re-delay failed: ${describeError(error)}`);
  }
  return {
    ...base,
    action: MessageAction.DELETE,
    state: MessageState.DELAYED,
    reason: `eta ${message.headers.eta}, ${waitSeconds} s away${hopNote(fallback)}`,
  };
}

/** Why a long wait hops, for the message's log line. */
function hopNote(reason: string | undefined): string {
  return reason === undefined ? '' : ` (not scheduled: ${reason})`;
}
