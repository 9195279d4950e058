/**
 * The README's quick start, run on the in-memory transport: the same API calls, so the README cannot drift from
 * the code.
 */
import { describe, expect, it } from 'vitest';
import { crontab } from '../../src/beat/crontab.js';
import { createApp } from '../../src/index.js';
import { createMemoryTransport } from '../../src/memory/index.js';
import { executeMessage } from '../../src/worker/execute-message.js';
import { workerIdentity } from '../../src/worker/worker-identity.js';

describe('README quick start', () => {
  it('defines, sends, runs and reads tasks as the README shows', async () => {
    const transport = createMemoryTransport();
    const queueUrl = transport.broker.createQueue('celery');
    transport.broker.createQueue('reports');
    const app = createApp({ transport, env: {} });

    const add = app.task('tasks.add', (a: number, b: number) => a + b);
    const report = app.task(
      'tasks.report',
      async function (this, day: string) {
        await this.updateState('PROGRESS', { day });
        return { day, rows: 42 };
      },
      { trackStarted: true, timeLimitSeconds: 300, maxRetries: 5 },
    );
    app.periodic('nightly-report', {
      task: report,
      args: ['yesterday'],
      schedule: crontab({ minute: 0, hour: 4 }),
    });

    const result = await add.delay(2, 3);
    const reported = await report.delay('2026-11-20');
    await app.sendTask('reports.build', ['2026-11'], { format: 'pdf' }, { countdown: 60, queue: 'reports' });

    const identity = workerIdentity();
    for (const message of await transport.broker.receive(queueUrl, { maxMessages: 10, waitTimeSeconds: 0 })) {
      await executeMessage(
        { ...message, queueUrl },
        { registry: app.registry, runtime: app.runtime, identity, leaseMs: 60_000, queueName: 'celery' },
      );
    }
    expect(await result.get({ timeoutMs: 10_000 })).toBe(5);
    expect(await reported.get({ timeoutMs: 10_000 })).toEqual({ day: '2026-11-20', rows: 42 });
    expect(app.scheduleDefinitions()).toMatchObject([
      { name: 'nightly-report', expressions: [{ expression: 'cron(0 4 * * ? *)', timezone: 'UTC' }] },
    ]);
    expect(transport.broker.peek('memory://reports')).toHaveLength(1);
  });
});
