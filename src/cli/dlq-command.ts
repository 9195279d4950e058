/** `celeriac dlq list|show|redrive|delete`: look into dead-letter queues, move their messages back, or delete them. */
import { parseArgs } from 'node:util';
import { RedriveError, RedriveMethod, type RedriveReport } from '../aws/redrive-dead-letters.js';
import {
  deleteDeadLetters,
  listDeadLetterQueues,
  redriveDeadLetterQueue,
  showDeadLetters,
} from '../ops/dead-letters.js';
import type { DeadLetterView } from '../ops/describe-dead-letter.js';
import { formatValue } from './cli-output.js';
import { confirm, EXIT_CODES_USAGE, OPS_OPTIONS, OPS_OPTIONS_USAGE, withOps } from './ops-options.js';
import { UsageError } from './usage-error.js';

export const DLQ_USAGE = `Usage: celeriac dlq <action> [queue] [options]

A queue is a dead-letter queue's URL or SQS name, or the Celery queue it serves (its redrive policy names it).

Actions:
  list [queue...]          The dead-letter queues of the queues (default: the app's), with their depth
  show <queue>             Its messages decoded: task id, name, args, receive count, the stored FAILURE; a
                           message that is not a Celery task shows raw, with why it could not be decoded
  redrive <queue>          Move messages back to their source queue: all, or those of --id. With all and no
                           --max, SQS's StartMessageMoveTask does it; where the service lacks it (MiniStack,
                           moto) each is received, sent with the same body, then deleted (an interrupted
                           redrive loses nothing; see docs/operations.md)
  delete <queue>           Delete messages for good: those of --id, or --all (asks to confirm, or --force)

Options:
  --id <message id>        Only this message (repeat for more); the ids are those dlq show prints
  --all                    delete: every message
  --max <n>                show: at most n messages (default 10); redrive: move at most n
  --to <queue>             redrive: send there instead of to each message's source queue
  --force, -f              delete: do not ask
${OPS_OPTIONS_USAGE}

Examples:
  celeriac dlq list
  celeriac dlq show celery --max 20
  celeriac dlq redrive celery
  celeriac dlq redrive celery-dlq --id 5fb7c0a3-6a4e-4f0e-9d6e-0f5c2b9a1e11
  celeriac dlq delete celery --all --force

${EXIT_CODES_USAGE}
`;

const ACTIONS = ['list', 'show', 'redrive', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

/** What `celeriac dlq` was asked. */
export interface DlqCommand {
  readonly action: Action;
  readonly queues: readonly string[];
  readonly messageIds: readonly string[] | undefined;
  readonly all: boolean;
  readonly max: number | undefined;
  readonly to: string | undefined;
  readonly force: boolean;
  readonly json: boolean;
  readonly app: string | undefined;
}

/** Parses `celeriac dlq ...` (without `dlq`); throws {@link UsageError} for what it cannot run. */
export function parseDlqArgs(argv: readonly string[]): DlqCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...OPS_OPTIONS,
      id: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      max: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean', short: 'f' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...queues] = positionals;
  if (!(ACTIONS as readonly (string | undefined)[]).includes(action)) {
    throw new UsageError(
      `${action === undefined ? 'Name an action' : `Unknown action ${JSON.stringify(action)}`}: celeriac dlq has ${ACTIONS.join(', ')}\n\n${DLQ_USAGE}`,
    );
  }
  const act = action as Action;
  if (act !== 'list') {
    if (queues.length === 0)
      throw new UsageError(`Name the dead-letter queue (its URL or name)\n\n${DLQ_USAGE}`);
    if (queues.length > 1)
      throw new UsageError(`celeriac dlq ${act} takes one queue, got also ${queues.slice(1).join(' ')}`);
  }
  let max: number | undefined;
  if (values.max !== undefined) {
    max = Number(values.max);
    if (!/^\d+$/.test(values.max) || max < 1) {
      throw new UsageError(`Expected --max to be an integer >= 1, got ${JSON.stringify(values.max)}`);
    }
  }
  const messageIds = values.id?.length ? values.id : undefined;
  if (act === 'delete' && (messageIds === undefined) === (values.all !== true)) {
    throw new UsageError('celeriac dlq delete needs --id <message id> (one or more) or --all, not both');
  }
  if (values.all && act !== 'delete')
    throw new UsageError(`--all is for delete; dlq ${act} takes every message by default`);
  if (values.to !== undefined && act !== 'redrive') throw new UsageError('--to is for redrive');
  return {
    action: act,
    queues,
    messageIds,
    all: values.all === true,
    max,
    to: values.to,
    force: values.force === true,
    json: values.json === true,
    app: values.app,
  };
}

/** A dead letter as text lines. */
export function formatDeadLetter(view: DeadLetterView): string {
  const lines = [
    `message ${view.messageId} (received ${view.receiveCount} times, sent ${view.sentAt ?? 'at an unknown time'})`,
  ];
  if (view.task) {
    lines.push(`  task     ${view.task.name}[${view.task.id}]`);
    lines.push(`  args     ${formatValue(view.task.args)}  kwargs ${formatValue(view.task.kwargs)}`);
    if (view.task.retries > 0 || view.task.eta)
      lines.push(`  retries  ${view.task.retries}  eta ${view.task.eta ?? '-'}`);
    if (view.stored) {
      lines.push(`  stored   ${view.stored.state} ${formatValue(view.stored.result)}`);
      if (view.stored.traceback)
        lines.push(
          ...view.stored.traceback
            .trimEnd()
            .split('\n')
            .map((l) => `    ${l}`),
        );
    } else {
      lines.push('  stored   nothing (the task never ran to an outcome)');
    }
  } else {
    lines.push(`  not a Celery task message: ${view.decodeError ?? 'unknown error'}`);
    lines.push(`  raw      ${view.raw ?? ''}`);
  }
  return lines.join('\n');
}

function printRedrive(report: RedriveReport, json: boolean, requested: readonly string[] | undefined): void {
  if (json) {
    console.log(JSON.stringify(report));
  } else if (report.method === RedriveMethod.MOVE_TASK) {
    console.log(
      `Started SQS's move task ${report.taskHandle ?? ''} for about ${report.moved} messages of ` +
        `${report.deadLetterQueueUrl}; SQS moves them in the background.`,
    );
  } else {
    console.log(`Moved ${report.moved} messages from ${report.deadLetterQueueUrl}:`);
    for (const [destination, count] of Object.entries(report.destinations))
      console.log(`  ${count} to ${destination}`);
    if (report.failed > 0)
      console.log(`  ${report.failed} left in the dead-letter queue after a failed send`);
    if (report.unroutable > 0) {
      console.log(
        `  ${report.unroutable} left in the dead-letter queue: no source queue known; name one with --to`,
      );
    }
  }
  if (requested !== undefined && report.moved + report.failed + report.unroutable < requested.length) {
    throw new RedriveError(
      `Moved ${report.moved} of the ${requested.length} messages asked for: the others are not in ` +
        `${report.deadLetterQueueUrl} or are being received elsewhere; check the ids with celeriac dlq show`,
      { queue: report.deadLetterQueueUrl },
    );
  }
  if (report.failed > 0) {
    throw new RedriveError(
      `${report.failed} messages could not be sent and stay in the dead-letter queue; run the redrive again`,
      { queue: report.deadLetterQueueUrl },
    );
  }
}

/** Runs the command. */
export async function dlqCommand(argv: string[]): Promise<void> {
  const command = parseDlqArgs(argv);
  const [queue = ''] = command.queues;
  if (command.action === 'delete') {
    const what = command.all
      ? `delete every message of the dead-letter queue of ${queue}`
      : `delete ${command.messageIds?.length} dead letters of ${queue}`;
    await confirm(what, queue, command.force);
  }
  await withOps(command, async (ctx) => {
    if (command.action === 'list') {
      const dlqs = await listDeadLetterQueues(ctx, command.queues.length > 0 ? command.queues : undefined);
      if (command.json) {
        console.log(JSON.stringify({ deadLetterQueues: dlqs }));
      } else if (dlqs.length === 0) {
        console.log('No dead-letter queues: none of the queues has a redrive policy.');
      } else {
        for (const d of dlqs) {
          console.log(
            `${d.name}  ${d.visible} visible, ${d.inFlight} in flight  (for ${d.sources.join(', ')}, after ${d.maxReceiveCount} receives)`,
          );
        }
      }
    } else if (command.action === 'show') {
      const shown = await showDeadLetters(ctx, queue, {
        ...(command.max === undefined ? {} : { max: command.max }),
        ...(command.messageIds === undefined ? {} : { messageIds: command.messageIds }),
      });
      if (command.json) {
        console.log(JSON.stringify(shown));
      } else if (shown.messages.length === 0) {
        console.log(`No messages to show in ${shown.url} (messages being received elsewhere are not seen).`);
      } else {
        console.log(shown.messages.map(formatDeadLetter).join('\n\n'));
      }
    } else if (command.action === 'redrive') {
      printRedrive(
        await redriveDeadLetterQueue(ctx, queue, {
          ...(command.messageIds === undefined ? {} : { messageIds: command.messageIds }),
          ...(command.to === undefined ? {} : { to: command.to }),
          ...(command.max === undefined ? {} : { maxMessages: command.max }),
        }),
        command.json,
        command.messageIds,
      );
    } else {
      const { url, deleted } = await deleteDeadLetters(ctx, queue, command.messageIds ?? 'all');
      const missing = (command.messageIds ?? []).filter((id) => !deleted.includes(id));
      if (command.json) console.log(JSON.stringify({ url, deleted, notFound: missing }));
      else console.log(`Deleted ${deleted.length} message${deleted.length === 1 ? '' : 's'} from ${url}.`);
      if (missing.length > 0) {
        throw new RedriveError(
          `No message ${missing.join(', ')} in ${url} (or it is being received elsewhere): check the id with celeriac dlq show`,
          { queue: url },
        );
      }
    }
  });
}
