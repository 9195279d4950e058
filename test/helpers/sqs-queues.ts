/** Test helpers that create real queues on the emulator. */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Creates a queue with a dead-letter queue (`<name>-dlq`, or `<stem>-dlq.fifo`) and a redrive policy. */
export async function createQueueWithDeadLetter(
  sqs: SQSClient,
  name: string,
  options: { maxReceiveCount?: number; visibilityTimeoutSeconds?: number } = {},
): Promise<{ queueUrl: string; deadLetterUrl: string }> {
  const fifo = name.endsWith('.fifo');
  const dlqName = fifo ? `${name.slice(0, -5)}-dlq.fifo` : `${name}-dlq`;
  const fifoAttributes = fifo ? { FifoQueue: 'true' } : {};
  const { QueueUrl: deadLetterUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: dlqName, Attributes: { ...fifoAttributes } }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        ...fifoAttributes,
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: options.maxReceiveCount ?? 3,
        }),
      },
    }),
  );
  if (!queueUrl || !deadLetterUrl) throw new Error(`could not create ${name}`);
  return { queueUrl, deadLetterUrl };
}
