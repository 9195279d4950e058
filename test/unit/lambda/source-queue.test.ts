/**
 * Which of the app's queues a Lambda record came from: the app's own URL only for the queue it configured, by
 * name, account and (where the URL names one) region; any other queue gets the URL SQS gives it.
 */
import { describe, expect, it } from 'vitest';
import { queueFromArn, queueUrlParts, sourceQueues } from '../../../src/lambda/source-queue.js';

const AWS_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs';

describe('queueFromArn', () => {
  it('gives the URL SQS gives the queue, in its partition', () => {
    expect(queueFromArn('arn:aws:sqs:eu-west-1:123456789012:jobs')).toEqual({ name: 'jobs', url: AWS_URL });
    expect(queueFromArn('arn:aws-cn:sqs:cn-north-1:123456789012:jobs.fifo')).toEqual({
      name: 'jobs.fifo',
      url: 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs.fifo',
    });
  });
});

describe('queueUrlParts', () => {
  it.each([
    [AWS_URL, { name: 'jobs', account: '123456789012', region: 'eu-west-1' }],
    [
      'https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/jobs',
      { name: 'jobs', account: '123456789012', region: 'us-gov-west-1' },
    ],
    [
      'https://ap-southeast-2.queue.amazonaws.com/123456789012/jobs',
      { name: 'jobs', account: '123456789012', region: 'ap-southeast-2' },
    ],
    [
      'https://queue.amazonaws.com/123456789012/jobs',
      { name: 'jobs', account: '123456789012', region: 'us-east-1' },
    ],
    [
      'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/jobs',
      { name: 'jobs', account: '000000000000', region: 'us-east-1' },
    ],
    ['http://127.0.0.1:4566/000000000000/jobs', { name: 'jobs', account: '000000000000' }],
    ['memory://jobs', { name: 'jobs' }],
  ])('reads %s', (url, parts) => {
    expect(queueUrlParts(url)).toEqual(parts);
  });
});

describe('sourceQueues', () => {
  const queueUrls = {
    default: AWS_URL,
    emails: 'http://127.0.0.1:4566/123456789012/emails',
    memo: 'memory://memo',
  };

  it("gives the app's URL and Celery name for the queue it configured", () => {
    expect(sourceQueues(queueUrls)('arn:aws:sqs:eu-west-1:123456789012:jobs')).toEqual({
      url: AWS_URL,
      name: 'default',
    });
  });

  it('matches by name and account where the URL names no region, and by name alone where it names neither', () => {
    expect(sourceQueues(queueUrls)('arn:aws:sqs:us-east-1:123456789012:emails')).toEqual({
      url: queueUrls.emails,
      name: 'emails',
    });
    expect(sourceQueues(queueUrls)('arn:aws:sqs:us-east-1:123456789012:memo')).toEqual({
      url: 'memory://memo',
      name: 'memo',
    });
  });

  it.each([
    [
      'another account',
      'arn:aws:sqs:eu-west-1:210987654321:jobs',
      'https://sqs.eu-west-1.amazonaws.com/210987654321/jobs',
    ],
    [
      'another region',
      'arn:aws:sqs:us-east-1:123456789012:jobs',
      'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
    ],
    [
      'another account, with no region in the URL',
      'arn:aws:sqs:us-east-1:000000000000:emails',
      'https://sqs.us-east-1.amazonaws.com/000000000000/emails',
    ],
  ])('gives a same-named queue in %s its own URL, not the app’s', (_what, arn, url) => {
    const { name } = queueFromArn(arn);
    expect(sourceQueues(queueUrls)(arn)).toEqual({ url, name });
  });
});
