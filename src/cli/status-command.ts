/** `celeriac status`: queues, dead-letter queues and online workers, in one screen. */
import { parseArgs } from 'node:util';
import { type StatusSnapshot, statusSnapshot } from '../ops/status.js';
import { EXIT_CODES_USAGE, OPS_OPTIONS, OPS_OPTIONS_USAGE, withOps } from './ops-options.js';

export const STATUS_USAGE = `Usage: celeriac status [options]

Shows each queue's messages (visible, in flight, delayed), what CloudWatch adds (the oldest message's age from
ApproximateAgeOfOldestMessage, and messages sent and deleted per minute over the last 5 minutes from
NumberOfMessagesSent and NumberOfMessagesDeleted; '-' when CloudWatch has none: an idle queue or an emulator), its
dead-letter queue's depth, and the online workers from the worker registry (when the task index or
events.workerRegistry is on).

Options:
  --queues, -Q <a,b>       These queues (default: the app's default queue and those of CELERIAC_QUEUE_URLS)
${OPS_OPTIONS_USAGE}

Examples:
  celeriac status
  celeriac status -Q celery,reports --json

${EXIT_CODES_USAGE}
`;

const pad = (text: string | number, width: number): string => String(text).padEnd(width);

/** The snapshot as a screen of text. */
export function formatStatus(snapshot: StatusSnapshot): string {
  const width = Math.max(5, ...snapshot.queues.map((q) => q.queue.length)) + 2;
  const lines = [
    `${pad('QUEUE', width)}${pad('VISIBLE', 9)}${pad('IN FLIGHT', 11)}${pad('DELAYED', 9)}${pad('OLDEST', 8)}${pad('SENT/MIN', 10)}${pad('DONE/MIN', 10)}DEAD LETTERS`,
  ];
  for (const q of snapshot.queues) {
    const dlq = q.deadLetter
      ? `${q.deadLetter.visible + q.deadLetter.inFlight + q.deadLetter.delayed} in ${q.deadLetter.name}`
      : 'no dead-letter queue';
    const oldest = q.oldestAgeSeconds === null ? '-' : `${q.oldestAgeSeconds}s`;
    const sent = q.sentPerMinute ?? '-';
    const done = q.deletedPerMinute ?? '-';
    lines.push(
      `${pad(q.queue, width)}${pad(q.visible, 9)}${pad(q.inFlight, 11)}${pad(q.delayed, 9)}${pad(oldest, 8)}${pad(sent, 10)}${pad(done, 10)}${dlq}`,
    );
  }
  lines.push('');
  if (snapshot.workers === null) {
    lines.push(
      'Workers: the worker registry is off (turn on the task index or events.workerRegistry to see them)',
    );
  } else if (snapshot.workers.length === 0) {
    lines.push('Workers: none online');
  } else {
    lines.push(`Workers: ${snapshot.workers.length} online`);
    for (const w of snapshot.workers) {
      lines.push(
        `  ${w.hostname} (${w.kind}) queues ${w.queues.join(',')}; ${w.active} active, ${w.processed} processed; heartbeat ${w.heartbeatAgeSeconds}s ago`,
      );
    }
  }
  return lines.join('\n');
}

/** Runs the command. */
export async function statusCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { ...OPS_OPTIONS, queues: { type: 'string', short: 'Q' } },
  });
  const queues = values.queues
    ?.split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  await withOps(values, async (ctx) => {
    const snapshot = await statusSnapshot(ctx, queues && queues.length > 0 ? queues : undefined);
    console.log(values.json ? JSON.stringify(snapshot) : formatStatus(snapshot));
  });
}
