/**
 * Scenario 7, part 1: error answers and dropped connections from the AWS endpoint, at 5-10% of requests, on
 * real worker processes. The SDK retries what it classifies as transient; whatever still fails must leave the
 * task for redelivery, never store it as FAILURE, never lose it, and never run an attempt's body twice.
 */
import { describe, it } from 'vitest';
import { FaultKind } from './helpers/fault-proxy.js';
import { runUnderProxyFaults } from './helpers/proxy-fault-run.js';

const SQS = /^AmazonSQS\./;
const DYNAMODB = /^DynamoDB_20120810\./;
const ANY_JSON = /^(AmazonSQS|DynamoDB_20120810)\./;

describe('fault scenario: the endpoint answers with errors or drops connections', () => {
  it('survives throttling: SQS RequestThrottled, DynamoDB ProvisionedThroughputExceeded and ThrottlingException', async () => {
    await runUnderProxyFaults('throttle', [
      { match: SQS, fault: FaultKind.Throttle, probability: 0.08 },
      { match: DYNAMODB, fault: FaultKind.Throttle, probability: 0.05 },
      { match: DYNAMODB, fault: FaultKind.ThrottlingException, probability: 0.05 },
    ]);
  });

  it('survives 500 and 503 answers', async () => {
    await runUnderProxyFaults('5xx', [
      { match: ANY_JSON, fault: FaultKind.Internal500, probability: 0.05 },
      { match: ANY_JSON, fault: FaultKind.Unavailable503, probability: 0.05 },
    ]);
  });

  it('survives connections reset before the request reaches the emulator and after it was processed', async () => {
    await runUnderProxyFaults('resets', [
      { match: ANY_JSON, fault: FaultKind.ResetBefore, probability: 0.05 },
      { match: ANY_JSON, fault: FaultKind.ResetAfter, probability: 0.05 },
    ]);
  });
});
