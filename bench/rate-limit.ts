/**
 * `npm run bench:rate-limit`: the AWS requests per task that rate and key limits add, counted at the SDK on moto
 * (counts do not depend on the emulator's speed). For each setting, BENCH_RATE_TASKS (default 400) tasks are sent
 * with `sendTasks` and drained by the Lambda handler in batches of 10, as the event source mapping delivers them.
 * Printed per setting: the requests per task by operation (the function's, and the event source mapping's
 * receives), the difference from no limit, and the rate the drain reached.
 *
 * - a limit that never binds (10 000/s) shows the limiter's own cost at steady state: one conditional write per
 *   batch of tokens (10 from 40/s up);
 * - a key concurrency shows its two writes per task (take the slot, free it);
 * - a limit that binds (20/s) adds the cost of waiting in SQS: a visibility change (or a send and a delete after
 *   three receives) and one more receive per time a message is turned away.
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App } from '../src/app.js';
import { createAwsClients } from '../src/aws/clients.js';
import { ensureResultTable } from '../src/aws/ensure-result-table.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { createAwsTransport } from '../src/index.js';
import { createSqsHandler } from '../src/lambda/create-sqs-handler.js';
import type { TaskOptions } from '../src/task-options.js';
import { startMotoServer } from '../test/emulator/moto-server.js';
import { pollOnce } from '../test/helpers/event-source-mapping.js';
import { AwsCallCounter, perTask } from './aws-call-counter.js';
import { useBenchEnv } from './fast-emulators.js';

const TASKS = Number(process.env.BENCH_RATE_TASKS || 400);
if (!Number.isInteger(TASKS) || TASKS < 10) {
  throw new Error(
    `Expected BENCH_RATE_TASKS to be a whole number >= 10, got ${process.env.BENCH_RATE_TASKS}`,
  );
}

const SETTINGS: readonly { readonly label: string; readonly options: TaskOptions }[] = [
  { label: 'no limit', options: {} },
  { label: 'rateLimit 10000/s (never binds)', options: { rateLimit: '10000/s' } },
  {
    label: 'keyConcurrency 5, 10 keys',
    options: { rateLimitKey: { header: 'tenant' }, keyConcurrency: 5 },
  },
  { label: 'rateLimit 20/s (binds)', options: { rateLimit: '20/s' } },
];

async function measure(endpoint: string, table: string, options: TaskOptions) {
  const esm = new SQSClient({ endpoint, region: 'us-east-1', useQueueUrlAsEndpoint: false });
  const name = `bench-rate-${Math.random().toString(36).slice(2, 10)}`;
  const { QueueUrl: queueUrl } = await esm.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }),
  );
  if (!queueUrl) throw new Error(`could not create ${name}`);
  const settings = resolveConfig({
    queueUrls: { celery: queueUrl },
    resultTable: table,
    region: 'us-east-1',
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  const clients = createAwsClients({ endpoint, region: 'us-east-1' });
  const app = new App(settings, createAwsTransport(settings, clients));
  app.task('bench.add', (a: number, b: number) => a + b, options);
  const results = await app.sendTasks(
    Array.from({ length: TASKS }, (_, i) => ({
      name: 'bench.add',
      args: [i, 1],
      options: { headers: { tenant: `t${i % 10}` } },
    })),
  );
  const counter = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  const receives = new AwsCallCounter().watch(esm);
  const handler = createSqsHandler(app, { log: () => undefined });
  const started = Date.now();
  let idle = 0;
  // Until the queue stays empty for 3 s: throttled messages are invisible for a second or more.
  while (idle < 3) {
    const poll = await pollOnce(esm, queueUrl, handler, { waitTimeSeconds: 1 });
    idle = poll.records.length === 0 ? idle + 1 : 0;
  }
  // The drain ended with three empty one-second polls.
  const seconds = (Date.now() - started) / 1000 - 3;
  const calls = { ...counter.snapshot(), 'ESM ReceiveMessage': receives.snapshot().ReceiveMessage ?? 0 };
  const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 10_000 })));
  const wrong = values.filter((value, i) => value !== i + 1).length;
  if (wrong > 0) throw new Error(`${wrong} results are wrong`);
  return { calls, rate: TASKS / Math.max(seconds, 0.001) };
}

async function main(): Promise<void> {
  useBenchEnv();
  const moto = await startMotoServer();
  try {
    const { endpoint } = moto;
    const table = 'bench-rate-results';
    await ensureResultTable(createAwsClients({ endpoint, region: 'us-east-1' }).dynamodb, table);
    const lines = [
      '',
      `celeriac rate and key limits: AWS requests per task, ${TASKS} tasks through the Lambda handler`,
    ];
    let baseline: number | undefined;
    for (const { label, options } of SETTINGS) {
      const { calls, rate } = await measure(endpoint, table, options);
      const total = Object.values(calls).reduce((a, b) => a + b, 0) / TASKS;
      baseline ??= total;
      lines.push(
        `  ${label.padEnd(36)}${total.toFixed(2).padStart(8)} per task (+${(total - baseline).toFixed(2)})   ${rate.toFixed(0)} tasks/s`,
        `    ${perTask(calls, TASKS)}`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await moto.stop();
  }
}

await main();
