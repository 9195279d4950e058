/** `celeriac dlq redrive <queue>`: move a dead-letter queue's messages back to where they came from. */
import { parseArgs } from 'node:util';
import { createAwsClients } from '../aws/clients.js';
import {
  RedriveError,
  RedriveMethod,
  type RedriveOptions,
  redriveDeadLetters,
} from '../aws/redrive-dead-letters.js';
import { UsageError } from './usage-error.js';

export const DLQ_USAGE = `Usage: celeriac dlq redrive <dead-letter queue URL or name> [options]

Moves the messages of a dead-letter queue back to the queues they came from. Uses SQS's StartMessageMoveTask
when the service has it and no --max is given; otherwise (emulators such as MiniStack) moves them itself:
each message is sent with the same body and attributes and deleted from the dead-letter queue only after the
send succeeded.

Options:
  --to <queue URL or name>  Send every message there instead of to its source queue
  --max <n>                 Move at most n messages

Environment: AWS_REGION, AWS_ENDPOINT_URL (for the local stack: set -a; source .celeriac/local/env; set +a).
`;

/** Parses `celeriac dlq ...` (without `dlq`); throws {@link UsageError} for what it cannot run. */
export function parseDlqArgs(argv: readonly string[]): RedriveOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { to: { type: 'string' }, max: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, queue, ...rest] = positionals;
  if (action !== 'redrive') {
    throw new UsageError(
      `${action === undefined ? 'Name an action' : `Unknown action ${JSON.stringify(action)}`}: celeriac dlq has redrive\n\n${DLQ_USAGE}`,
    );
  }
  if (queue === undefined || queue === '') {
    throw new UsageError(`Name the dead-letter queue (its URL or name)\n\n${DLQ_USAGE}`);
  }
  if (rest.length > 0)
    throw new UsageError(`celeriac dlq redrive takes one queue, got also ${rest.join(' ')}`);
  let maxMessages: number | undefined;
  if (values.max !== undefined) {
    maxMessages = Number(values.max);
    if (!/^\d+$/.test(values.max) || maxMessages < 1) {
      throw new UsageError(`Expected --max to be an integer >= 1, got ${JSON.stringify(values.max)}`);
    }
  }
  return { deadLetterQueue: queue, to: values.to, maxMessages };
}

/** Runs the command. */
export async function dlqCommand(argv: string[]): Promise<void> {
  const options = parseDlqArgs(argv);
  const { sqs } = createAwsClients();
  try {
    const report = await redriveDeadLetters(sqs, options);
    if (report.method === RedriveMethod.MOVE_TASK) {
      console.log(
        `Started SQS's move task ${report.taskHandle ?? ''} for about ${report.moved} messages of ` +
          `${report.deadLetterQueueUrl}; SQS moves them in the background.`,
      );
      return;
    }
    console.log(`Moved ${report.moved} messages from ${report.deadLetterQueueUrl}:`);
    for (const [destination, count] of Object.entries(report.destinations)) {
      console.log(`  ${count} to ${destination}`);
    }
    if (report.failed > 0)
      console.log(`  ${report.failed} left in the dead-letter queue after a failed send`);
    if (report.unroutable > 0) {
      console.log(
        `  ${report.unroutable} left in the dead-letter queue: no source queue known; name one with --to`,
      );
    }
    if (report.failed > 0) {
      throw new RedriveError(
        `${report.failed} messages could not be sent and stay in the dead-letter queue; run the redrive again`,
        { queue: options.deadLetterQueue },
      );
    }
  } finally {
    sqs.destroy();
  }
}
