/**
 * `celeriac beat` as a real process against the emulator, with a 2-second schedule, and a worker running what it
 * fires: every slot runs once, none is skipped, across a restart too.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';
import { createBeatApp, runs } from '../fixtures/beat-app.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const table = uniqueName('beat-results');
const SLOT_MS = 2000;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until the clock is `offsetMs` past a 2-second slot boundary, so starts and stops never race a slot. */
async function alignTo(offsetMs: number): Promise<void> {
  const now = Date.now();
  const target = Math.floor(now / SLOT_MS) * SLOT_MS + offsetMs;
  await sleep(target > now ? target - now : target + SLOT_MS - now);
}
const slot = (t: number) => Math.floor(t / SLOT_MS) * SLOT_MS;
const idOf = (t: number) => `tick-${new Date(t).toISOString().replace('.000Z', 'Z')}`;
/** Task ids of every slot from the one at or before `from` to the one at or before `to`. */
function slotIds(from: number, to: number): string[] {
  const ids: string[] = [];
  for (let t = slot(from); t <= slot(to); t += SLOT_MS) ids.push(idOf(t));
  return ids;
}

async function stop(beat: CliProcess): Promise<number> {
  const at = Date.now();
  beat.child.kill('SIGTERM');
  expect((await beat.exited).code).toBe(0);
  return at;
}

/** Beat state directories this file made, removed when it ends. */
const stateDirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'celeriac-beat-'));
  stateDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('celeriac beat', () => {
  it('fires a 2-second schedule for a fixed time: the worker runs every slot once, and resumes after a restart', async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('beat'));
    const env = { CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }), CELERIAC_RESULT_TABLE: table };
    const stateFile = path.join(await stateDir(), 'beat.json');
    const app = createBeatApp({ ...env, AWS_ENDPOINT_URL: endpoint });
    const worker = runWorker(app, { concurrency: 4, waitTimeSeconds: 1, log: () => undefined });
    const beatArgs = [
      'beat',
      '--app',
      'test/fixtures/beat-app.ts',
      '--state-file',
      stateFile,
      '--catch-up',
      '60',
    ];
    try {
      // First run: ~9 s.
      let beat = startCli(beatArgs, env);
      await beat.waitFor(/beat started/);
      const firstStart = Date.now();
      await alignTo(1000);
      await sleep(8000);
      const firstStop = await stop(beat);
      // Down for ~5 s: two or three slots are missed, and must be caught up.
      await alignTo(1000);
      await sleep(4000);
      beat = startCli(beatArgs, env);
      await beat.waitFor(/beat started/);
      await alignTo(1000);
      await sleep(4000);
      const secondStop = await stop(beat);
      expect(slot(firstStop)).toBeGreaterThan(slot(firstStart));

      const expected = slotIds(firstStart, secondStop);
      for (let i = 0; i < 50 && runs.length < expected.length; i++) await sleep(200);
      await sleep(1500); // anything extra would arrive now
      expect([...runs].sort()).toEqual(expected);
      expect(new Set(runs).size).toBe(runs.length);
      const state = JSON.parse(await readFile(stateFile, 'utf8')) as { lastFired: Record<string, string> };
      expect(state.lastFired.tick).toBe(new Date(slot(secondStop)).toISOString());
      for (const id of expected.slice(0, 3))
        expect(await app.asyncResult(id).get({ timeoutMs: 2000 })).toBe(id);
    } finally {
      await worker.stop();
    }
  }, 90_000);

  it('skips slots missed longer ago than the catch-up window', async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, uniqueName('beat'));
    const env = { CELERIAC_QUEUE_URLS: JSON.stringify({ celery: queueUrl }), CELERIAC_RESULT_TABLE: table };
    const stateFile = path.join(await stateDir(), 'beat.json');
    const stale = Date.now() - 60_000;
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(stateFile, JSON.stringify({ lastFired: { tick: new Date(slot(stale)).toISOString() } })),
    );
    const beat = startCli(
      ['beat', '--app', 'test/fixtures/beat-app.ts', '--state-file', stateFile, '--catch-up', '5'],
      env,
    );
    await beat.waitFor(/beat started/);
    await alignTo(1000);
    const stoppedAt = await stop(beat);
    const fired = [...beat.output().matchAll(/beat fired tick \(tasks\.tick\) for (\S+)/g)].map((m) =>
      Date.parse(m[1] ?? ''),
    );
    expect(fired.length).toBeGreaterThan(0);
    // Only slots within 5 s of the start were caught up; nothing from the minute before.
    expect(Math.min(...fired)).toBeGreaterThanOrEqual(stoppedAt - 5000 - 4000);
  }, 30_000);
});
