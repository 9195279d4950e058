/**
 * Dead-letter queues: which exist for the app's queues and how deep they are, what their messages are, and
 * moving them back (redrive) or deleting them. A dead-letter queue is named by its URL, its SQS name, or the
 * Celery queue it serves (`celery` means the dead-letter queue of `celery`).
 */

import { NotADeadLetterQueueError } from '../aws/queue-admin-errors.js';
import type { RedriveReport } from '../aws/redrive-dead-letters.js';
import type { QueueDepth } from '../aws/sqs-queue-admin.js';
import { type DeadLetterView, describeDeadLetter } from './describe-dead-letter.js';
import { knownQueues, type OpsContext, resolveQueue } from './ops-context.js';

/** A dead-letter queue and the queues it serves. */
export interface DeadLetterQueue extends QueueDepth {
  /** The names (as given) of the source queues whose redrive policy names it. */
  readonly sources: readonly string[];
  /** How many receives send a message of the first source here. */
  readonly maxReceiveCount: number;
}

/** The dead-letter queues of the queues named (default: the app's known queues), each once. */
export async function listDeadLetterQueues(
  ctx: OpsContext,
  queues: readonly string[] = knownQueues(ctx),
): Promise<DeadLetterQueue[]> {
  const found = new Map<string, { sources: string[]; maxReceiveCount: number }>();
  for (const queue of queues) {
    const policy = (await ctx.queues.depth(await resolveQueue(ctx, queue))).redrivePolicy;
    if (!policy) continue;
    const entry = found.get(policy.deadLetterTargetArn);
    if (entry) entry.sources.push(queue);
    else found.set(policy.deadLetterTargetArn, { sources: [queue], maxReceiveCount: policy.maxReceiveCount });
  }
  return await Promise.all(
    [...found].map(async ([arn, entry]) => ({
      ...(await ctx.queues.depth(await ctx.queues.urlOfArn(arn))),
      ...entry,
    })),
  );
}

/**
 * The URL of a dead-letter queue given as its URL or SQS name, or as the Celery queue whose redrive policy names
 * it. A queue with no redrive policy is taken to be the dead-letter queue itself, unless it is one of the app's
 * own queues: showing its messages would hide live tasks for a moment, deleting them would lose them.
 *
 * @throws {NotADeadLetterQueueError} for one of the app's queues without a redrive policy.
 */
export async function resolveDeadLetterQueue(ctx: OpsContext, queue: string): Promise<string> {
  const url = await resolveQueue(ctx, queue);
  const policy = (await ctx.queues.depth(url)).redrivePolicy;
  if (policy) return await ctx.queues.urlOfArn(policy.deadLetterTargetArn);
  const known = await Promise.all(
    knownQueues(ctx).map((name) => resolveQueue(ctx, name).catch(() => undefined)),
  );
  if (known.includes(url)) throw new NotADeadLetterQueueError(queue, url);
  return url;
}

/**
 * Up to `max` (default 10) messages of a dead-letter queue, decoded, without consuming them; with `messageIds`,
 * those of the first 1,000 that have one of the ids.
 */
export async function showDeadLetters(
  ctx: OpsContext,
  queue: string,
  options: { readonly max?: number; readonly messageIds?: readonly string[] } = {},
): Promise<{ readonly url: string; readonly messages: DeadLetterView[] }> {
  const url = await resolveDeadLetterQueue(ctx, queue);
  const wanted = options.messageIds === undefined ? undefined : new Set(options.messageIds);
  const peeked = await ctx.queues.peek(url, wanted === undefined ? (options.max ?? 10) : 1000);
  const chosen = wanted === undefined ? peeked : peeked.filter((m) => wanted.has(m.messageId));
  return { url, messages: await Promise.all(chosen.map((message) => describeDeadLetter(ctx, message))) };
}

/** Moves dead letters back to their source queue (or `to`): all, or those with the ids given. */
export async function redriveDeadLetterQueue(
  ctx: OpsContext,
  queue: string,
  options: {
    readonly messageIds?: readonly string[];
    readonly to?: string;
    readonly maxMessages?: number;
  } = {},
): Promise<RedriveReport> {
  const url = await resolveDeadLetterQueue(ctx, queue);
  const to = options.to === undefined ? undefined : await resolveQueue(ctx, options.to);
  return await ctx.redrive({
    deadLetterQueue: url,
    ...(to === undefined ? {} : { to }),
    ...(options.messageIds === undefined ? {} : { messageIds: options.messageIds }),
    ...(options.maxMessages === undefined ? {} : { maxMessages: options.maxMessages }),
  });
}

/** Deletes dead letters for good: all, or those with the ids given. Returns the url and the ids deleted. */
export async function deleteDeadLetters(
  ctx: OpsContext,
  queue: string,
  messageIds: readonly string[] | 'all',
): Promise<{ readonly url: string; readonly deleted: string[] }> {
  const url = await resolveDeadLetterQueue(ctx, queue);
  return { url, deleted: await ctx.queues.deleteMessages(url, messageIds) };
}
