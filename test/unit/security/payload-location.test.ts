import { describe, expect, it } from 'vitest';
import { MemoryPayloadStore } from '../../../src/memory/memory-payload-store.js';
import { Payloads } from '../../../src/payloads.js';
import { claimMeta, encodeS3Pointer } from '../../../src/protocol/payload-pointer.js';
import { buildResultMeta } from '../../../src/protocol/result-meta.js';
import { SecurityError, SecurityReason } from '../../../src/protocol/security-error.js';

const limits = { payloadThresholdBytes: 10, resultThresholdBytes: 10, maxPayloadBytes: 10_000 };

async function setup() {
  const store = new MemoryPayloadStore('payloads', 'celeriac/');
  const payloads = new Payloads(store, limits);
  const own = await payloads.offloadMessage('t1', 0, { body: 'x'.repeat(50) }, 'message');
  // Bytes an attacker might hope to read: another prefix of the same bucket.
  await store.put('../secrets.json', new TextEncoder().encode('"secret"'));
  return { store, payloads, own };
}

describe('S3 pointers are followed only inside the payload bucket and prefix', () => {
  it('follows its own pointer', async () => {
    const { payloads, own } = await setup();
    expect(await payloads.resolveMessage(own.body, own.attributes ?? {})).toBe('x'.repeat(50));
  });

  for (const [what, location] of [
    ['another bucket', { s3BucketName: 'someone-elses-bucket', s3Key: 'celeriac/t1/message.json' }],
    ['a key outside the prefix', { s3BucketName: 'payloads', s3Key: 'other/secrets.json' }],
    ['a key of the bucket root', { s3BucketName: 'payloads', s3Key: 'secrets.json' }],
  ] as const) {
    it(`refuses a message pointer to ${what}, with reason foreign-payload, without reading it`, async () => {
      const { payloads } = await setup();
      const attempt = payloads.resolveMessage(encodeS3Pointer(location), {});
      await expect(attempt).rejects.toBeInstanceOf(SecurityError);
      await expect(payloads.resolveMessage(encodeS3Pointer(location), {})).rejects.toMatchObject({
        reason: SecurityReason.FOREIGN_PAYLOAD,
        message: expect.stringContaining(`s3://${location.s3BucketName}/${location.s3Key}`),
      });
    });

    it(`refuses a result claim pointing to ${what}`, async () => {
      const { payloads } = await setup();
      const meta = claimMeta(buildResultMeta({ taskId: 't1', status: 'SUCCESS', result: 1 }), {
        ...location,
        size: 8,
      });
      await expect(payloads.resolveMeta(meta)).rejects.toMatchObject({
        reason: SecurityReason.FOREIGN_PAYLOAD,
      });
    });
  }
});

describe('a worker given a pointer to another bucket', () => {
  it('refuses the message before anything runs, leaving it for the dead-letter queue', async () => {
    const { memoryApp } = await import('../../helpers/memory-app.js');
    const { executeMessage } = await import('../../../src/worker/execute-message.js');
    const fx = memoryApp({ payloadThresholdBytes: 1000 });
    let ran = 0;
    fx.app.task('tasks.echo', () => {
      ran += 1;
    });
    const body = encodeS3Pointer({ s3BucketName: 'attacker-bucket', s3Key: 'celeriac/t1/message.json' });
    const outcome = await executeMessage(
      { messageId: 'm1', receiptHandle: 'r1', body, receiveCount: 1, queueUrl: fx.queueUrl, attributes: {} },
      fx.context(),
    );
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID' });
    expect(outcome.reason).toMatch(/SecurityError: Refusing an offloaded message that points outside/);
    expect(ran).toBe(0);
  });
});
