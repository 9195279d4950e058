import { describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { BackendError } from '../../../src/errors.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { MemoryEtaScheduler } from '../../../src/memory/memory-eta-scheduler.js';
import type { OutgoingMessage } from '../../../src/ports/broker.js';
import type { EtaScheduler } from '../../../src/ports/eta-scheduler.js';
import { encodeTaskMessage } from '../../../src/protocol/task-message.js';
import { toTaskMessage } from '../../../src/send-request.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage } from '../../../src/worker/message-outcome.js';
import { workerIdentity } from '../../../src/worker/worker-identity.js';

const TWO_HOURS_MS = 7_200_000;

/** A worker on memory adapters, and a way to put a message on its queue as Python Celery would (ETA only). */
function worker(etaScheduler?: EtaScheduler) {
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };
  const transport = { ...createMemoryTransport(clock), ...(etaScheduler ? { etaScheduler } : {}) };
  const queueUrl = transport.broker.createQueue('celery');
  const app = new App(resolveConfig({ env: {} }), transport, { origin: 'gen1@test' });
  let ran = 0;
  app.task('tasks.later', () => {
    ran++;
  });
  const context = {
    registry: app.registry,
    runtime: app.runtime,
    identity: workerIdentity(),
    leaseMs: 60_000,
    queueName: 'celery',
  };
  return {
    transport,
    queueUrl,
    ran: () => ran,
    /** Moves the worker's clock (and the memory queue's) forward. */
    advance(ms: number): void {
      offsetMs += ms;
    },
    now: () => clock.now(),
    async deliver(etaMs: number, extra: Partial<OutgoingMessage> = {}): Promise<InboundMessage> {
      const request = app.client.request({
        name: 'tasks.later',
        args: [],
        kwargs: {},
        options: { eta: new Date(clock.now() + etaMs) },
        workflow: {},
      });
      await transport.broker.send(queueUrl, [{ body: encodeTaskMessage(toTaskMessage(request)), ...extra }]);
      const [received] = await transport.broker.receive(queueUrl, { maxMessages: 1, waitTimeSeconds: 0 });
      if (!received) throw new Error('no message on the queue');
      return { ...received, queueUrl };
    },
    run: (inbound: InboundMessage) => executeMessage(inbound, context),
  };
}

describe('redelay of a message received with a far ETA', () => {
  it('schedules the received body unchanged and deletes the copy, instead of re-sending it', async () => {
    const scheduler = new MemoryEtaScheduler();
    const w = worker(scheduler);
    const inbound = await w.deliver(TWO_HOURS_MS);
    const outcome = await w.run(inbound);
    expect(outcome).toMatchObject({ action: 'delete', state: 'DELAYED' });
    expect(outcome.reason).toMatch(/scheduled as /);
    expect(w.ran()).toBe(0);
    const [schedule] = [...scheduler.pending().values()];
    expect(schedule).toMatchObject({ body: inbound.body, queue: 'celery', queueUrl: w.queueUrl });
    expect(schedule?.deliverAt.getTime()).toBeGreaterThan(Date.now() + TWO_HOURS_MS - 5_000);
    // Only the received copy is left on the queue (the host deletes it): nothing was re-sent.
    expect(w.transport.broker.peek(w.queueUrl).map((m) => m.body)).toEqual([inbound.body]);
  });

  it('deletes a redelivered copy whose schedule already exists, without a second schedule', async () => {
    const scheduler = new MemoryEtaScheduler();
    const w = worker(scheduler);
    const inbound = await w.deliver(TWO_HOURS_MS);
    await w.run(inbound);
    const again = await w.run(inbound);
    expect(again).toMatchObject({ action: 'delete', state: 'DELAYED' });
    expect(again.reason).toMatch(/already scheduled as /);
    expect(scheduler.pending().size).toBe(1);
  });

  it('runs the task once when the schedule delivers the message at its ETA', async () => {
    const scheduler = new MemoryEtaScheduler();
    const w = worker(scheduler);
    const first = await w.deliver(TWO_HOURS_MS);
    await w.run(first);
    await w.transport.broker.delete(w.queueUrl, [first.receiptHandle]);
    const [schedule] = [...scheduler.pending().values()];
    w.advance(TWO_HOURS_MS + 1_000);
    expect(await scheduler.fireDue(w.transport.broker, w.now())).toBe(1);
    expect(scheduler.pending().size).toBe(0);
    const [fired] = await w.transport.broker.receive(w.queueUrl, { maxMessages: 10, waitTimeSeconds: 0 });
    if (!fired) throw new Error('the schedule delivered nothing');
    expect(fired.body).toBe(schedule?.body);
    expect(await w.run({ ...fired, queueUrl: w.queueUrl })).toMatchObject({
      action: 'delete',
      state: 'SUCCESS',
    });
    // A second delivery of the same message does not run it again.
    expect(await w.run({ ...fired, queueUrl: w.queueUrl })).toMatchObject({ state: 'DUPLICATE' });
    expect(w.ran()).toBe(1);
  });

  it('keeps the 15-minute hop for an ETA under the threshold', async () => {
    const scheduler = new MemoryEtaScheduler();
    const w = worker(scheduler);
    const inbound = await w.deliver(1_800_000);
    const outcome = await w.run(inbound);
    expect(outcome).toMatchObject({ action: 'delete', state: 'DELAYED' });
    expect(outcome.reason).not.toMatch(/scheduled|not scheduled/);
    expect(scheduler.pending().size).toBe(0);
    expect(w.transport.broker.peek(w.queueUrl)).toHaveLength(2);
  });

  it('hops a far message with attributes (an S3 pointer) and says why in its log line', async () => {
    const scheduler = new MemoryEtaScheduler();
    const w = worker(scheduler);
    const attributes = { ExtendedPayloadSize: { dataType: 'Number', stringValue: '5' } } as const;
    const outcome = await w.run(await w.deliver(TWO_HOURS_MS, { attributes }));
    expect(outcome.reason).toMatch(/not scheduled: the message has attributes \(ExtendedPayloadSize\)/);
    expect(scheduler.pending().size).toBe(0);
    expect(w.transport.broker.peek(w.queueUrl)).toHaveLength(2);
  });

  it('hops when scheduling fails, naming the error', async () => {
    const failing: EtaScheduler = {
      accepts: () => true,
      schedule: async () => {
        throw BackendError.failed(
          'EventBridge Scheduler CreateSchedule(default/x)',
          'ThrottlingException',
          true,
        );
      },
    };
    const w = worker(failing);
    const outcome = await w.run(await w.deliver(TWO_HOURS_MS));
    expect(outcome).toMatchObject({ action: 'delete', state: 'DELAYED' });
    expect(outcome.reason).toMatch(/not scheduled: scheduling failed, .*ThrottlingException/);
    expect(w.transport.broker.peek(w.queueUrl)).toHaveLength(2);
  });
});
