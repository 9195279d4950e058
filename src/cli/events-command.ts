/**
 * `celeriac events`: a live tail of the events the workers put on the EventBridge bus, like
 * `celery events --dump`. It opens a tail of its own (a queue and a rule on the bus, `src/aws/event-bus-tail.ts`)
 * and removes it on exit; filters are applied as the events arrive.
 */
import { parseArgs } from 'node:util';
import { createAwsClients } from '../aws/clients.js';
import { openEventBusTail } from '../aws/event-bus-tail.js';
import { createApp } from '../index.js';
import { EventDumper } from '../monitoring/dump-event.js';
import { loadApp } from './load-app.js';
import { UsageError } from './usage-error.js';

export const EVENTS_USAGE = `Usage: celeriac events [options]

Prints the workers' events as they happen, in the format of celery events --dump. The workers must send
events to an EventBridge bus (events.sinks: ['eventbridge'], or CELERIAC_EVENTS=eventbridge). This opens a
tail of its own on the bus (an SQS queue and a rule, removed on exit) and needs sqs:CreateQueue,
sqs:SetQueueAttributes, sqs:ReceiveMessage, sqs:DeleteMessage, sqs:DeleteQueue, events:PutRule,
events:PutTargets, events:RemoveTargets and events:DeleteRule.

Options:
  --app, -A <module>     Module exporting the app (default: an app from the CELERIAC_* environment)
  --bus <name>           The bus (default: the app's events.eventBusName, CELERIAC_EVENT_BUS, else default)
  --name <a,b>           Only events of these task names
  --state <S,...>        Only task events of these states: RECEIVED, STARTED, SUCCESS, FAILURE, RETRY,
                         REVOKED, REJECTED, SENT
  --json                 One JSON event per line instead of text
  --duration <s>         Stop after this many seconds (default: until SIGINT or SIGTERM)

Examples:
  celeriac events --app dist/app.js
  celeriac events --name tasks.add --state FAILURE,RETRY --json
  celeriac events --bus celeriac-events --duration 60
`;

const STATE_EVENTS: Readonly<Record<string, string>> = {
  SENT: 'task-sent',
  RECEIVED: 'task-received',
  STARTED: 'task-started',
  SUCCESS: 'task-succeeded',
  FAILURE: 'task-failed',
  RETRY: 'task-retried',
  REVOKED: 'task-revoked',
  REJECTED: 'task-rejected',
};

const list = (text: string | undefined): string[] | undefined =>
  text
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Runs the tail until a signal or `--duration`. */
export async function eventsCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string', short: 'A' },
      bus: { type: 'string' },
      name: { type: 'string' },
      state: { type: 'string' },
      json: { type: 'boolean' },
      duration: { type: 'string' },
    },
    strict: true,
  });
  const names = list(values.name);
  const states = list(values.state)?.map((state) => state.toUpperCase());
  for (const state of states ?? []) {
    if (!STATE_EVENTS[state]) {
      throw new UsageError(
        `Unknown --state ${JSON.stringify(state)}; use ${Object.keys(STATE_EVENTS).join(', ')}\n\n${EVENTS_USAGE}`,
      );
    }
  }
  const types = states?.map((state) => STATE_EVENTS[state]);
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && (!Number.isFinite(duration) || duration <= 0)) {
    throw new UsageError(
      `Expected --duration to be a number of seconds > 0, got ${JSON.stringify(values.duration)}`,
    );
  }
  const app = values.app ? await loadApp(values.app) : createApp();
  const clients = createAwsClients(app.config);
  const tail = await openEventBusTail({
    sqs: clients.sqs,
    clientOptions: { region: app.config.region, endpoint: app.config.endpoint },
    eventBusName: values.bus ?? app.config.events.eventBusName,
    source: app.config.events.source,
  });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const timer = duration === undefined ? undefined : setTimeout(onSignal, duration * 1000);
  const dumper = new EventDumper();
  if (!values.json) console.log('-> evdump: starting capture...');
  try {
    while (!stop.signal.aborted) {
      const events = await tail.receive(20, stop.signal);
      const ordered = (events as Array<Record<string, unknown>>).sort(
        (a, b) => Number(a.timestamp) - Number(b.timestamp) || Number(a.clock) - Number(b.clock),
      );
      for (const event of ordered) {
        const type = String(event.type);
        const line = dumper.line(event);
        const uuid = typeof event.uuid === 'string' ? event.uuid : undefined;
        const name = typeof event.name === 'string' ? event.name : uuid ? dumper.nameOf(uuid) : undefined;
        if (names && (name === undefined || !names.includes(name))) continue;
        if (types && !types.includes(type)) continue;
        console.log(values.json ? JSON.stringify(event) : line);
      }
    }
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tail.close();
  }
}
