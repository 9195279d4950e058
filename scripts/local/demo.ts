/**
 * The local stack's demo: sends a few tasks of the demo app (`examples/tasks.ts`) to the deployed queue with
 * the TypeScript client, follows each one's state in the results table as the Lambda worker inside the
 * emulator runs it, and prints the journey: sent, each state seen, the result.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type * as DemoApp from '../../examples/tasks.js';
import type { AsyncResult } from '../../src/index.js';
import { READY_STATES } from '../../src/index.js';
import type { DemoStackOutputs } from './deploy.js';

/** One task of the demo and what it should end as. */
interface DemoTask {
  readonly label: string;
  readonly expected: 'SUCCESS' | 'FAILURE';
  /** Seconds the task is held back before a worker may run it. */
  readonly countdownSeconds?: number;
  send(): Promise<AsyncResult>;
}

/** What happened to one task. */
export interface DemoTaskReport {
  readonly label: string;
  readonly taskId: string;
  readonly expected: 'SUCCESS' | 'FAILURE';
  /** The last state seen. */
  readonly state: string;
  /** Every state seen after sending, in order (consecutive repeats of PROGRESS with new meta included). */
  readonly states: readonly string[];
  /** Milliseconds from sending until the task was SUCCESS or FAILURE; undefined when it never was. */
  readonly readyAfterMs: number | undefined;
  /** What `AsyncResult.get()` returned, or the error it threw, as text. */
  readonly outcome: string;
}

/** The demo's result: one report per task, and whether every task ended as expected. */
export interface DemoReport {
  readonly tasks: readonly DemoTaskReport[];
  readonly deadLetterMessages: number;
  readonly ok: boolean;
}

/** Options for {@link runDemo}. */
export interface DemoOptions {
  /**
   * The demo app module (`examples/tasks.ts`), imported after {@link configureDemoEnvironment} so that its
   * app sends to the deployed stack.
   */
  readonly tasks: Pick<typeof DemoApp, 'app' | 'add' | 'divide' | 'count'>;
  readonly outputs: DemoStackOutputs;
  /** The emulator endpoint. */
  readonly endpoint: string;
  /** Where lines go. Default `console.log`. */
  readonly print?: (line: string) => void;
  /** Give up on a task this long after sending it. Default 60 s. */
  readonly timeoutMs?: number;
  /** Where the emulator's log is, for the hint printed when no worker seems to run. */
  readonly emulatorLog?: string;
}

/**
 * Sets the environment variables a deployed producer gets from the constructs' grants, so that
 * `examples/tasks.ts` (which calls `createApp()` when imported) sends to the deployed stack. Call it before
 * importing the app module.
 */
export function configureDemoEnvironment(outputs: DemoStackOutputs, endpoint: string): void {
  process.env.AWS_ENDPOINT_URL = endpoint;
  process.env.CELERIAC_QUEUE_URLS = JSON.stringify({ celery: outputs.queueUrl });
  process.env.CELERIAC_DEFAULT_QUEUE = 'celery';
  process.env.CELERIAC_RESULT_TABLE = outputs.tableName;
  process.env.CELERIAC_PAYLOAD_BUCKET = outputs.bucketName;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

function describeResult(state: string, result: unknown): string {
  if (result === null || result === undefined) return '';
  if (state === 'FAILURE' && typeof result === 'object' && 'exc_type' in result) {
    const info = result as { exc_type: unknown; exc_message: unknown };
    const message = Array.isArray(info.exc_message) ? info.exc_message.join(', ') : String(info.exc_message);
    return `${String(info.exc_type)}: ${message}`;
  }
  return JSON.stringify(result);
}

async function outcomeOf(result: AsyncResult): Promise<string> {
  try {
    const value = await result.get({ timeoutMs: 1 });
    return `returns ${JSON.stringify(value)}`;
  } catch (error) {
    return error instanceof Error ? `throws ${error.name}("${error.message}")` : `throws ${String(error)}`;
  }
}

/**
 * Sends the demo tasks, follows their states until each is ready (or `timeoutMs` passes), and prints what it
 * sees. Returns a report; `ok` is false when a task did not end as expected.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { add, divide, count } = options.tasks;
  // Each label is the call that sends the task.
  const tasks: DemoTask[] = [
    { label: 'add.delay(2, 3)', expected: 'SUCCESS', send: () => add.delay(2, 3) },
    { label: 'divide.delay(1, 0)', expected: 'FAILURE', send: () => divide.delay(1, 0) },
    { label: 'count.delay(4, 400)', expected: 'SUCCESS', send: () => count.delay(4, 400) },
    {
      label: 'add.applyAsync([40, 2], {}, { countdown: 3 })',
      expected: 'SUCCESS',
      countdownSeconds: 3,
      send: () => add.applyAsync([40, 2], {}, { countdown: 3 }),
    },
  ];
  const width = Math.max(...tasks.map((t) => t.label.length));
  const line = (ms: number, label: string, text: string): void =>
    print(`  +${seconds(ms).padStart(6)}  ${label.padEnd(width)}  ${text}`);

  print(`Sending ${tasks.length} tasks to the Celery queue 'celery' (${options.outputs.queueUrl}):`);
  const start = Date.now();
  const tracked: {
    task: DemoTask;
    result: AsyncResult;
    sentAt: number;
    states: string[];
    last: string;
    readyAt?: number;
  }[] = [];
  for (const task of tasks) {
    const result = await task.send();
    const sentAt = Date.now();
    tracked.push({ task, result, sentAt, states: [], last: '' });
    line(sentAt - start, task.label, `sent, task id ${result.id}`);
  }
  print('');
  print('Following their states in the results table (the Lambda worker in the emulator writes them):');
  let hinted = false;
  for (;;) {
    const open = tracked.filter((t) => t.readyAt === undefined && Date.now() - t.sentAt < timeoutMs);
    if (open.length === 0) break;
    await Promise.all(
      open.map(async (t) => {
        const meta = await t.result.meta();
        const key = `${meta.status} ${JSON.stringify(meta.result)}`;
        if (key === t.last) return;
        t.last = key;
        t.states.push(meta.status);
        const now = Date.now();
        line(
          now - start,
          t.task.label,
          `${meta.status.padEnd(8)} ${describeResult(meta.status, meta.result)}`,
        );
        if (READY_STATES.has(meta.status)) t.readyAt = now;
      }),
    );
    const stuck = tracked.find(
      (t) =>
        t.readyAt === undefined && Date.now() - t.sentAt > 20_000 + 1000 * (t.task.countdownSeconds ?? 0),
    );
    if (stuck !== undefined && !hinted) {
      hinted = true;
      print(
        `  ${stuck.task.label} is still ${stuck.last.split(' ')[0] || 'PENDING'} after 20 s: no worker seems to ` +
          `run it. The emulator's log${options.emulatorLog ? ` (${options.emulatorLog})` : ''} shows each Lambda ` +
          'invocation and its errors.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const sqs = new SQSClient({
    endpoint: options.endpoint,
    region: options.tasks.app.config.region,
    useQueueUrlAsEndpoint: false,
  });
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.outputs.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  sqs.destroy();
  const deadLetterMessages =
    Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);

  const reports: DemoTaskReport[] = [];
  for (const t of tracked) {
    const state = t.last.split(' ')[0] || 'PENDING';
    reports.push({
      label: t.task.label,
      taskId: t.result.id,
      expected: t.task.expected,
      state,
      states: t.states,
      readyAfterMs: t.readyAt === undefined ? undefined : t.readyAt - t.sentAt,
      outcome: t.readyAt === undefined ? `not ready after ${seconds(timeoutMs)}` : await outcomeOf(t.result),
    });
  }
  print('');
  print('What AsyncResult.get() gives the caller:');
  for (const r of reports) {
    const after = r.readyAfterMs === undefined ? '' : ` (ready ${seconds(r.readyAfterMs)} after sending)`;
    print(`  ${r.label.padEnd(width)}  ${r.outcome}${after}`);
  }
  print('');
  print(
    `Dead-letter queue: ${deadLetterMessages} message(s). A task that throws is a FAILURE result, not a dead ` +
      'letter; only a message the worker cannot handle 3 times (maxReceiveCount) ends there.',
  );
  return {
    tasks: reports,
    deadLetterMessages,
    ok: reports.every((r) => r.state === r.expected),
  };
}
