/** Queue depths and dead-lettering on the emulator, for the operator CLI tests. */
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The queue's messages by state: visible, in flight (received, not yet deleted) and delayed. */
export async function depths(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** Every message of the queue: visible, in flight and delayed. */
export async function depth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, inFlight, delayed } = await depths(sqs, queueUrl);
  return visible + inFlight + delayed;
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean>,
  what: string | (() => string),
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Receives from a queue no worker consumes until SQS has moved every message to its dead-letter queue, as it does
 * past the redrive policy's `maxReceiveCount`.
 */
export async function deadLetterAll(
  sqs: SQSClient,
  queue: { readonly queueUrl: string; readonly deadLetterUrl: string } | undefined,
  expected: number,
): Promise<void> {
  const { queueUrl, deadLetterUrl } = queue ?? { queueUrl: '', deadLetterUrl: '' };
  let seen = '';
  await until(
    async () => {
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      const [dead, left] = [await depth(sqs, deadLetterUrl), await depth(sqs, queueUrl)];
      seen = `${dead} dead, ${left} left`;
      return dead === expected && left === 0;
    },
    () => `${expected} dead letters in ${queueUrl} (${seen})`,
  );
}
