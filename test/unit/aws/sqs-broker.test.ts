import { describe, expect, it } from 'vitest';
import { fromSqsAttributes, toSqsAttributes } from '../../../src/aws/sqs-attributes.js';
import { planBatches } from '../../../src/aws/sqs-broker.js';
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
