import { describe, expect, it } from 'vitest';
import { CoalescingBroker } from '../../src/coalescing-broker.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { BackendError } from '../../src/errors.js';
import { MemoryBroker } from '../../src/memory/memory-broker.js';
import type { OutgoingMessage } from '../../src/ports/broker.js';

/** A memory broker that records every send call's size and can be made to fail. */
class RecordingBroker extends MemoryBroker {
  readonly calls: { queueUrl: string; count: number }[] = [];
  failNext = false;
  override async send(queueUrl: string, messages: readonly OutgoingMessage[]): Promise<string[]> {
    this.calls.push({ queueUrl, count: messages.length });
    if (this.failNext) {
      this.failNext = false;
      throw BackendError.failed('SQS SendMessageBatch', 'throttled', true);
    }
    return await super.send(queueUrl, messages);
  }
}

async function setup() {
  const inner = new RecordingBroker();
  const standard = inner.createQueue('jobs');
  const fifo = inner.createQueue('jobs.fifo');
  return { inner, standard, fifo, broker: new CoalescingBroker(inner, 5) };
}

const message = (body: string): OutgoingMessage => ({ body });

describe('CoalescingBroker', () => {
  it('merges concurrent single sends per queue and answers each caller with its own message id', async () => {
    const { inner, standard, broker } = await setup();
    const ids = await Promise.all(['a', 'b', 'c'].map((b) => broker.send(standard, [message(b)])));
    expect(inner.calls).toEqual([{ queueUrl: standard, count: 3 }]);
    expect(new Set(ids.flat()).size).toBe(3);
  });

  it('sends at once when 10 are waiting, without waiting for the window', async () => {
    const { inner, standard, broker } = await setup();
    const sends = Array.from({ length: 12 }, (_, i) => broker.send(standard, [message(String(i))]));
    expect(inner.calls).toEqual([{ queueUrl: standard, count: 10 }]);
    await Promise.all(sends);
    expect(inner.calls.map((c) => c.count)).toEqual([10, 2]);
  });

  it('passes multi-message sends and FIFO queues straight through', async () => {
    const { inner, standard, fifo, broker } = await setup();
    await broker.send(standard, [message('x'), message('y')]);
    await broker.send(fifo, [{ body: 'z', messageGroupId: 'g', messageDeduplicationId: 'd' }]);
    expect(inner.calls).toEqual([
      { queueUrl: standard, count: 2 },
      { queueUrl: fifo, count: 1 },
    ]);
  });

  it('rejects every caller of a batch whose send failed, with the broker error', async () => {
    const { inner, standard, broker } = await setup();
    inner.failNext = true;
    const sends = ['a', 'b'].map((b) => broker.send(standard, [message(b)]));
    for (const send of sends) await expect(send).rejects.toThrow(/SendMessageBatch failed: throttled/);
    await expect(broker.send(standard, [message('c')])).resolves.toHaveLength(1);
  });
});

describe('coalesceSendsMs setting', () => {
  it('is off by default, read from CELERIAC_COALESCE_SENDS_MS, and refused outside 0-1000 ms', () => {
    expect(resolveConfig({ env: {} }).coalesceSendsMs).toBe(0);
    expect(resolveConfig({ env: { CELERIAC_COALESCE_SENDS_MS: '5' } }).coalesceSendsMs).toBe(5);
    expect(() => resolveConfig({ env: {}, coalesceSendsMs: -1 })).toThrow(
      /Expected `coalesceSendsMs` \(CELERIAC_COALESCE_SENDS_MS\) to be a number of milliseconds from 0 to 1000, got -1/,
    );
    expect(() => resolveConfig({ env: { CELERIAC_COALESCE_SENDS_MS: 'soon' } })).toThrow(/got soon/);
  });
});
