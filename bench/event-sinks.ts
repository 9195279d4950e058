/**
 * `npm run bench:events`: the AWS requests per task that each monitoring setting adds, counted at the SDK on moto
 * (counts do not depend on the emulator's speed). For each setting, BENCH_EVENT_TASKS (default 200) `tasks.add`
 * are sent with `sendTasks` and drained by the Lambda handler in batches of 10, as the event source mapping
 * delivers them; the table is printed with the requests per task by operation, beside events off. Counted: what
 * the app sends (SendMessageBatch) and the function calls; the event source mapping's own receives and deletes
 * are Lambda's, the same in every setting, and not counted. With the task index on, the Lambda worker also keeps
 * its registry record and reads control records once per heartbeat (the PutItem and Query above 1.00 and 0).
 *
 * The `stdout` sink makes no request by construction (JSON lines on stdout) and is not listed.
 */
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App } from '../src/app.js';
import { createAwsClients } from '../src/aws/clients.js';
import { EventBridgeEventBus } from '../src/aws/eventbridge-event-bus.js';
import { type AppConfig, resolveConfig } from '../src/config/resolve-config.js';
import { createAwsTransport } from '../src/index.js';
import { createSqsHandler } from '../src/lambda/create-sqs-handler.js';
import { startMotoServer } from '../test/emulator/moto-server.js';
import { pollOnce } from '../test/helpers/event-source-mapping.js';
import { createIndexedResultTable } from '../test/helpers/indexed-result-table.js';
import { AwsCallCounter, perTask } from './aws-call-counter.js';
import { useBenchEnv } from './fast-emulators.js';

const TASKS = Number(process.env.BENCH_EVENT_TASKS || 200);
if (!Number.isInteger(TASKS) || TASKS < 1) {
  throw new Error(
    `Expected BENCH_EVENT_TASKS to be a whole number >= 1, got ${process.env.BENCH_EVENT_TASKS}`,
  );
}

const SETTINGS: readonly { readonly label: string; readonly events: AppConfig['events'] }[] = [
  { label: 'events off (the default)', events: undefined },
  { label: 'task index (ResultStore taskIndex)', events: { taskIndex: true } },
  { label: 'eventbridge sink', events: { sinks: ['eventbridge'] } },
  { label: 'eventbridge sink + task-sent events', events: { sinks: ['eventbridge'], taskSentEvent: true } },
];

async function measure(endpoint: string, table: string, busName: string, events: AppConfig['events']) {
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', useQueueUrlAsEndpoint: false });
  const name = `bench-events-${Math.random().toString(36).slice(2, 10)}`;
  const { QueueUrl: queueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }),
  );
  if (!queueUrl) throw new Error(`could not create ${name}`);
  const settings = resolveConfig({
    queueUrls: { celery: queueUrl },
    resultTable: table,
    region: 'us-east-1',
    env: { AWS_ENDPOINT_URL: endpoint },
    ...(events ? { events: { ...events, eventBusName: busName } } : {}),
  });
  const clients = createAwsClients({ endpoint, region: 'us-east-1' });
  const bus = new EventBridgeClient({ endpoint, region: 'us-east-1' });
  const counter = new AwsCallCounter().watch(clients.sqs).watch(clients.dynamodb);
  // The counter's types name the SQS and DynamoDB clients; the middleware is the same on every SDK v3 client.
  counter.watch(bus as unknown as SQSClient);
  const transport = {
    ...createAwsTransport(settings, clients),
    ...(settings.events.sinks.includes('eventbridge')
      ? { eventBus: new EventBridgeEventBus({ client: bus, eventBusName: busName }) }
      : {}),
  };
  const app = new App(settings, transport);
  app.task('tasks.add', (a: number, b: number) => a + b);
  const results = await app.sendTasks(
    Array.from({ length: TASKS }, (_, i) => ({ name: 'tasks.add', args: [i, 1] })),
  );
  const handler = createSqsHandler(app, { log: () => undefined });
  for (;;) {
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0 });
    if (poll.records.length === 0) break;
  }
  const calls = counter.snapshot();
  const values = await Promise.all(results.map((r) => r.get({ timeoutMs: 10_000 })));
  const wrong = values.filter((value, i) => value !== i + 1).length;
  if (wrong > 0) throw new Error(`${wrong} results are wrong`);
  return calls;
}

async function main(): Promise<void> {
  useBenchEnv();
  const moto = await startMotoServer();
  try {
    const { endpoint } = moto;
    const table = 'bench-events-results';
    const busName = 'bench-events';
    await createIndexedResultTable(createAwsClients({ endpoint, region: 'us-east-1' }).dynamodb, table);
    await new EventBridgeClient({ endpoint, region: 'us-east-1' }).send(
      new CreateEventBusCommand({ Name: busName }),
    );
    const lines = [
      '',
      `celeriac event sinks: AWS requests per task, ${TASKS} tasks through the Lambda handler`,
    ];
    let baseline: number | undefined;
    for (const { label, events } of SETTINGS) {
      const calls = await measure(endpoint, table, busName, events);
      // Sending is the producer's; the rest is the worker's.
      const total = Object.values(calls).reduce((a, b) => a + b, 0) / TASKS;
      baseline ??= total;
      lines.push(
        `  ${label.padEnd(40)}${total.toFixed(2).padStart(8)} per task (+${(total - baseline).toFixed(2)})`,
        `    ${perTask(calls, TASKS)}`,
      );
    }
    console.log(lines.join('\n'));
  } finally {
    await moto.stop();
  }
}

await main();
