import { describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { type AppConfig, resolveConfig } from '../../src/config/resolve-config.js';
import { BackendError } from '../../src/errors.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { MemoryEtaScheduler } from '../../src/memory/memory-eta-scheduler.js';
import type { EtaScheduler } from '../../src/ports/eta-scheduler.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';

function appWith(etaScheduler: EtaScheduler | undefined, config: AppConfig = {}) {
  const transport = { ...createMemoryTransport(), ...(etaScheduler ? { etaScheduler } : {}) };
  const queueUrl = transport.broker.createQueue('celery');
  const app = new App(resolveConfig({ env: {}, ...config }), transport, { origin: 'gen1@test' });
  return { app, transport, queueUrl };
}

describe('Producer with long ETAs', () => {
  it('hands a 2-hour countdown to the scheduler with the message unchanged, and puts nothing on the queue', async () => {
    const scheduler = new MemoryEtaScheduler();
    const { app, transport, queueUrl } = appWith(scheduler);
    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    const before = Date.now();
    const result = await add.applyAsync([2, 3], {}, { countdown: 7200 });
    expect(transport.broker.peek(queueUrl)).toEqual([]);
    const [schedule] = [...scheduler.pending().values()];
    expect(schedule).toMatchObject({ taskId: result.id, retries: 0, queue: 'celery', queueUrl });
    const message = decodeTaskMessage(schedule?.body ?? '');
    expect(message.headers).toMatchObject({ id: result.id, task: 'tasks.add' });
    expect(message.args).toEqual([2, 3]);
    const deliverAt = schedule?.deliverAt.getTime() ?? 0;
    expect(deliverAt).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(deliverAt).toBe(Date.parse(message.headers.eta ?? ''));
  });

  it('keeps a countdown at the threshold on SQS, delayed by the first 15-minute hop', async () => {
    const scheduler = new MemoryEtaScheduler();
    const { app, transport, queueUrl } = appWith(scheduler, { longEta: { thresholdSeconds: 3600 } });
    await app.sendTask('tasks.add', [1, 2], {}, { countdown: 3600 });
    expect(scheduler.pending().size).toBe(0);
    const [queued] = transport.broker.peek(queueUrl);
    expect(queued?.visibleAtMs).toBeGreaterThan(Date.now() + 890_000);
    expect(queued?.visibleAtMs).toBeLessThanOrEqual(Date.now() + 900_000);
  });

  it('sends the message to SQS as before when scheduling fails', async () => {
    const failing: EtaScheduler = {
      accepts: () => true,
      schedule: async () => {
        throw BackendError.failed('EventBridge Scheduler CreateSchedule', 'AccessDeniedException', false);
      },
    };
    const { app, transport, queueUrl } = appWith(failing);
    const result = await app.sendTask('tasks.add', [1, 2], {}, { countdown: 7200 });
    const queued = transport.broker.peek(queueUrl);
    expect(queued.map((m) => decodeTaskMessage(m.body).headers.id)).toEqual([result.id]);
  });

  it('schedules only the long sends of a batch and sends the rest together', async () => {
    const scheduler = new MemoryEtaScheduler();
    const { app, transport, queueUrl } = appWith(scheduler);
    const now = app.sendTask('tasks.add', [1, 1]);
    const later = app.sendTask('tasks.add', [2, 2], {}, { countdown: 10_000 });
    const [soon, far] = await Promise.all([now, later]);
    expect(transport.broker.peek(queueUrl).map((m) => decodeTaskMessage(m.body).headers.id)).toEqual([
      soon.id,
    ]);
    expect([...scheduler.pending().values()].map((s) => s.taskId)).toEqual([far.id]);
  });
});
