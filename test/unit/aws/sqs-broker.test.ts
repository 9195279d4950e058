import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { fromSqsAttributes, toSqsAttributes } from '../../../src/aws/sqs-attributes.js';
import { MAX_BATCHES_IN_FLIGHT, planBatches, SqsBroker } from '../../../src/aws/sqs-broker.js';
import { messageSize } from '../../../src/ports/message-size.js';
import { SQS_MAX_MESSAGE_BYTES } from '../../../src/ports/service-limits.js';

describe('planBatches', () => {
  it('splits at 10 entries', () => {
    const messages = Array.from({ length: 23 }, () => ({ body: 'x' }));
    expect(planBatches(messages).map((batch) => batch.length)).toEqual([10, 10, 3]);
  });

  it('counts attributes towards the 1 MiB request limit, as SQS does', () => {
    const attribute = { Trace: { dataType: 'String' as const, stringValue: 'y'.repeat(1000) } };
    const half = { body: 'x'.repeat(SQS_MAX_MESSAGE_BYTES / 2 - 500), attributes: attribute };
    expect(messageSize(half)).toBeGreaterThan(SQS_MAX_MESSAGE_BYTES / 2);
    expect(planBatches([half, half])).toEqual([[0], [1]]);
    const bare = { body: half.body };
    expect(planBatches([bare, bare])).toEqual([[0, 1]]);
  });
});

describe('SQS message attributes', () => {
  it('round-trips strings, numbers and binary through the SDK shape', () => {
    const attributes = {
      ExtendedPayloadSize: { dataType: 'Number' as const, stringValue: '300000' },
      Trace: { dataType: 'String' as const, stringValue: 'abc' },
      Blob: { dataType: 'Binary' as const, binaryValue: new Uint8Array([1, 2, 3]) },
    };
    expect(fromSqsAttributes(toSqsAttributes(attributes))).toEqual(attributes);
  });

  it('keeps only the base type of a custom data type', () => {
    expect(
      fromSqsAttributes({
        Size: { DataType: 'Number.int', StringValue: '42' },
        Doc: { DataType: 'String.json', StringValue: '{}' },
      }),
    ).toEqual({
      Size: { dataType: 'Number', stringValue: '42' },
      Doc: { dataType: 'String', stringValue: '{}' },
    });
  });

  it('sends no attribute map at all when there are none (SQS refuses an empty one)', () => {
    expect(toSqsAttributes(undefined)).toBeUndefined();
    expect(toSqsAttributes({})).toBeUndefined();
  });
});

describe('SqsBroker.send', () => {
  /** A client whose SendMessageBatch answers after a pause, recording how many were in flight at once. */
  function batchClient() {
    let inFlight = 0;
    let most = 0;
    const entryIds: string[][] = [];
    const client = {
      send: async (command: { input: { Entries?: { Id: string }[] } }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const entries = command.input.Entries ?? [];
        entryIds.push(entries.map((e) => e.Id));
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
      },
    };
    return { client: client as unknown as SQSClient, stats: () => ({ most, entryIds }) };
  }
  const messages = Array.from({ length: 95 }, (_, i) => ({ body: `task ${i}` }));

  it('keeps several batches in flight on a standard queue and returns the ids in input order', async () => {
    const { client, stats } = batchClient();
    const ids = await new SqsBroker(client).send('https://sqs.example/1/jobs', messages);
    expect(ids).toEqual(messages.map((_, i) => `m-${i}`));
    expect(stats().entryIds).toHaveLength(10);
    expect(stats().most).toBe(MAX_BATCHES_IN_FLIGHT);
  });

  it('sends the batches of a FIFO queue one after another, in order', async () => {
    const { client, stats } = batchClient();
    await new SqsBroker(client).send('https://sqs.example/1/jobs.fifo', messages);
    expect(stats().most).toBe(1);
    expect(stats().entryIds.flat()).toEqual(messages.map((_, i) => String(i)));
  });
});
