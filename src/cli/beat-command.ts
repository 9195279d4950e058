/** `celeriac beat`: fire the app's periodic tasks locally until SIGTERM or SIGINT. */
import { parseArgs } from 'node:util';
import { MAX_CATCH_UP_MS, runBeat } from '../worker/run-beat.js';
import { loadApp } from './load-app.js';
import { UsageError } from './usage-error.js';

export const BEAT_USAGE = `Usage: celeriac beat --app <module> [options]

Fires the app's periodic tasks (app.periodic(...)) into their queues, sending exactly the messages the deployed
EventBridge Scheduler schedules send. For emulators that do not fire schedules; in AWS, deploy the
PeriodicTasks construct instead.

Options:
  --app, -A <module>      Module exporting the app
  --state-file <path>     Where fired slots are recorded (default .celeriac-beat.json)
  --catch-up <seconds>    Fire slots missed while beat was down (or whose send failed), up to this
                          late (default 300; 0 never fires a missed slot; at most 604800, 7 days)

Examples:
  celeriac beat --app dist/app.js
  celeriac beat --app dist/app.js --state-file .celeriac/beat.json --catch-up 0
`;

/** Runs the command; resolves when beat has stopped. */
export async function beatCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      app: { type: 'string', short: 'A' },
      'state-file': { type: 'string' },
      'catch-up': { type: 'string' },
    },
    strict: true,
  });
  if (!values.app) throw new UsageError(`--app is required\n\n${BEAT_USAGE}`);
  const text = values['catch-up'];
  const catchUp = text === undefined ? 300 : /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(catchUp <= MAX_CATCH_UP_MS / 1000)) {
    throw new UsageError(
      `Expected --catch-up to be a number of seconds from 0 to ${MAX_CATCH_UP_MS / 1000}, got ${JSON.stringify(text)}`,
    );
  }
  const app = await loadApp(values.app);
  if (app.periodicTasks.length === 0) {
    throw new UsageError(
      `${values.app} registers no periodic tasks; add some with app.periodic(name, { task, schedule })`,
    );
  }
  const beat = runBeat(
    { registry: app.registry, runtime: app.runtime },
    {
      ...(values['state-file'] ? { stateFile: values['state-file'] } : {}),
      catchUpWindowMs: catchUp * 1000,
    },
  );
  const onSignal = (signal: NodeJS.Signals): void => {
    console.log(`${signal} received: stopping beat`);
    void beat.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await beat.stopped;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  console.log(`beat stopped after ${beat.fired} firing(s)`);
}
