/**
 * Moves the messages of a dead-letter queue back to the queues they came from (or to one named queue).
 *
 * SQS does this itself with `StartMessageMoveTask`, which this uses when it can: the whole queue, back to each
 * message's source. Emulators without it (MiniStack, moto) answer that the action is unknown, and a move of at
 * most `maxMessages` messages is not something the task can do; then the messages are moved here, ten at a time:
 * received from the dead-letter queue, sent to their destination with the same body and attributes, and deleted
 * from the dead-letter queue only once the send succeeded. A message whose send failed, or whose source is not
 * known, is made visible again in the dead-letter queue: nothing is lost. A message can be sent twice only when its
 * delete failed after its send succeeded, which at-least-once consumers (Celery's) already tolerate.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
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

/** True for the answers of a service that does not know `StartMessageMoveTask`. */
export function isUnsupportedAction(error: unknown): boolean {
  const name = errorName(error);
  if (
    ['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException', 'NotImplemented'].includes(name)
  ) {
    return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /not (valid|implemented|supported)|unknown operation/i.test(message);
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
          MessageDeduplicationId: message.Attributes?.MessageDeduplicationId ?? message.MessageId,
        }
      : {}),
  };
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
  const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
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
      const fresh = Messages.filter((m) => m.MessageId === undefined || !keptBack.has(m.MessageId));
      for (const m of Messages) if (!fresh.includes(m) && m.ReceiptHandle) held.push(m.ReceiptHandle);
      // Only messages already kept back came: the rest of the queue has been moved.
      if (fresh.length === 0) break;
      const byDestination = new Map<string, Message[]>();
      for (const message of fresh) {
        const sourceArn = message.Attributes?.DeadLetterQueueSourceArn;
        let destination = fixedDestination;
        if (destination === undefined && sourceArn !== undefined) {
          destination = sourceUrls.get(sourceArn) ?? (await urlOfArn(sqs, sourceArn));
          sourceUrls.set(sourceArn, destination);
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
  if (options.maxMessages === undefined) {
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
