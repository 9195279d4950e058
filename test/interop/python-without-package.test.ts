/**
 * What a Python Celery worker WITHOUT celeriac_celery does to a queue it shares with a `celeriac worker`
 * (docs/reliability.md, "Mixed fleets"):
 * - it writes result items without celeriac's claim attributes, so a message delivered again after Python ran
 *   its task (SQS's own duplicate delivery, a producer's retried send, a lapsed visibility timeout) is claimed
 *   and run again by the celeriac worker: the body runs twice;
 * - it acknowledges (deletes) each message before running it, so a Python worker killed mid-task loses that
 *   task: nothing comes back to the queue for any worker to finish.
 * With the package, the same copies are dropped as duplicates and the body runs once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { taskIdOf } from '../faults/helpers/fault-scenario.js';
import { createMixedFleet, type MixedFleet, until } from './helpers/mixed-fleet.js';

const VISIBILITY_SECONDS = 3;
const fleets: MixedFleet[] = [];
afterAll(async () => {
  await Promise.all(fleets.map((f) => f.close()));
});

/**
 * Python runs 5 tasks alone; then, with Python gone and a celeriac worker on the queue, copies of the 5 messages
 * Python received arrive (same bodies, same task ids). Returns each key's runs and the celeriac worker's log.
 */
async function pythonThenCopiesToCeleriac(claims: boolean) {
  const f = await createMixedFleet(claims ? 'with-pkg' : 'without-pkg', VISIBILITY_SECONDS);
  fleets.push(f);
  const client = createApp({ env: { ...f.clientEnv, AWS_ENDPOINT_URL: f.endpoint } });
  const python = await f.startPython({ concurrency: 2, claims });
  const results = await client.sendTasks<number>(
    Array.from({ length: 5 }, (_, key) => ({ name: 'mixed.mark', args: [key, 0] })),
  );
  expect(await Promise.all(results.map((r) => r.get({ timeoutMs: 30_000 })))).toEqual([0, 2, 4, 6, 8]);
  await python.stop();
  const ids = new Set(results.map((r) => r.id));
  const bodies = [...new Map(f.proxy.received().map((m) => [taskIdOf(m.body), m.body])).entries()]
    .filter(([id]) => id !== undefined && ids.has(id))
    .map(([, body]) => body);
  expect(bodies).toHaveLength(5);
  const celeriac = await f.startCeleriac({ concurrency: 4 });
  try {
    await f.sendCopies(bodies);
    await f.untilDrained('the copies to be settled', 30_000);
  } finally {
    await celeriac.stop();
  }
  return { runs: await f.runs(), log: celeriac.logs() };
}

describe('a Python Celery worker on a queue it shares with a celeriac worker', () => {
  it('without celeriac_celery: a message delivered again after Python ran its task runs again on celeriac', {
    timeout: 90_000,
  }, async () => {
    const { runs, log } = await pythonThenCopiesToCeleriac(false);
    // Every body ran twice: once in Python, once more in celeriac, which found no claim to refuse it.
    expect([...runs.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const marks of runs.values()) expect(marks.map((m) => m.side).sort()).toEqual(['py', 'ts']);
    expect(log.match(/ mixed\.mark SUCCESS/g)).toHaveLength(5);
  });

  it('with celeriac_celery: the same copies are dropped as duplicates and each body runs once', {
    timeout: 90_000,
  }, async () => {
    const { runs, log } = await pythonThenCopiesToCeleriac(true);
    expect([...runs.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const marks of runs.values()) expect(marks.map((m) => m.side)).toEqual(['py']);
    expect(log.match(/ mixed\.mark DUPLICATE/g)).toHaveLength(5);
  });

  it('without celeriac_celery: a Python worker killed mid-task loses the task (its message was deleted first)', {
    timeout: 90_000,
  }, async () => {
    const f = await createMixedFleet('without-pkg-kill', VISIBILITY_SECONDS);
    fleets.push(f);
    const client = createApp({ env: { ...f.clientEnv, AWS_ENDPOINT_URL: f.endpoint } });
    const python = await f.startPython({ concurrency: 1, claims: false });
    const [result] = await client.sendTasks<number>([{ name: 'mixed.mark', args: [7, 30_000] }]);
    if (!result) throw new Error('sendTasks returned no result');
    await until('Python to take the message', async () => f.proxy.received().length > 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await python.kill();
    const celeriac = await f.startCeleriac({ concurrency: 1 });
    try {
      // Well past the visibility timeout: a message that still existed would be back and run by now.
      await new Promise((resolve) => setTimeout(resolve, (VISIBILITY_SECONDS + 4) * 1000));
      expect(await f.depth()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await result.state()).toBe('PENDING');
      expect((await f.runs()).size).toBe(0);
    } finally {
      await celeriac.stop();
    }
  });
});
