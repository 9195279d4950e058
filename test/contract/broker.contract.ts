/**
 * The contract every Broker adapter meets. Run against the memory broker and SQS on moto server.
 */
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/ports/broker.js';

/** A broker with a fresh queue (and its dead-letter queue, maxReceiveCount 2). */
export interface BrokerFixture {
  readonly broker: Broker;
  readonly queueUrl: string;
  readonly deadLetterUrl: string;
  readonly sqsQueueName: string;
}

export function describeBrokerContract(name: string, makeFixture: () => Promise<BrokerFixture>): void {
  describe(`Broker contract: ${name}`, () => {
    const receiveAll = async (broker: Broker, url: string, visibilityTimeoutSeconds = 30) => {
      const out = [];
      for (;;) {
        const batch = await broker.receive(url, {
          maxMessages: 10,
          waitTimeSeconds: 0,
          visibilityTimeoutSeconds,
        });
        if (batch.length === 0) return out;
        out.push(...batch);
      }
    };

    it('finds a queue URL by SQS name', async () => {
      const { broker, queueUrl, sqsQueueName } = await makeFixture();
      expect(await broker.queueUrl(sqsQueueName)).toBe(queueUrl);
    });

    it('rejects a lookup of a queue that does not exist', async () => {
      const { broker } = await makeFixture();
      await expect(broker.queueUrl('no-such-queue-anywhere')).rejects.toThrow(/no-such-queue-anywhere/);
    });

    it('sends one message and receives it with its body, attributes and a receive count of 1', async () => {
      const { broker, queueUrl } = await makeFixture();
      const [id] = await broker.send(queueUrl, [
        { body: 'hello', attributes: { ExtendedPayloadSize: { dataType: 'Number', stringValue: '5' } } },
      ]);
      const [message] = await broker.receive(queueUrl, { maxMessages: 10, waitTimeSeconds: 1 });
      expect(message).toMatchObject({ messageId: id, body: 'hello', receiveCount: 1 });
      expect(message?.attributes.ExtendedPayloadSize).toMatchObject({ dataType: 'Number', stringValue: '5' });
    });

    it('sends 25 messages in batches and returns their ids in order', async () => {
      const { broker, queueUrl } = await makeFixture();
      const ids = await broker.send(
        queueUrl,
        Array.from({ length: 25 }, (_, i) => ({ body: `m${i}` })),
      );
      expect(ids).toHaveLength(25);
      expect(new Set(ids).size).toBe(25);
      const received = await receiveAll(broker, queueUrl);
      expect(received.map((m) => m.body).sort()).toEqual(
        Array.from({ length: 25 }, (_, i) => `m${i}`).sort(),
      );
    });

    it('holds a delayed message back until its delay passes', async () => {
      const { broker, queueUrl } = await makeFixture();
      await broker.send(queueUrl, [{ body: 'later', delaySeconds: 2 }]);
      expect(await broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
      const [message] = await broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 4 });
      expect(message?.body).toBe('later');
    });

    it('deletes received messages so they never come back', async () => {
      const { broker, queueUrl } = await makeFixture();
      await broker.send(queueUrl, [{ body: 'a' }, { body: 'b' }]);
      const received = await receiveAll(broker, queueUrl, 1);
      expect(
        await broker.delete(
          queueUrl,
          received.map((m) => m.receiptHandle),
        ),
      ).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(await receiveAll(broker, queueUrl)).toEqual([]);
    });

    it('redelivers a message made visible again, counting the receives', async () => {
      const { broker, queueUrl } = await makeFixture();
      await broker.send(queueUrl, [{ body: 'again' }]);
      const [first] = await broker.receive(queueUrl, {
        maxMessages: 1,
        waitTimeSeconds: 1,
        visibilityTimeoutSeconds: 30,
      });
      expect(first).toBeDefined();
      const failures = await broker.changeVisibility(queueUrl, [
        { receiptHandle: first?.receiptHandle ?? '', visibilityTimeoutSeconds: 0 },
      ]);
      expect(failures).toEqual([]);
      const [second] = await broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 1 });
      expect(second).toMatchObject({ body: 'again', receiveCount: 2 });
    });

    it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
      const { broker, queueUrl, deadLetterUrl } = await makeFixture();
      await broker.send(queueUrl, [{ body: 'poison' }]);
      for (let i = 0; i < 2; i++) {
        const [m] = await broker.receive(queueUrl, {
          maxMessages: 1,
          waitTimeSeconds: 1,
          visibilityTimeoutSeconds: 0,
        });
        expect(m?.receiveCount).toBe(i + 1);
      }
      expect(await broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 })).toEqual([]);
      const [dead] = await broker.receive(deadLetterUrl, { maxMessages: 1, waitTimeSeconds: 1 });
      expect(dead?.body).toBe('poison');
    });

    it('returns early from a long poll when aborted', async () => {
      const { broker, queueUrl } = await makeFixture();
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 200);
      const messages = await broker.receive(queueUrl, {
        maxMessages: 1,
        waitTimeSeconds: 10,
        signal: controller.signal,
      });
      expect(messages).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
}
