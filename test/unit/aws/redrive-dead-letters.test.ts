/**
 * The paths of `redriveDeadLetters` no emulator has: SQS's own move task, and a send that fails for one message.
 * The copying itself runs against MiniStack in test/e2e/dlq-redrive.test.ts.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  isUnsupportedAction,
  RedriveError,
  RedriveMethod,
  redriveDeadLetters,
} from '../../../src/aws/redrive-dead-letters.js';
import { serviceError } from './sdk-errors.js';

const DLQ = 'https://sqs.us-east-1.amazonaws.com/111122223333/tasks-dlq';
const SOURCE = 'https://sqs.us-east-1.amazonaws.com/111122223333/tasks';

type Handler = (input: Record<string, unknown>) => unknown;

/** A client answering each command by its name; records every call. */
function stubClient(handlers: Record<string, Handler>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const handler = handlers[name];
      if (handler === undefined) throw new Error(`unexpected ${name}`);
      return handler(command.input);
    },
  };
  return { sqs: client as unknown as SQSClient, calls };
}

describe('redriveDeadLetters', () => {
  it("starts SQS's move task for the whole queue when the service has it", async () => {
    const { sqs, calls } = stubClient({
      GetQueueAttributes: () => ({
        Attributes: {
          QueueArn: 'arn:aws:sqs:us-east-1:111122223333:tasks-dlq',
          ApproximateNumberOfMessages: '7',
        },
      }),
      StartMessageMoveTask: () => ({ TaskHandle: 'handle-1' }),
    });
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: DLQ });
    expect(report).toEqual({
      method: RedriveMethod.MOVE_TASK,
      deadLetterQueueUrl: DLQ,
      moved: 7,
      failed: 0,
      unroutable: 0,
      destinations: {},
      taskHandle: 'handle-1',
    });
    expect(calls.find((c) => c.command === 'StartMessageMoveTask')?.input).toEqual({
      SourceArn: 'arn:aws:sqs:us-east-1:111122223333:tasks-dlq',
    });
  });

  it('deletes only the messages whose send succeeded and makes the failed one visible again', async () => {
    let receives = 0;
    const { sqs, calls } = stubClient({
      ReceiveMessage: () =>
        receives++ === 0
          ? {
              Messages: ['a', 'b'].map((id) => ({
                MessageId: id,
                ReceiptHandle: `rh-${id}`,
                Body: `body ${id}`,
                Attributes: { DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:111122223333:tasks' },
              })),
            }
          : { Messages: [] },
      GetQueueUrl: () => ({ QueueUrl: SOURCE }),
      SendMessageBatch: () => ({
        Successful: [{ Id: '0', MessageId: 'new-a' }],
        Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
      }),
      DeleteMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
      ChangeMessageVisibilityBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
    });
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: DLQ, maxMessages: 10 });
    expect(report).toMatchObject({
      method: RedriveMethod.COPY,
      moved: 1,
      failed: 1,
      destinations: { [SOURCE]: 1 },
    });
    expect(calls.find((c) => c.command === 'DeleteMessageBatch')?.input).toEqual({
      QueueUrl: DLQ,
      Entries: [{ Id: '0', ReceiptHandle: 'rh-a' }],
    });
    expect(calls.find((c) => c.command === 'ChangeMessageVisibilityBatch')?.input).toEqual({
      QueueUrl: DLQ,
      Entries: [{ Id: '0', ReceiptHandle: 'rh-b', VisibilityTimeout: 0 }],
    });
  });

  it('makes every received message visible again when a send throws, and deletes none', async () => {
    const { sqs, calls } = stubClient({
      ReceiveMessage: () => ({ Messages: [{ MessageId: 'a', ReceiptHandle: 'rh-a', Body: 'x' }] }),
      GetQueueUrl: () => ({ QueueUrl: SOURCE }),
      SendMessageBatch: () => {
        throw serviceError('AccessDenied', 403);
      },
      ChangeMessageVisibilityBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
    });
    await expect(
      redriveDeadLetters(sqs, { deadLetterQueue: DLQ, to: 'tasks', maxMessages: 1 }),
    ).rejects.toThrow('AccessDenied from the service');
    expect(calls.some((c) => c.command === 'DeleteMessageBatch')).toBe(false);
    expect(calls.at(-1)).toEqual({
      command: 'ChangeMessageVisibilityBatch',
      input: { QueueUrl: DLQ, Entries: [{ Id: '0', ReceiptHandle: 'rh-a', VisibilityTimeout: 0 }] },
    });
  });

  it('moves only the messages asked for by id, makes the others visible again, and never starts the move task', async () => {
    let receives = 0;
    const { sqs, calls } = stubClient({
      ReceiveMessage: () =>
        receives++ === 0
          ? {
              Messages: ['a', 'b', 'c'].map((id) => ({
                MessageId: id,
                ReceiptHandle: `rh-${id}`,
                Body: `body ${id}`,
                Attributes: { DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:111122223333:tasks' },
              })),
            }
          : { Messages: [] },
      GetQueueUrl: () => ({ QueueUrl: SOURCE }),
      SendMessageBatch: (input) => ({
        Successful: (input.Entries as { Id: string }[]).map((e) => ({ Id: e.Id })),
        Failed: [],
      }),
      DeleteMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
      ChangeMessageVisibilityBatch: () => ({ Successful: [], Failed: [] }),
    });
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: DLQ, messageIds: ['b'] });
    expect(report).toMatchObject({ method: RedriveMethod.COPY, moved: 1, failed: 0 });
    expect(calls.some((c) => c.command === 'StartMessageMoveTask')).toBe(false);
    const sent = calls.find((c) => c.command === 'SendMessageBatch')?.input.Entries as {
      MessageBody: string;
    }[];
    expect(sent.map((e) => e.MessageBody)).toEqual(['body b']);
    expect(calls.find((c) => c.command === 'DeleteMessageBatch')?.input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-b' },
    ]);
    const released = calls
      .filter((c) => c.command === 'ChangeMessageVisibilityBatch')
      .flatMap((c) => (c.input.Entries as { ReceiptHandle: string }[]).map((e) => e.ReceiptHandle));
    expect(released.sort()).toEqual(['rh-a', 'rh-c']);
  });

  it('sends a message that does not name its source to the one queue whose redrive policy names the DLQ', async () => {
    let receives = 0;
    const { sqs, calls } = stubClient({
      ReceiveMessage: () =>
        receives++ === 0
          ? { Messages: [{ MessageId: 'a', ReceiptHandle: 'rh-a', Body: 'x' }] }
          : { Messages: [] },
      ListDeadLetterSourceQueues: () => ({ queueUrls: [SOURCE] }),
      SendMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
      DeleteMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
      ChangeMessageVisibilityBatch: () => ({ Successful: [], Failed: [] }),
    });
    const report = await redriveDeadLetters(sqs, { deadLetterQueue: DLQ, maxMessages: 5 });
    expect(report).toMatchObject({ moved: 1, unroutable: 0, destinations: { [SOURCE]: 1 } });
    expect(calls.find((c) => c.command === 'SendMessageBatch')?.input.QueueUrl).toBe(SOURCE);
  });

  it("gives a FIFO copy the deduplication id redrive-<dead letter's id>, the same on every run", async () => {
    const fifo = `${SOURCE}.fifo`;
    const entries: unknown[] = [];
    for (let run = 0; run < 2; run++) {
      let receives = 0;
      const { sqs, calls } = stubClient({
        ReceiveMessage: () =>
          receives++ === 0
            ? {
                Messages: [
                  {
                    MessageId: 'dl-1',
                    ReceiptHandle: `rh-${run}`,
                    Body: 'x',
                    Attributes: { MessageGroupId: 'g', MessageDeduplicationId: 'original' },
                  },
                ],
              }
            : { Messages: [] },
        SendMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
        DeleteMessageBatch: () => ({ Successful: [{ Id: '0' }], Failed: [] }),
        ChangeMessageVisibilityBatch: () => ({ Successful: [], Failed: [] }),
      });
      await redriveDeadLetters(sqs, { deadLetterQueue: DLQ, to: fifo, maxMessages: 1 });
      entries.push(calls.find((c) => c.command === 'SendMessageBatch')?.input.Entries);
    }
    expect(entries[0]).toEqual([
      { Id: '0', MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'redrive-dl-1' },
    ]);
    expect(entries[1]).toEqual(entries[0]);
  });

  it('refuses a queue name that does not exist, and a maximum below one', async () => {
    const { sqs } = stubClient({
      GetQueueUrl: () => {
        throw serviceError('AWS.SimpleQueueService.NonExistentQueue', 400);
      },
    });
    await expect(redriveDeadLetters(sqs, { deadLetterQueue: 'nope' })).rejects.toThrow(
      new RedriveError('No queue named "nope"; give its URL or its exact name.', { queue: 'nope' }),
    );
    await expect(redriveDeadLetters(sqs, { deadLetterQueue: DLQ, maxMessages: 0 })).rejects.toThrow(
      'Expected `maxMessages` to be an integer >= 1, got 0',
    );
  });
});

describe('isUnsupportedAction', () => {
  it("recognises the emulators' answers to an action they do not have, and nothing else", () => {
    expect(isUnsupportedAction(serviceError('InvalidAction', 400))).toBe(true);
    expect(isUnsupportedAction(serviceError('UnknownOperationException', 400))).toBe(true);
    expect(
      isUnsupportedAction(serviceError('InternalFailure', 500, 'The action is not implemented yet')),
    ).toBe(true);
    const motoPage = Object.assign(
      new Error(
        'Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
      { name: 'SyntaxError', $metadata: { httpStatusCode: 500, attempts: 3 } },
    );
    expect(isUnsupportedAction(motoPage)).toBe(true);
    expect(isUnsupportedAction(serviceError('InternalError', 500, 'We encountered an internal error'))).toBe(
      false,
    );
    expect(isUnsupportedAction(serviceError('AccessDenied', 403))).toBe(false);
    expect(isUnsupportedAction(serviceError('ResourceNotFoundException', 400))).toBe(false);
  });
});
