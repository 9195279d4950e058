/**
 * The Lambda handler with a threads pool: a record's task that never yields is terminated at its hard limit,
 * well inside the invocation, while the batch's other records complete; a terminating revoke stops a running one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqsHandler } from '../../../../src/lambda/create-sqs-handler.js';
import type { SqsRecord } from '../../../../src/lambda/sqs-event.js';
import { createPool } from '../../../../src/worker/pool/create-pool.js';
import { app, transport } from './pool-app.js';

const appModule = fileURLToPath(new URL('./pool-app.ts', import.meta.url));
const pool = createPool({ kind: 'threads', size: 3, appModule });
afterAll(() => pool.close());

async function records(count: number): Promise<SqsRecord[]> {
  const received = await transport.broker.receive('memory://celery', {
    maxMessages: count,
    waitTimeSeconds: 0,
    visibilityTimeoutSeconds: 60,
  });
  return received.map((message) => ({
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:celery',
  }));
}

describe('createSqsHandler with a threads pool', () => {
  it('terminates a looping task at its hard limit and completes the rest of the batch', async () => {
    const spin = await app.sendTask('tasks.spin-limited');
    const adds = await Promise.all([app.sendTask('tasks.add', [1, 2]), app.sendTask('tasks.add', [3, 4])]);
    const batch = await records(3);
    expect(batch).toHaveLength(3);
    const lines: string[] = [];
    const handler = createSqsHandler(app, { pool, log: (line) => lines.push(line) });
    const started = Date.now();
    const response = await handler({ Records: batch }, { getRemainingTimeInMillis: () => 60_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(response.batchItemFailures).toEqual([]);
    await expect(spin.get({ timeoutMs: 1000 })).rejects.toMatchObject({ name: 'TimeLimitExceeded' });
    expect(await Promise.all(adds.map((r) => r.get({ timeoutMs: 1000 })))).toEqual([3, 7]);
  }, 60_000);

  it('stops a running task revoked with terminate, storing REVOKED', async () => {
    const spin = await app.sendTask('tasks.spin-tracked');
    const batch = await records(1);
    const handler = createSqsHandler(app, { pool, revocationCheckMs: 200, log: () => undefined });
    const handled = handler({ Records: batch }, { getRemainingTimeInMillis: () => 60_000 });
    for (let i = 0; i < 200 && (await spin.state()) !== 'STARTED'; i++) await sleep(50);
    await app.revoke(spin.id, { terminate: true });
    const response = await handled;
    expect(response.batchItemFailures).toEqual([]);
    expect(await spin.state()).toBe('REVOKED');
    const after = await app.sendTask('tasks.add', [5, 5]);
    await handler({ Records: await records(1) }, { getRemainingTimeInMillis: () => 60_000 });
    expect(await after.get({ timeoutMs: 1000 })).toBe(10);
  }, 60_000);
});
