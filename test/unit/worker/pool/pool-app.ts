/**
 * The app the pool tests run in worker threads and child processes: each sandbox loads this module itself and
 * looks its tasks up by name. In memory, so the test process can also run a worker on it.
 */
import { threadId } from 'node:worker_threads';
import { Ignore, Reject } from '../../../../src/errors.js';
import { createApp } from '../../../../src/index.js';
import { createMemoryTransport } from '../../../../src/memory/index.js';
import { CalendarDate, Decimal, TimeOfDay, Uuid } from '../../../../src/protocol/type-tags.js';
import { sandboxMemoryKiB } from '../../../../src/worker/pool/sandbox-memory.js';

export const transport = createMemoryTransport();
transport.broker.createQueue('celery');
export const app = createApp({ transport, env: {} });

/** An app error with fields of its own, retried on automatically by `tasks.flaky`. */
export class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
  readonly excModule = 'shop.errors';
  readonly excArgs: unknown[];
  constructor(amount: Decimal) {
    super(`declined ${amount.value}`);
    this.excArgs = [`declined ${amount.value}`, amount];
  }
}

/** Where the task ran: the process and the thread. */
const whereAmI = () => ({ pid: process.pid, threadId });

app.task('tasks.add', (a: number, b: number) => a + b);
app.task('tasks.where', whereAmI);
app.task('tasks.spin', () => {
  for (;;) {
    // never yields: only terminating its thread or process stops it
  }
});
app.task(
  'tasks.spin-tracked',
  () => {
    for (;;) {
      // never yields, and has no time limit: only a terminating revoke stops it
    }
  },
  { trackStarted: true },
);
app.task(
  'tasks.spin-limited',
  () => {
    for (;;) {
      // never yields: stopped at its hard limit
    }
  },
  { timeLimitSeconds: 5 },
);
app.task(
  'tasks.wait-for-signal',
  async function () {
    if (!this.signal.aborted) {
      await new Promise((resolve) => this.signal.addEventListener('abort', resolve, { once: true }));
    }
    return 'stopped';
  },
  { trackStarted: true },
);
app.task('tasks.types', function (...args: unknown[]) {
  const kinds = (values: unknown[]) =>
    values.map((value) =>
      value instanceof Date
        ? 'Date'
        : value instanceof Decimal
          ? 'Decimal'
          : value instanceof Uuid
            ? 'Uuid'
            : value instanceof CalendarDate
              ? 'CalendarDate'
              : value instanceof TimeOfDay
                ? 'TimeOfDay'
                : value instanceof Uint8Array
                  ? 'bytes'
                  : typeof value,
    );
  return {
    taskId: this.taskId,
    argKinds: kinds(args),
    kwargKinds: kinds(Object.values(this.kwargs)),
    echo: [args, this.kwargs],
  };
});
app.task('tasks.progress', async function (steps: number) {
  for (let step = 1; step <= steps; step++) {
    await this.updateState('PROGRESS', { step, of: steps, at: new Date(Date.UTC(2026, 0, step)) });
  }
  return steps;
});
app.task('tasks.retry', function (amount: string) {
  throw this.retry({ countdown: 7, maxRetries: 5, exc: new PaymentDeclined(new Decimal(amount)) });
});
app.task('tasks.declined', (amount: string) => {
  throw new PaymentDeclined(new Decimal(amount));
});
app.task(
  'tasks.flaky',
  () => {
    throw new PaymentDeclined(new Decimal('1.50'));
  },
  { autoretryFor: [PaymentDeclined], maxRetries: 2 },
);
app.task('tasks.exit', () => process.exit(3));
app.task('tasks.ignore', () => {
  throw new Ignore();
});
app.task('tasks.requeue', () => {
  throw new Reject('not now', { requeue: true });
});
app.task('tasks.function-result', () => () => 1);
app.task('tasks.watch-signal', async function () {
  if (!this.signal.aborted) {
    await new Promise((resolve) => this.signal.addEventListener('abort', resolve, { once: true }));
  }
  throw this.signal.reason;
});

const kept: Buffer[] = [];
app.task('tasks.leak', (mib: number) => {
  kept.push(Buffer.alloc(mib * 1024 * 1024, 1));
  return kept.length;
});
app.task('tasks.memory', () => sandboxMemoryKiB());
