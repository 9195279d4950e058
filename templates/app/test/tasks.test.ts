/** The tasks, run in memory by a worker inside the test: no AWS, no emulator. */
import { createTestApp, startTestWorker, type TestWorker } from 'celeriac/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTasks } from '../src/tasks.js';

const app = createTestApp({ name: '{{name}}' });
const { add, heartbeat } = registerTasks(app);
let worker: TestWorker;

beforeAll(async () => {
  worker = await startTestWorker(app);
});

afterAll(async () => {
  await worker.stop();
});

describe('the tasks', () => {
  it('adds two numbers', async () => {
    const result = await add.delay(2, 3);
    expect(await result.get({ timeoutMs: 5_000 })).toBe(5);
  });

  it('runs the heartbeat, which returns its own task id', async () => {
    const result = await heartbeat.delay();
    expect((await worker.waitFor(result.id)).state).toBe('SUCCESS');
    expect(await result.get({ timeoutMs: 5_000 })).toBe(result.id);
  });

  it('deploys the heartbeat as a schedule that fires every minute', () => {
    const heartbeatSchedule = app.scheduleDefinitions().find((definition) => definition.name === 'heartbeat');
    expect(heartbeatSchedule?.expressions.map((e) => e.expression)).toEqual(['rate(1 minute)']);
  });
});
