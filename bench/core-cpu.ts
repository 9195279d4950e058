/**
 * CPU time per task of the execution core alone: `executeMessage` over messages on the in-memory transport
 * (decode, claim, run a trivial task, store the result; no network), against a baseline of the protocol work
 * any worker must do for the same message: decode it and encode its SUCCESS result.
 */
import { createApp } from '../src/index.js';
import { createMemoryTransport, type MemoryTransport } from '../src/memory/index.js';
import { buildResultMeta, encodeResultMeta } from '../src/protocol/result-meta.js';
import { TaskState } from '../src/protocol/states.js';
import { decodeTaskMessage } from '../src/protocol/task-message.js';
import { type ExecutionContext, executeMessage } from '../src/worker/execute-message.js';
import type { InboundMessage } from '../src/worker/message-outcome.js';
import { workerIdentity } from '../src/worker/worker-identity.js';

/** CPU microseconds per task (user + system), the median of the measured rounds. */
export interface CoreCpu {
  readonly coreMicros: number;
  readonly baselineMicros: number;
  /** Wall-clock tasks per second of the core alone, in the median round. */
  readonly coreTasksPerSecond: number;
  readonly rounds: number;
  readonly messagesPerRound: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const cpuMicros = (usage: NodeJS.CpuUsage): number => usage.user + usage.system;

/** Queues `count` `bench.add` tasks on a fresh in-memory queue and receives them all. */
async function queuedMessages(
  transport: MemoryTransport,
  queueName: string,
  count: number,
): Promise<InboundMessage[]> {
  const { broker } = transport;
  const queueUrl = broker.createQueue(queueName);
  const sender = createApp({
    transport,
    env: {},
    defaultQueue: queueName,
    origin: 'gen1@bench',
  });
  await sender.sendTasks(Array.from({ length: count }, (_, i) => ({ name: 'bench.add', args: [i, 1] })));
  const out: InboundMessage[] = [];
  for (;;) {
    const batch = await broker.receive(queueUrl, {
      maxMessages: 10,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 3600,
    });
    if (batch.length === 0) return out;
    out.push(...batch.map((message) => ({ ...message, queueUrl })));
  }
}

/** The baseline: decode the message and encode its SUCCESS result meta. */
function decodeAndEncode(message: InboundMessage): string {
  const task = decodeTaskMessage(message.body);
  const [a, b] = task.args as [number, number];
  return encodeResultMeta(
    buildResultMeta({
      taskId: task.headers.id,
      status: TaskState.SUCCESS,
      result: a + b,
      dateDone: new Date(),
    }),
  );
}

/**
 * Measures `rounds` rounds of `messagesPerRound` messages each, after one warm-up round of each kind.
 * Messages are processed one after another, so CPU time is the core's, not overlapping I/O.
 */
export async function measureCoreCpu(messagesPerRound: number, rounds: number): Promise<CoreCpu> {
  const transport = createMemoryTransport();
  const app = createApp({ transport, env: {} });
  app.task('bench.add', (a: number, b: number) => a + b);
  const context: ExecutionContext = {
    registry: app.registry,
    runtime: app.runtime,
    identity: workerIdentity(),
    leaseMs: 60_000,
    queueName: 'celery',
  };

  const core: number[] = [];
  const baseline: number[] = [];
  const wall: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const messages = await queuedMessages(transport, `bench-${round}`, messagesPerRound);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    for (const message of messages) {
      const outcome = await executeMessage(message, { ...context, queueName: `bench-${round}` });
      if (outcome.state !== TaskState.SUCCESS) {
        throw new Error(`executeMessage ended in ${outcome.state}: ${outcome.reason ?? ''}`);
      }
    }
    const coreCpu = cpuMicros(process.cpuUsage(cpuBefore));
    const wallMs = performance.now() - wallBefore;

    const baseBefore = process.cpuUsage();
    let bytes = 0;
    for (const message of messages) bytes += decodeAndEncode(message).length;
    const baseCpu = cpuMicros(process.cpuUsage(baseBefore));
    if (bytes === 0) throw new Error('the baseline encoded nothing');

    if (round === 0) continue; // warm-up: let the JIT settle
    core.push(coreCpu / messages.length);
    baseline.push(baseCpu / messages.length);
    wall.push((messages.length / wallMs) * 1000);
  }
  return {
    coreMicros: median(core),
    baselineMicros: median(baseline),
    coreTasksPerSecond: median(wall),
    rounds,
    messagesPerRound,
  };
}
