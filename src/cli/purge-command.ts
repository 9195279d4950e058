/** `celeriac purge -Q <queue>[,<queue>]`: deletes every message of the queues, as `celery purge`. */
import { parseArgs } from 'node:util';
import { purgeQueues } from '../ops/queues.js';
import { confirm, EXIT_CODES_USAGE, OPS_OPTIONS, OPS_OPTIONS_USAGE, withOps } from './ops-options.js';
import { UsageError } from './usage-error.js';

export const PURGE_USAGE = `Usage: celeriac purge -Q <queue>[,<queue>...] [options]

Deletes every message of the queues (SQS PurgeQueue; SQS finishes within 60 s and allows one purge per queue
per 60 s). A queue is a Celery queue name, an SQS queue name or a URL. On a terminal it asks you to type the
queue names to confirm; without one it refuses unless --force is given.

Options:
  --queues, -Q <a,b>       The queues to purge (required)
  --force, -f              Do not ask
${OPS_OPTIONS_USAGE}

Examples:
  celeriac purge -Q celery
  celeriac purge -Q reports,celery --force --json

${EXIT_CODES_USAGE}
`;

/** The queues of `-Q`, each once. */
export function parsePurgeArgs(argv: readonly string[]): {
  queues: string[];
  force: boolean;
  json: boolean;
  app: string | undefined;
} {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...OPS_OPTIONS,
      queues: { type: 'string', short: 'Q' },
      force: { type: 'boolean', short: 'f' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) {
    throw new UsageError(`Name the queues with -Q (e.g. celeriac purge -Q ${positionals.join(',')})`);
  }
  const queues = [
    ...new Set(
      (values.queues ?? '')
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean),
    ),
  ];
  if (queues.length === 0) throw new UsageError(`Name the queues to purge with -Q\n\n${PURGE_USAGE}`);
  return { queues, force: values.force === true, json: values.json === true, app: values.app };
}

/** Runs the command. */
export async function purgeCommand(argv: string[]): Promise<void> {
  const options = parsePurgeArgs(argv);
  const names = options.queues.join(',');
  await confirm(`delete every message of ${names}`, names, options.force);
  await withOps(options, async (ctx) => {
    const results = await purgeQueues(ctx, options.queues);
    if (options.json) {
      console.log(JSON.stringify({ purged: results }));
      return;
    }
    for (const r of results)
      console.log(`Purged ${r.purged} message${r.purged === 1 ? '' : 's'} from ${r.queue}.`);
  });
}
