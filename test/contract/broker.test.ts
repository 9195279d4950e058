import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsBroker } from '../../src/aws/sqs-broker.js';
import { MemoryBroker } from '../../src/memory/memory-broker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { describeBrokerContract } from './broker.contract.js';

describeBrokerContract('memory', async () => {
  const broker = new MemoryBroker();
  const sqsQueueName = uniqueName('q');
  const queueUrl = broker.createQueue(sqsQueueName, {
    deadLetter: { queueName: `${sqsQueueName}-dlq`, maxReceiveCount: 2 },
  });
  return { broker, queueUrl, deadLetterUrl: `memory://${sqsQueueName}-dlq`, sqsQueueName };
});

const sqs = new SQSClient({ endpoint: process.env.AWS_ENDPOINT_URL, useQueueUrlAsEndpoint: false });
describeBrokerContract('SQS (moto server)', async () => {
  const sqsQueueName = uniqueName('q');
  const { queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, sqsQueueName, {
    maxReceiveCount: 2,
  });
  return { broker: new SqsBroker(sqs), queueUrl, deadLetterUrl, sqsQueueName };
});
