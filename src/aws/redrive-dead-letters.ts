/**
 * Moves the messages of a dead-letter queue back to the queues they came from (or to one named queue).
 *
 * SQS does this itself with `StartMessageMoveTask`, which this uses when it can: the whole queue, back to each
 * message's source. Emulators without it (MiniStack, moto) answer that the action is unknown, and a move of at
 * most `maxMessages` messages is not something the task can do; then the messages are moved here, ten at a time:
 * received from the dead-letter queue, sent to their destination (the queue named by the message's
 * `DeadLetterQueueSourceArn`, else the one queue whose redrive policy names the dead-letter queue, as
 * `ListDeadLetterSourceQueues` says) with the same body and attributes, and deleted
 * from the dead-letter queue only once the send succeeded. A message whose send failed, or whose source is not
 * known, is made visible again in the dead-letter queue: nothing is lost.
 *
 * Interrupted between a send and its delete (the process killed, the delete failing), the message is still in the
 * dead-letter queue when its visibility timeout ends, and the next redrive sends it again. That second copy is
 * harmless, by design rather than by a journal: on a FIFO queue it carries the same deduplication id
 * (`redrive-<dead-letter message id>`), so SQS drops it within its 5-minute window; on a standard queue it is the
 * same Celery message, with the same task id, and the worker's claim (one conditional write per task id, see
 * docs/reliability.md) runs the task once and deletes the other copy as a DUPLICATE. Only a message that is not a
 * Celery task (no task id) can then arrive twice, and such a message never runs.
 * test/integration/interrupted-redrive.test.ts interrupts a redrive between send and delete; the task runs once.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { CeleriacError, type CeleriacErrorOptions } from '../errors.js';

/** How the messages were moved. */
export const RedriveMethod = {
  /** SQS's own `StartMessageMoveTask`, running in the service after this returns. */
  MOVE_TASK: 'move-task',
  /** Received, sent and deleted here. */
  COPY: 'copy',
} as const;
export type RedriveMethod = (typeof RedriveMethod)[keyof typeof RedriveMethod];

/** Options for {@link redriveDeadLetters}. */
export interface RedriveOptions {
  /** The dead-letter queue: its URL or its name. */
  readonly deadLetterQueue: string;
  /** Where to move the messages (a URL or a name). Default: each message's source queue. */
  readonly to?: string | undefined;
  /** Move at most this many messages (moved here, as the move task has no such limit). Default: all. */
  readonly maxMessages?: number | undefined;
  /** Move only the messages with these SQS message ids (moved here, as the move task moves all). Default: all. */
  readonly messageIds?: readonly string[] | undefined;
  /** How long a received message stays hidden while it is moved. Default 60 s. */
  readonly visibilityTimeoutSeconds?: number | undefined;
}

/** What {@link redriveDeadLetters} did. */
export interface RedriveReport {
  readonly method: RedriveMethod;
  readonly deadLetterQueueUrl: string;
  /** Messages moved; with the move task, the dead-letter queue's approximate count when it started. */
  readonly moved: number;
  /** Messages left in the dead-letter queue because their send failed. */
  readonly failed: number;
  /** Messages left in the dead-letter queue because no destination is known (no `--to`, no source ARN). */
  readonly unroutable: number;
  /** Destination queue URL → messages moved there (copy only). */
  readonly destinations: Readonly<Record<string, number>>;
  /** The move task's handle (move task only). */
  readonly taskHandle?: string;
}

/** A redrive that could not start: the queue is missing or is not a dead-letter queue. */
export class RedriveError extends CeleriacError {
  override readonly name = 'RedriveError';
  /** The queue named. */
  readonly queue: string;

  constructor(message: string, options: CeleriacErrorOptions & { readonly queue: string }) {
    super(message, options);
    this.queue = options.queue;
  }
}

const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name ?? '') : '';

/**
 * True for the answers of a service that does not know `StartMessageMoveTask`: MiniStack's `InvalidAction`, the
 * usual "unknown/unsupported operation" codes, and moto's HTTP 500 HTML page ("The start_message_move_task action
 * has not been implemented"), which the SDK reports as a deserialization error of a 500 response.
 */
export function isUnsupportedAction(error: unknown): boolean {
  const name = errorName(error);
  if (
    ['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented'].includes(name)
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  if (status === 500 && /Deserialization error/.test(message) && /<!doctype|<html/i.test(message))
    return true;
  return /not (valid|implemented|supported)|has not been implemented|unknown operation/i.test(message);
}

async function queueUrlOf(sqs: SQSClient, queue: string, owner?: string): Promise<string> {
  if (/^https?:\/\//.test(queue)) return queue;
  try {
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: queue, ...(owner ? { QueueOwnerAWSAccountId: owner } : {}) }),
    );
    if (QueueUrl) return QueueUrl;
  } catch (error) {
    if (!/NonExistentQueue|QueueDoesNotExist/.test(errorName(error))) throw error;
  }
  throw new RedriveError(`No queue named ${JSON.stringify(queue)}; give its URL or its exact name.`, {
    queue,
  });
}

/** `arn:aws:sqs:<region>:<account>:<name>` → the queue's URL. */
async function urlOfArn(sqs: SQSClient, arn: string): Promise<string> {
  const parts = arn.split(':');
  const name = parts[5];
  if (parts[2] !== 'sqs' || name === undefined) {
    throw new RedriveError(`${arn} is not an SQS queue ARN`, { queue: arn });
  }
  return await queueUrlOf(sqs, name, parts[4]);
}

/** The attributes as SendMessage takes them (received ones carry empty list fields SQS does not accept). */
function attributesOf(message: Message): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(message.MessageAttributes ?? {});
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
}

function sendEntry(message: Message, id: string, destination: string): SendMessageBatchRequestEntry {
  const fifo = destination.endsWith('.fifo');
  const attributes = attributesOf(message);
  return {
    Id: id,
    MessageBody: message.Body ?? '',
    ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
    ...(fifo
      ? {
          MessageGroupId: message.Attributes?.MessageGroupId ?? 'redrive',
          // Not the original's id: SQS would drop a copy sent within 5 minutes of the original as a duplicate.
          MessageDeduplicationId: `redrive-${message.MessageId ?? id}`,
        }
      : {}),
  };
}

/** The URL of the only queue that dead-letters into `dlqUrl`, or null when there is none or more than one. */
async function soleSourceOf(sqs: SQSClient, dlqUrl: string): Promise<string | null> {
  try {
    const { queueUrls = [] } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }));
    return queueUrls.length === 1 ? (queueUrls[0] ?? null) : null;
  } catch {
    // Without the permission or the action, the message is unroutable as before: --to names a destination.
    return null;
  }
}

async function release(sqs: SQSClient, queueUrl: string, receiptHandles: readonly string[]): Promise<void> {
  for (let i = 0; i < receiptHandles.length; i += 10) {
    const entries = receiptHandles.slice(i, i + 10).map((handle, j) => ({
      Id: String(j),
      ReceiptHandle: handle,
      VisibilityTimeout: 0,
    }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}

async function copyMessages(
  sqs: SQSClient,
  dlqUrl: string,
  options: RedriveOptions,
): Promise<Omit<RedriveReport, 'method' | 'deadLetterQueueUrl'>> {
  const wanted = options.messageIds === undefined ? undefined : new Set(options.messageIds);
  const max = Math.min(
    options.maxMessages ?? Number.POSITIVE_INFINITY,
    wanted?.size ?? Number.POSITIVE_INFINITY,
  );
  const fixedDestination = options.to === undefined ? undefined : await queueUrlOf(sqs, options.to);
  const sourceUrls = new Map<string, string>();
  const destinations: Record<string, number> = {};
  const keptBack = new Set<string>();
  const held: string[] = [];
  // Received and not yet deleted or held: made visible again too when a call throws half-way.
  let pending = new Set<string>();
  let moved = 0;
  let failed = 0;
  let unroutable = 0;
  let emptyReceives = 0;
  // The one queue whose redrive policy names this dead-letter queue (null: none, or several), for messages that
  // do not say where they came from (emulators such as moto do not set DeadLetterQueueSourceArn).
  let soleSource: string | null | undefined;
  try {
    while (moved < max && emptyReceives < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - moved),
          WaitTimeSeconds: 1,
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        emptyReceives += 1;
        continue;
      }
      emptyReceives = 0;
      pending = new Set(Messages.flatMap((m) => (m.ReceiptHandle ? [m.ReceiptHandle] : [])));
      for (const m of Messages) {
        // Not asked for: kept back, and made visible again at the end.
        if (wanted !== undefined && m.MessageId !== undefined && !wanted.has(m.MessageId))
          keptBack.add(m.MessageId);
      }
      const fresh = Messages.filter((m) => m.MessageId === undefined || !keptBack.has(m.MessageId));
      for (const m of Messages) if (!fresh.includes(m) && m.ReceiptHandle) held.push(m.ReceiptHandle);
      // Only messages already kept back came: the rest of the queue has been moved.
      if (fresh.length === 0) {
        if (wanted === undefined) break;
        emptyReceives += 1;
        continue;
      }
      const byDestination = new Map<string, Message[]>();
      for (const message of fresh) {
        const sourceArn = message.Attributes?.DeadLetterQueueSourceArn;
        let destination = fixedDestination;
        if (destination === undefined && sourceArn !== undefined) {
          destination = sourceUrls.get(sourceArn) ?? (await urlOfArn(sqs, sourceArn));
          sourceUrls.set(sourceArn, destination);
        }
        if (destination === undefined && sourceArn === undefined) {
          soleSource ??= await soleSourceOf(sqs, dlqUrl);
          destination = soleSource ?? undefined;
        }
        if (destination === undefined) {
          unroutable += 1;
          if (message.MessageId) keptBack.add(message.MessageId);
          if (message.ReceiptHandle) held.push(message.ReceiptHandle);
          continue;
        }
        byDestination.set(destination, [...(byDestination.get(destination) ?? []), message]);
      }
      for (const [destination, messages] of byDestination) {
        const { Successful = [], Failed = [] } = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: destination,
            Entries: messages.map((m, i) => sendEntry(m, String(i), destination)),
          }),
        );
        for (const failure of Failed) {
          const message = messages[Number(failure.Id)];
          failed += 1;
          if (message?.MessageId) keptBack.add(message.MessageId);
          if (message?.ReceiptHandle) held.push(message.ReceiptHandle);
        }
        const sent = Successful.map((s) => messages[Number(s.Id)]).filter(
          (m) => m?.ReceiptHandle !== undefined,
        );
        if (sent.length === 0) continue;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: sent.map((m, i) => ({ Id: String(i), ReceiptHandle: m?.ReceiptHandle ?? '' })),
          }),
        );
        for (const m of sent) pending.delete(m?.ReceiptHandle ?? '');
        moved += sent.length;
        destinations[destination] = (destinations[destination] ?? 0) + sent.length;
      }
      for (const handle of held) pending.delete(handle);
    }
  } finally {
    await release(sqs, dlqUrl, [...new Set([...held, ...pending])]);
  }
  return { moved, failed, unroutable, destinations };
}

/**
 * Moves a dead-letter queue's messages back: with SQS's move task when the service has it and no limit is set,
 * otherwise here, message by message (see the module's notes). Returns what was moved.
 *
 * @example
 * const report = await redriveDeadLetters(clients.sqs, { deadLetterQueue: 'tasks-dlq', maxMessages: 100 });
 * console.log(`${report.moved} moved, ${report.failed} left after a failed send`);
 */
export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<RedriveReport> {
  if (
    options.maxMessages !== undefined &&
    (!Number.isInteger(options.maxMessages) || options.maxMessages < 1)
  ) {
    throw new RedriveError(`Expected \`maxMessages\` to be an integer >= 1, got ${options.maxMessages}`, {
      queue: options.deadLetterQueue,
    });
  }
  const deadLetterQueueUrl = await queueUrlOf(sqs, options.deadLetterQueue);
  if (options.maxMessages === undefined && options.messageIds === undefined) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: deadLetterQueueUrl,
        AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
      }),
    );
    try {
      const destinationArn =
        options.to === undefined ? undefined : await arnOf(sqs, await queueUrlOf(sqs, options.to));
      const { TaskHandle } = await sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: Attributes.QueueArn,
          ...(destinationArn === undefined ? {} : { DestinationArn: destinationArn }),
        }),
      );
      return {
        method: RedriveMethod.MOVE_TASK,
        deadLetterQueueUrl,
        moved: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        failed: 0,
        unroutable: 0,
        destinations: {},
        ...(TaskHandle === undefined ? {} : { taskHandle: TaskHandle }),
      };
    } catch (error) {
      if (!isUnsupportedAction(error)) throw error;
    }
  }
  return {
    method: RedriveMethod.COPY,
    deadLetterQueueUrl,
    ...(await copyMessages(sqs, deadLetterQueueUrl, options)),
  };
}

async function arnOf(sqs: SQSClient, queueUrl: string): Promise<string | undefined> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes.QueueArn;
}
