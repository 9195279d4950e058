/**
 * `npm run bench:long-eta`: what one long ETA costs in AWS requests and dollars, re-delayed every 15 minutes
 * (the hops) or as one EventBridge Scheduler schedule, for ETAs from 15 minutes to 12 hours; and the ETA past
 * which the schedule is cheaper, which is the default `longEta.thresholdSeconds`.
 *
 * The requests are counted, not assumed: the real producer and the real worker core (`executeMessage`, whose
 * re-delay sends the next hop) run on the in-memory adapters under a simulated clock, so 12 hours take
 * milliseconds. Each row sends a batch of tasks with the same countdown and drains them as the event source
 * mapping would (one receive of up to 10, then one batch delete); a batch of 10 shares each receive and delete
 * between 10 messages (the cheapest the hops can be), a batch of 1 does not. Counted on both sides, so the
 * difference is the long wait alone: the producer's send, every receive and delete, the re-delays; on the
 * scheduler side `CreateSchedule`, the schedule's one invocation and its `SendMessage` into the queue.
 *
 * Prices (US East, N. Virginia, list prices beyond the free tiers):
 * - SQS standard queue: $0.40 per million requests, every request alike (each 64 KiB of a payload is a request;
 *   these messages are under 64 KiB). https://aws.amazon.com/sqs/pricing/
 * - EventBridge Scheduler: $1.00 per million invocations (14 million free a month); creating and deleting
 *   schedules is not charged. https://aws.amazon.com/eventbridge/pricing/
 * Not counted: on Lambda each hop's batch is also an invocation ($0.20 per million plus its duration), which
 * only makes the hops dearer.
 *
 * BENCH_LONG_ETA_MAX_HOURS (default 12) shortens the table for a smoke run.
 */
import { App } from '../src/app.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { DEFAULT_LONG_ETA_THRESHOLD_SECONDS } from '../src/long-eta.js';
import { createMemoryTransport } from '../src/memory/index.js';
import { MemoryEtaScheduler } from '../src/memory/memory-eta-scheduler.js';
import type { Broker } from '../src/ports/broker.js';
import type { EtaScheduleRequest, EtaScheduler } from '../src/ports/eta-scheduler.js';
import { SQS_MAX_BATCH_ENTRIES } from '../src/ports/service-limits.js';
import { executeMessage } from '../src/worker/execute-message.js';
import { workerIdentity } from '../src/worker/worker-identity.js';

const MAX_HOURS = Number(process.env.BENCH_LONG_ETA_MAX_HOURS || 12);
if (!Number.isFinite(MAX_HOURS) || MAX_HOURS < 0.5 || MAX_HOURS > 12) {
  throw new Error(
    `Expected BENCH_LONG_ETA_MAX_HOURS to be a number of hours from 0.5 to 12, got ${process.env.BENCH_LONG_ETA_MAX_HOURS}`,
  );
}

/** $ per request or invocation. */
const PRICE = {
  sqsRequest: 0.4 / 1e6,
  schedulerInvocation: 1.0 / 1e6,
  createSchedule: 0,
} as const;

type Counts = Record<'sqs' | 'createSchedule' | 'invocations', number>;

/**
 * A broker that counts SQS requests: one per receive that returns messages, per batch delete, per send request of
 * up to 10. An empty receive is not counted: a consumer polls whether or not a message waits, so the polls
 * between hops are not the wait's cost.
 */
function countingBroker(inner: Broker, counts: Counts): Broker {
  return {
    queueUrl: (name) => inner.queueUrl(name),
    send: async (url, messages) => {
      counts.sqs += Math.ceil(messages.length / SQS_MAX_BATCH_ENTRIES);
      return inner.send(url, messages);
    },
    receive: async (url, options) => {
      const received = await inner.receive(url, options);
      if (received.length > 0) counts.sqs += 1;
      return received;
    },
    delete: async (url, handles) => {
      counts.sqs += 1;
      return inner.delete(url, handles);
    },
    changeVisibility: async (url, entries) => {
      counts.sqs += 1;
      return inner.changeVisibility(url, entries);
    },
  };
}

/** Requests per task of one long wait, `etaSeconds` away, for a batch of `batch` tasks. */
async function measure(etaSeconds: number, batch: number, scheduled: boolean): Promise<Counts> {
  let nowMs = Date.UTC(2030, 0, 1);
  const clock = { now: () => nowMs };
  const memory = createMemoryTransport(clock);
  const counts: Counts = { sqs: 0, createSchedule: 0, invocations: 0 };
  const queueUrl = memory.broker.createQueue('celery', { visibilityTimeoutSeconds: 60 });
  const schedules = new MemoryEtaScheduler();
  const etaScheduler: EtaScheduler = {
    accepts: (queue) => schedules.accepts(queue),
    schedule: (request: EtaScheduleRequest) => {
      counts.createSchedule += 1;
      return schedules.schedule(request);
    },
  };
  const broker = countingBroker(memory.broker, counts);
  const transport = { ...memory, broker, ...(scheduled ? { etaScheduler } : {}) };
  // Without a scheduler, a threshold past every ETA keeps the hops quiet (no "not configured" line).
  const longEta = { thresholdSeconds: scheduled ? 60 : 1e9 };
  const app = new App(resolveConfig({ env: {}, longEta }), transport, { origin: 'gen1@bench' });
  let ran = 0;
  app.task('tasks.later', () => {
    ran++;
  });
  const context = {
    registry: app.registry,
    runtime: app.runtime,
    identity: workerIdentity(),
    leaseMs: 60_000,
    queueName: 'celery',
    log: () => undefined,
  };
  await app.sendTasks(
    Array.from({ length: batch }, () => ({
      name: 'tasks.later',
      args: [],
      options: { countdown: etaSeconds },
    })),
  );
  const deadline = nowMs + (etaSeconds + 3600) * 1000;
  while (ran < batch) {
    if (nowMs > deadline) throw new Error(`only ${ran} of ${batch} tasks ran by their ETA + 1 h`);
    nowMs = Math.max(nowMs + 1000, nextEvent(memory.broker.peek(queueUrl), schedules));
    const before = schedules.pending().size;
    const fired = await schedules.fireDue(memory.broker, nowMs);
    // Each firing is one invocation, and the scheduler's SendMessage into the queue.
    counts.invocations += fired;
    counts.sqs += fired;
    if (fired !== before - schedules.pending().size) throw new Error('a schedule fired twice');
    for (;;) {
      const received = await broker.receive(queueUrl, { maxMessages: 10, waitTimeSeconds: 0 });
      if (received.length === 0) break;
      const done: string[] = [];
      for (const message of received) {
        const outcome = await executeMessage({ ...message, queueUrl }, context);
        if (outcome.action === 'delete') done.push(message.receiptHandle);
      }
      if (done.length > 0) await broker.delete(queueUrl, done);
    }
  }
  return counts;
}

/** When the next message becomes visible or the next schedule fires, epoch ms. */
function nextEvent(
  queued: readonly { readonly visibleAtMs: number }[],
  schedules: MemoryEtaScheduler,
): number {
  const times = [
    ...queued.map((m) => m.visibleAtMs),
    ...[...schedules.pending().values()].map((s) => s.deliverAt.getTime()),
  ];
  return Math.min(...times);
}

function dollarsPerMillion(counts: Counts, batch: number): number {
  const dollars =
    counts.sqs * PRICE.sqsRequest +
    counts.createSchedule * PRICE.createSchedule +
    counts.invocations * PRICE.schedulerInvocation;
  return (dollars / batch) * 1e6;
}

interface Row {
  readonly etaSeconds: number;
  readonly hopsRequests: number;
  readonly scheduleRequests: number;
  readonly hopsCost: number;
  readonly scheduleCost: number;
}

async function table(batch: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (let etaSeconds = 900; etaSeconds <= MAX_HOURS * 3600; etaSeconds += 900) {
    const hops = await measure(etaSeconds, batch, false);
    const schedule = await measure(etaSeconds, batch, true);
    rows.push({
      etaSeconds,
      hopsRequests: hops.sqs / batch,
      scheduleRequests: (schedule.sqs + schedule.createSchedule + schedule.invocations) / batch,
      hopsCost: dollarsPerMillion(hops, batch),
      scheduleCost: dollarsPerMillion(schedule, batch),
    });
  }
  return rows;
}

/** The longest ETA of the table at which the hops still cost no more than the schedule (the threshold). */
function breakEven(rows: readonly Row[]): number | undefined {
  let last: number | undefined;
  for (const row of rows) if (row.hopsCost <= row.scheduleCost + 1e-9) last = row.etaSeconds;
  return last;
}

async function main(): Promise<void> {
  const lines = [
    '',
    'celeriac long ETAs: requests and $ per million tasks of one wait, 15-minute hops vs one schedule',
    `  prices: SQS $${PRICE.sqsRequest * 1e6}/M requests; Scheduler $${PRICE.schedulerInvocation * 1e6}/M invocations, CreateSchedule free`,
  ];
  const thresholds: Record<number, number | undefined> = {};
  for (const batch of [10, 1]) {
    const rows = await table(batch);
    thresholds[batch] = breakEven(rows);
    lines.push(
      '',
      `  batches of ${batch} (each receive and delete shared by ${batch})`,
      '    eta      hops req  sched req   hops $/M  sched $/M   hops/sched',
    );
    for (const row of rows) {
      const eta = `${(row.etaSeconds / 3600).toFixed(2)} h`;
      lines.push(
        `    ${eta.padEnd(8)}${row.hopsRequests.toFixed(2).padStart(9)}${row.scheduleRequests.toFixed(2).padStart(11)}` +
          `${row.hopsCost.toFixed(2).padStart(11)}${row.scheduleCost.toFixed(2).padStart(11)}` +
          `${(row.hopsCost / row.scheduleCost).toFixed(2).padStart(13)}`,
      );
    }
  }
  lines.push(
    '',
    `  break-even (batches of 10): hops cost no more up to ${thresholds[10]} s; the schedule is cheaper past it`,
    `  break-even (batches of 1): hops cost no more up to ${thresholds[1] ?? 'no ETA of the table'} s`,
    `  default longEta.thresholdSeconds: ${DEFAULT_LONG_ETA_THRESHOLD_SECONDS} s` +
      (thresholds[10] === DEFAULT_LONG_ETA_THRESHOLD_SECONDS
        ? ' (the batched break-even)'
        : ' (DIFFERS from the break-even)'),
  );
  console.log(lines.join('\n'));
}

await main();
