/**
 * Workflows at scale on the emulator, run by the long-running worker: a group of 1,000, a chord of 1,000 a tenth
 * of whose header messages are delivered twice (the chord counter counts each member once, the body runs once,
 * and a member costs a constant number of AWS requests: the saved group is read once, the counter written at most
 * once per member), and a chain of 100. Each prints its time; bench/workflows.ts measures time and requests per
 * member against Python. test/unit/canvas/scale.test.ts runs a chord of 1,000 with all delivered twice in memory.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsCallCounter } from '../../bench/aws-call-counter.js';
import { createAwsClients } from '../../src/aws/clients.js';
import { ensureResultTable } from '../../src/aws/index.js';
import { chain, chord, group } from '../../src/canvas/index.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { type App, createApp, createAwsTransport } from '../../src/index.js';
import { type RunningWorker, runWorker } from '../../src/worker/run-worker.js';
import { uniqueName } from '../emulator/unique-name.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
/**
 * How long a workflow may take. A chord of 1,000 takes about 20 s on an idle two-core machine (it took 110 s,
 * and 316 s on a slower busy one, before test/emulator/moto_server.py fixed moto's scans of deep queues); the
 * limits only catch a hang, as speed is measured in bench/workflows.ts, not here.
 */
const GET = { timeoutMs: 540_000, intervalMs: 200, maxIntervalMs: 1000 } as const;
const TEST_TIMEOUT_MS = 600_000;
/** Members of the emulator chord. */
const CHORD_MEMBERS = Number(process.env.SCALE_CHORD_MEMBERS ?? 1000);
/**
 * AWS requests per chord member, producer and worker together (measured: about 3, SQS and result polling
 * included: a claim, a result, a share of the counter writes, receives and deletes).
 */
const MAX_REQUESTS_PER_MEMBER = 4;
/** The worker's slots. */
const WORKER_CONCURRENCY = 16;
/** The most keys one BatchGetItem reads: the joining worker reads the members' results 100 at a time. */
const MEMBERS_PER_READ = 100;

describe('workflows at scale on the emulator', { timeout: TEST_TIMEOUT_MS }, () => {
  const queuePrefix = `${uniqueName('scale')}-`;
  const resultTable = uniqueName('scale-results');
  const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
  let queueUrl = '';
  let app: App;
  let worker: RunningWorker | undefined;
  let bodyRuns = 0;
  let tasks: ReturnType<typeof register>;
  const calls = new AwsCallCounter();
  /**
   * Requests on the chord's records, by kind: reads of its saved group, writes of its counter, and reads of its
   * members' results (keys asked for, in BatchGetItem requests).
   */
  const chordRecords = { groupReads: 0, counterWrites: 0, memberReads: 0, memberKeysRead: 0 };

  function register(target: App) {
    const add = target.task('tasks.add', (a: number, b: number) => a + b);
    const tsum = target.task('tasks.tsum', (numbers: number[]) => {
      bodyRuns += 1;
      return numbers.reduce((x, y) => x + y, 0);
    });
    return { add, tsum };
  }

  beforeAll(async () => {
    await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
    ({ QueueUrl: queueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${queuePrefix}celery`, Attributes: { VisibilityTimeout: '120' } }),
    ));
    const settings = { queueNamePrefix: queuePrefix, resultTable, env: { AWS_ENDPOINT_URL: endpoint } };
    const config = resolveConfig(settings);
    const clients = createAwsClients(config);
    calls.watch(clients.sqs).watch(clients.dynamodb);
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: { id?: { S?: string } } }).Key?.id?.S ?? '';
        if (context.commandName === 'GetItemCommand' && key.startsWith("b'celery-taskset-meta-")) {
          chordRecords.groupReads += 1;
        }
        if (context.commandName === 'UpdateItemCommand' && key.startsWith("b'chord-unlock-")) {
          chordRecords.counterWrites += 1;
        }
        if (context.commandName === 'BatchGetItemCommand') {
          const items = (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems;
          chordRecords.memberReads += 1;
          chordRecords.memberKeysRead += items?.[resultTable]?.Keys?.length ?? 0;
        }
        return next(args);
      },
      { step: 'initialize', name: 'chordRecordCounter' },
    );
    app = createApp({ ...settings, transport: createAwsTransport(config, clients) });
    tasks = register(app);
  });

  afterAll(async () => {
    await worker?.stop();
  });

  const startWorker = (): void => {
    worker = runWorker(app, { concurrency: WORKER_CONCURRENCY, waitTimeSeconds: 1, log: () => undefined });
  };

  it('a group of 1,000 completes, in order', async () => {
    const started = Date.now();
    const result = await group(...Array.from({ length: 1000 }, (_, i) => tasks.add.s(i, i))).applyAsync();
    startWorker();
    expect(await result.get(GET)).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i));
    console.log(`[scale] group of 1000 on the emulator: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('a chord of 1,000, a tenth of its members delivered twice, counts each member once, runs the body once, and costs a constant number of requests per member', async () => {
    await worker?.stop();
    calls.reset();
    const started = Date.now();
    const result = await chord(
      Array.from({ length: CHORD_MEMBERS }, (_, i) => tasks.add.s(i, 1)),
      tasks.tsum.s(),
    ).applyAsync();
    // Copy header messages before any worker runs them, as SQS may deliver a message twice: take each once
    // (invisible meanwhile), make them all visible again, then send copies of every tenth.
    const copies = new Map<string, { body: string; receipt: string }>();
    for (let empty = 0; copies.size < CHORD_MEMBERS && empty < 3; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120 }),
      );
      empty = Messages.length === 0 ? empty + 1 : 0;
      for (const m of Messages)
        copies.set(m.MessageId ?? '', { body: m.Body ?? '', receipt: m.ReceiptHandle ?? '' });
    }
    const all = [...copies.values()];
    for (let i = 0; i < all.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: all
            .slice(i, i + 10)
            .map((c, j) => ({ Id: String(j), ReceiptHandle: c.receipt, VisibilityTimeout: 0 })),
        }),
      );
    }
    expect(all).toHaveLength(CHORD_MEMBERS);
    const twice = all.filter((_, i) => i % 10 === 0);
    for (let i = 0; i < twice.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: twice.slice(i, i + 10).map((c, j) => ({ Id: String(j), MessageBody: c.body })),
        }),
      );
    }
    startWorker();
    expect(await result.get(GET)).toBe(((CHORD_MEMBERS - 1) * CHORD_MEMBERS) / 2 + CHORD_MEMBERS);
    expect(bodyRuns).toBe(1);
    const perMember = calls.total() / CHORD_MEMBERS;
    console.log(
      `[scale] chord of ${CHORD_MEMBERS} (a tenth delivered twice): ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${perMember.toFixed(2)} requests per member, ${chordRecords.counterWrites} counter writes, ` +
        `${chordRecords.groupReads} group read(s), ${chordRecords.memberReads} member read(s) of ` +
        `${chordRecords.memberKeysRead} key(s): ${JSON.stringify(calls.snapshot())}`,
    );
    // One worker process reads the saved group once, not once per member. It forgets the group once the chord is
    // joined, so a duplicate delivery counted while the join deletes the chord's records reads it again (and finds
    // it gone): at most one such read per slot of the worker.
    expect(chordRecords.groupReads).toBeGreaterThanOrEqual(1);
    expect(chordRecords.groupReads).toBeLessThanOrEqual(1 + WORKER_CONCURRENCY);
    // The joining worker reads every member's result, 100 to a request, and again only those not ready yet (every
    // 100 ms for at most the 3 s join timeout); no member's result is read alone (the GetItems are the producer
    // polling the chord's result).
    expect(chordRecords.memberKeysRead).toBeGreaterThanOrEqual(CHORD_MEMBERS);
    expect(chordRecords.memberReads).toBeLessThanOrEqual(Math.ceil(CHORD_MEMBERS / MEMBERS_PER_READ) + 30);
    expect(calls.snapshot().GetItem ?? 0).toBeLessThan(CHORD_MEMBERS / 2);
    // Each member is counted in at most one write, and each duplicate's refused write is its only other one.
    expect(chordRecords.counterWrites).toBeLessThanOrEqual(CHORD_MEMBERS + twice.length);
    expect(perMember).toBeLessThanOrEqual(MAX_REQUESTS_PER_MEMBER);
  });

  it('a chain of 100 completes', async () => {
    const started = Date.now();
    const steps = [tasks.add.s(0, 1), ...Array.from({ length: 99 }, () => tasks.add.s(1))] as const;
    const result = await chain(...(steps as unknown as [(typeof steps)[0]])).applyAsync();
    expect(await result.get(GET)).toBe(100);
    console.log(`[scale] chain of 100 on the emulator: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
