import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../emulator/unique-name.js';

describe('emulator harness', () => {
  it('points the SDK at a moto server on loopback', async () => {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
    const name = uniqueName('harness');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    expect(QueueUrl).toContain(name);
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    expect(attrs.Attributes?.QueueArn).toBe(`arn:aws:sqs:us-east-1:123456789012:${name}`);
  });
});
