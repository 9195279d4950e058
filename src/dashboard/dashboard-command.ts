/**
 * `celeriac dashboard`: starts the dashboard for an app and serves it until SIGINT or SIGTERM. With `--events`
 * it also opens a tail of the workers' EventBridge bus (a queue and a rule of its own, removed on exit) to draw
 * each task's timeline.
 */
import { parseArgs } from 'node:util';
import { createAwsClients } from '../aws/clients.js';
import { type EventBusTail, openEventBusTail } from '../aws/event-bus-tail.js';
import { loadApp } from '../cli/load-app.js';
import { UsageError } from '../cli/usage-error.js';
import { createApp } from '../index.js';
import { isLoopback } from './access-policy.js';
import { createDashboardContext } from './dashboard-context.js';
import { EventLog } from './event-log.js';
import { startDashboardServer } from './server.js';

export const DASHBOARD_USAGE = `Usage: celeriac dashboard [options]

Serves a web dashboard for the app's queues, tasks, workers, periodic tasks, dead-letter queues and cost, like
celery flower, against AWS or an emulator. It reads on its own and writes only when you click an action
(revoke, retry, redrive, delete, purge after typing the queue's name).

Options:
  --app, -A <module>   Module exporting the app (default: an app from the CELERIAC_* environment)
  --port <n>           Port (default 5555; 0 picks a free one)
  --host <address>     Address to listen on (default 127.0.0.1). Any other address needs --token
  --token <text>       A secret of at least 16 characters every request must carry: open the URL printed,
                       which sets a cookie, or send Authorization: Bearer <token> (default: CELERIAC_DASHBOARD_TOKEN)
  --events             Also tail the workers' EventBridge bus for task timelines (creates a queue and a rule,
                       removed on exit; needs the permissions listed in celeriac events --help)

Examples:
  celeriac dashboard
  celeriac dashboard --app dist/app.js --port 8080
  celeriac dashboard --host 0.0.0.0 --token "$(openssl rand -hex 24)"
`;

/** Runs the dashboard until a signal. */
export async function dashboardCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string', short: 'A' },
      port: { type: 'string' },
      host: { type: 'string' },
      token: { type: 'string' },
      events: { type: 'boolean' },
    },
    strict: true,
  });
  const port = values.port === undefined ? 5555 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`Expected --port to be a port number (0-65535), got ${JSON.stringify(values.port)}`);
  }
  const host = values.host ?? '127.0.0.1';
  const token = values.token ?? (process.env.CELERIAC_DASHBOARD_TOKEN || undefined);
  if (!isLoopback(host) && (token === undefined || token.length < 16)) {
    throw new UsageError(
      `--host ${host} exposes the dashboard beyond this machine: add --token with at least 16 characters ` +
        '(e.g. --token "$(openssl rand -hex 24)"), or leave --host at 127.0.0.1',
    );
  }
  const app = values.app ? await loadApp(values.app) : createApp();
  const clients = createAwsClients(app.config);
  const log = values.events ? new EventLog() : undefined;
  const ctx = createDashboardContext(app, { clients, ...(log ? { events: log } : {}) });
  const stop = new AbortController();
  let tail: EventBusTail | undefined;
  if (log) {
    tail = await openEventBusTail({
      sqs: clients.sqs,
      clientOptions: { region: app.config.region, endpoint: app.config.endpoint },
      eventBusName: app.config.events.eventBusName,
      source: app.config.events.source,
    });
  }
  const server = await startDashboardServer(ctx, { host, port, ...(token ? { token } : {}) });
  console.log(
    `celeriac dashboard at ${token ? `${server.url}?token=${encodeURIComponent(token)}` : server.url}`,
  );
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (tail) {
      while (!stop.signal.aborted) {
        try {
          log?.add(await tail.receive(20, stop.signal));
        } catch (error) {
          if (!stop.signal.aborted)
            console.error(`dashboard: event tail failed, retrying in 5 s: ${String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 5000));
        }
      }
    } else {
      await new Promise<void>((resolve) =>
        stop.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server.close();
    await tail?.close();
    ctx.close();
  }
}
