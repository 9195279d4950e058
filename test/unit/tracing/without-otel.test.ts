/**
 * `@opentelemetry/api` is an optional peer dependency: when it cannot be imported, sending and running tasks
 * work as before and the messages carry no trace headers. The missing package is simulated by a module mock
 * whose import fails, as an absent package's does.
 */
import { describe, expect, it, vi } from 'vitest';
import { loadOtel } from '../../../src/tracing/load-otel.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';

vi.mock('@opentelemetry/api', () => {
  throw new Error("Cannot find package '@opentelemetry/api'");
});

describe('without @opentelemetry/api', () => {
  it('loads no API, and the message gets only Celery headers', async () => {
    await expect(loadOtel()).resolves.toBeUndefined();
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    await add.delay(1, 2);
    const [message] = fx.queued();
    const plain = fx.message('tasks.add', [1, 2], {}, { taskId: message?.headers.id ?? '' });
    expect(Object.keys(message?.headers ?? {})).toEqual(Object.keys(plain.headers));
    const [inbound] = await fx.receiveAll();
    if (!inbound) throw new Error('expected the message on the queue');
    const outcome = await executeMessage(inbound, fx.context());
    expect(outcome.state).toBe('SUCCESS');
  });
});
