/**
 * End to end, long ETAs on MiniStack: the demo stack (its TaskQueue has `longEtas`) deployed with the CDK CLI,
 * a client configured from the deployed functions' environment as `celeriac local` configures one, and a
 * countdown past a lowered threshold (65 s against 60 s). The countdown becomes a one-time schedule in the
 * stack's long-ETA group; MiniStack fires it at the ETA into the queue, the deployed Lambda worker runs the task
 * once, and the schedule is gone after it fired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoStackOutputs, deployDemo } from '../../scripts/local/deploy.js';
import { MINISTACK_BIN } from '../../scripts/local/ministack.js';
import { scheduleName } from '../../src/aws/eventbridge-eta-scheduler.js';
import { listFunctionEnvironments } from '../../src/aws/list-function-environments.js';
import { ENV } from '../../src/config/env.js';
import { type App, createApp } from '../../src/index.js';
import { mergeClientEnvironment } from '../../src/local/client-environment.js';
import { type RunningEmulator, startEmulator } from '../../src/local/emulator.js';
import { emulatorEnvironment } from '../../src/local/emulator-environment.js';

const COUNTDOWN_SECONDS = 65;
const THRESHOLD_SECONDS = 60;

let ministack: RunningEmulator;
let workDir: string;
let outputs: DemoStackOutputs;
let variables: Readonly<Record<string, string>>;
let app: App;
let scheduler: SchedulerClient;
let sqs: SQSClient;

beforeAll(async () => {
  ministack = await startEmulator({ port: 0, bin: MINISTACK_BIN });
  workDir = mkdtempSync(path.join(tmpdir(), 'celeriac-e2e-long-eta-'));
  outputs = await deployDemo({
    endpoint: ministack.endpoint,
    assemblyDir: path.join(workDir, 'cdk.out'),
    outputsFile: path.join(workDir, 'outputs.json'),
    logFile: path.join(workDir, 'cdk.log'),
  });
  const env = emulatorEnvironment(ministack.endpoint, {});
  for (const name of [
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ])
    process.env[name] = env[name];
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // The client's environment from what the grants set on the deployed functions, as `celeriac local` builds it.
  variables = mergeClientEnvironment(
    await listFunctionEnvironments({ endpoint: ministack.endpoint }),
  ).variables;
  app = createApp({
    endpoint: ministack.endpoint,
    env: variables,
    longEta: { thresholdSeconds: THRESHOLD_SECONDS },
  });
  scheduler = new SchedulerClient({ endpoint: ministack.endpoint });
  sqs = new SQSClient({ endpoint: ministack.endpoint });
}, 120_000);

afterAll(async () => {
  await ministack?.stop();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

async function getSchedule(name: string) {
  return await scheduler.send(
    new GetScheduleCommand({ Name: name, GroupName: variables[ENV.SCHEDULE_GROUP] }),
  );
}

describe('long ETAs on MiniStack', () => {
  it('schedules a countdown past the threshold, fires it into the queue at its ETA, runs it once, and deletes the schedule', async () => {
    expect(variables[ENV.SCHEDULE_GROUP]).toMatch(/CeleriacLongEtaSchedules/);
    const sentAt = Date.now();
    const result = await app.sendTask<number>('tasks.add', [40, 2], {}, { countdown: COUNTDOWN_SECONDS });

    const name = scheduleName(result.id, 0);
    const schedule = await getSchedule(name);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: outputs.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    expect(schedule.Target?.Arn).toBe(Attributes?.QueueArn);
    expect(schedule.ActionAfterCompletion).toBe('DELETE');

    expect(await result.get({ timeoutMs: (COUNTDOWN_SECONDS + 40) * 1000, intervalMs: 500 })).toBe(42);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual((COUNTDOWN_SECONDS - 1) * 1000);
    await expect(getSchedule(name)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    // The deployed worker's line for the task, printed once: it ran once, and nothing re-delayed it.
    const lines = ministack
      .output()
      .split('\n')
      .filter((line) => line.includes(`task ${result.id} `));
    expect(lines.filter((line) => line.includes('SUCCESS'))).toHaveLength(1);
    expect(lines.filter((line) => line.includes('DELAYED'))).toEqual([]);
  }, 150_000);
});
