/**
 * What `celeriac inspect`, `celeriac control` and `celeriac events` share: the app (its module with `--app`, else
 * the environment the constructs set), the registry's control client and the task index on its results table,
 * and how replies are printed: `-> <hostname>: OK` then the value, as Celery prints them, or one JSON object
 * keyed by hostname with `--json`.
 */
import type { App } from '../app.js';
import { createAwsClients } from '../aws/clients.js';
import { DynamoDbMonitoringStore } from '../aws/dynamodb-monitoring-store.js';
import { DynamoDbTaskIndex } from '../aws/dynamodb-task-index.js';
import { CeleriacError } from '../errors.js';
import { createApp } from '../index.js';
import { ControlClient } from '../monitoring/control-client.js';
import type { ControlReply } from '../ports/monitoring-store.js';
import { loadApp } from './load-app.js';
import { UsageError } from './usage-error.js';

/** The options every monitoring command takes. */
export const MONITORING_OPTIONS = {
  app: { type: 'string', short: 'A' },
  json: { type: 'boolean' },
  timeout: { type: 'string', short: 't' },
  destination: { type: 'string', short: 'd' },
} as const;

/** The help text of {@link MONITORING_OPTIONS}. */
export const MONITORING_OPTIONS_USAGE = `  --app, -A <module>       Module exporting the app (default: an app from the CELERIAC_* environment)
  --json                   Print one JSON object instead of text
  --timeout, -t <s>        Seconds to gather replies (default: the heartbeat interval + 5)
  --destination, -d <a,b>  Only these workers (their hostnames, e.g. celeriac@host)`;

/** What a monitoring command works with. */
export interface MonitoringContext {
  readonly app: App;
  readonly control: ControlClient;
  readonly taskIndex: DynamoDbTaskIndex;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly destination: readonly string[] | undefined;
}

/** Builds the context from the parsed options. */
export async function monitoringContext(values: {
  readonly app?: string | undefined;
  readonly json?: boolean | undefined;
  readonly timeout?: string | undefined;
  readonly destination?: string | undefined;
}): Promise<MonitoringContext> {
  const app = values.app ? await loadApp(values.app) : createApp();
  const settings = app.config;
  const clients = createAwsClients(settings);
  const timeout =
    values.timeout === undefined ? settings.events.heartbeatSeconds + 5 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new UsageError(
      `Expected --timeout to be a number of seconds > 0, got ${JSON.stringify(values.timeout)}`,
    );
  }
  const destination = values.destination
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return {
    app,
    control: new ControlClient(
      new DynamoDbMonitoringStore(clients.dynamodb, { tableName: settings.resultTable }),
      app.runtime.clock,
    ),
    taskIndex: new DynamoDbTaskIndex(clients.dynamodb, { tableName: settings.resultTable }),
    json: values.json === true,
    timeoutMs: timeout * 1000,
    destination: destination && destination.length > 0 ? destination : undefined,
  };
}

/**
 * One answer per node: a value, or an error. `reply` marks a control reply, which Celery's JSON shows as it is
 * sent, `{"ok": value}` or `{"error": reason}`; an inspect method's value shows as itself.
 */
export type NodeAnswers = ReadonlyArray<{
  readonly node: string;
  readonly ok?: unknown;
  readonly error?: string;
  readonly reply?: true;
}>;

/** The replies of a broadcast as node answers. */
export const fromReplies = (replies: readonly ControlReply[]): NodeAnswers =>
  replies.map((reply) => ({
    node: reply.hostname,
    reply: true,
    ...(reply.error === undefined ? { ok: reply.ok } : { error: reply.error }),
  }));

function indent(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0
      ? '    - empty -'
      : value.map((item) => `    * ${JSON.stringify(item)}`).join('\n');
  }
  return `    ${typeof value === 'string' ? value : JSON.stringify(value, null, 2).replace(/\n/g, '\n    ')}`;
}

/** No worker answered an inspect or control command in time: exit 1. */
export class NoRepliesError extends CeleriacError {
  override readonly name = 'NoRepliesError';
}

/**
 * Prints the answers; throws when there is none, as Celery's `No nodes replied within time constraint`.
 *
 * @returns whether every answer was OK.
 */
export function printAnswers(
  answers: NodeAnswers,
  json: boolean,
  what: string,
  shape: 'inspect' | 'control' = 'inspect',
): boolean {
  if (answers.length === 0) {
    throw new NoRepliesError(
      `No nodes replied within time constraint (${what}): are workers running with the registry on ` +
        '(`ResultStore({ taskIndex: true })` or `events.workerRegistry`)?',
    );
  }
  if (json) {
    // Celery's `--json`: `inspect` prints one object keyed by node, `control` a list of one-node objects.
    const value = (answer: NodeAnswers[number]): unknown =>
      answer.error !== undefined ? { error: answer.error } : answer.reply ? { ok: answer.ok } : answer.ok;
    console.log(
      JSON.stringify(
        shape === 'control'
          ? answers.map((answer) => ({ [answer.node]: value(answer) }))
          : Object.fromEntries(answers.map((answer) => [answer.node, value(answer)])),
      ),
    );
  } else {
    for (const answer of answers) {
      console.log(`-> ${answer.node}: ${answer.error === undefined ? 'OK' : 'ERROR'}`);
      console.log(indent(answer.error ?? answer.ok));
    }
    console.log(`\n${answers.length} node${answers.length === 1 ? '' : 's'} replied.`);
  }
  return answers.every((answer) => answer.error === undefined);
}
