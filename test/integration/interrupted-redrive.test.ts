/**
 * A redrive interrupted between a send and its delete, on the emulator: nothing is lost, and the copy that ends up
 * sent twice runs once. The first redrive runs in-process on an SQS client that "dies" after its send (its delete
 * and its release throw); the second is the real `celeriac dlq redrive`; then a real `celeriac worker` consumes
 * both copies, and the task's side effect (a line appended to a file) happens once (docs/operations.md).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { redriveDeadLetters } from '../../src/aws/redrive-dead-letters.js';
import { createApp } from '../../src/index.js';
import { uniqueName } from '../emulator/unique-name.js';
import { startCli } from '../helpers/cli-process.js';
import { deadLetterAll, depth, until } from '../helpers/operator-queues.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';

const endpoint = process.env.AWS_ENDPOINT_URL ?? '';
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
let replay: { queueUrl: string; deadLetterUrl: string };
let env: Record<string, string>;

async function run(args: string[]) {
  const cli = startCli(args, env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

const client = () => createApp({ env: { ...env, AWS_ENDPOINT_URL: endpoint } });

beforeAll(async () => {
  const table = uniqueName('redrive-results');
  await ensureResultTable(new DynamoDBClient({ endpoint }), table);
  replay = await createQueueWithDeadLetter(sqs, uniqueName('redrive-once'), { maxReceiveCount: 1 });
  env = { CELERIAC_QUEUE_URLS: JSON.stringify({ celery: replay.queueUrl }), CELERIAC_RESULT_TABLE: table };
});

afterAll(() => sqs.destroy());

describe('an interrupted redrive', () => {
  it('loses nothing, and the copy sent twice runs once: the claim refuses the second as a DUPLICATE', async () => {
    const app = client();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ops-redrive-')), 'runs.txt');
    const sent = await app.sendTask('ops.record', [file, 'ran']);
    await deadLetterAll(sqs, replay, 1);

    // The process "dies" right after its send: the delete never happens, nor does the release.
    const dying = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
    const send = dying.send.bind(dying) as (command: unknown) => Promise<unknown>;
    (dying as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
      if (
        command instanceof DeleteMessageBatchCommand ||
        command instanceof ChangeMessageVisibilityBatchCommand
      ) {
        throw new Error('killed between send and delete');
      }
      return await send(command);
    };
    await expect(
      redriveDeadLetters(dying, { deadLetterQueue: replay.deadLetterUrl, visibilityTimeoutSeconds: 1 }),
    ).rejects.toThrow('killed between send and delete');
    dying.destroy();
    expect(await depth(sqs, replay.queueUrl)).toBe(1);
    expect(await depth(sqs, replay.deadLetterUrl)).toBe(1);

    // Run again once the dead letter is visible again: it is sent a second time, and deleted.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rerun = await run(['dlq', 'redrive', 'celery']);
    expect(rerun.code).toBe(0);
    expect(rerun.output).toContain('Moved 1 messages');
    expect(await depth(sqs, replay.deadLetterUrl)).toBe(0);
    expect(await depth(sqs, replay.queueUrl)).toBe(2);

    const replayWorker = startCli(
      ['worker', '--app', 'test/fixtures/operator-app.ts', '--wait-time', '1'],
      env,
    );
    try {
      expect(await app.asyncResult(sent.id).get({ timeoutMs: 30_000 })).toBe('ran');
      await until(async () => (await depth(sqs, replay.queueUrl)) === 0, 'both copies handled', 40_000);
      await replayWorker.waitFor(new RegExp(`task ${sent.id} ops.record DUPLICATE`), 20_000);
    } finally {
      replayWorker.child.kill('SIGKILL');
      await replayWorker.exited;
    }
    expect(readFileSync(file, 'utf8')).toBe('ran\n');
    expect(await depth(sqs, replay.deadLetterUrl)).toBe(0);
  });
});
