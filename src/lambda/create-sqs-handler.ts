/**
 * The Lambda handler for SQS event source mappings. Runs every record through the execution core with bounded
 * concurrency and returns `batchItemFailures` for exactly the records SQS must deliver again (the mapping needs
 * `ReportBatchItemFailures`, which the TaskQueue construct turns on).
 *
 * - One bad record never fails the others: each record's outcome is its own.
 * - A record the core wants delivered later (busy claim, FIFO ETA, transient error) gets its visibility set to
 *   that delay and is reported as failed.
 * - When the invocation's remaining time drops under `reserveMs`, no new record starts; the unstarted ones are
 *   reported as failed, so SQS redelivers them instead of the whole batch timing out.
 * - On a FIFO queue, records of one message group run in order, and once one fails the rest of its group is
 *   reported as failed without running, to keep the group's order.
 * - A record of the wrong shape (a body that is not a string, no SQS queue ARN, a malformed message attribute) is
 *   refused as INVALID and reported as failed, so SQS moves it to the dead-letter queue after `maxReceiveCount`.
 *   An event that is not an SQS event at all, or names a record without a `messageId`, fails the invocation
 *   before any record runs, saying why: such a record cannot be reported on its own (`check-event.ts`).
 */

import { EmfBatch, UNREGISTERED_TASK } from '../monitoring/emf-metrics.js';
import { jsonLog, LogFormat, LogLevel, xrayTraceId } from '../monitoring/json-log.js';
import type { MessageAttribute } from '../ports/broker.js';
import { toMessageAttribute } from '../ports/message-attribute.js';
import { setOwn } from '../protocol/set-own.js';
import { executeMessage } from '../worker/execute-message.js';
import { type ClaimHandle, describeError, type WorkerDeps } from '../worker/execution-context.js';
import { runLane, toLanes } from '../worker/fifo-lanes.js';
import { formatOutcome, outcomeLevel } from '../worker/format-outcome.js';
import { type InboundMessage, MessageAction, type MessageOutcome } from '../worker/message-outcome.js';
import type { Pool } from '../worker/pool/pool.js';
import { RevocationWatch } from '../worker/pool/revocation-watch.js';
import { ProcessedCounts } from '../worker/processed-counts.js';
import { RegistryAgent } from '../worker/registry-agent.js';
import { invalidOutcome } from '../worker/reject-invalid.js';
import { setVisibility } from '../worker/set-visibility.js';
import { EVENT_FLUSH_TIMEOUT_MS, WorkerEvents } from '../worker/worker-events.js';
import { type WorkerIdentity, workerIdentity } from '../worker/worker-identity.js';
import { eventProblem, receiveCountOf, recordProblem } from './check-event.js';
import { sourceQueues } from './source-queue.js';
import type { LambdaContextLike, SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-event.js';

/** Options for {@link createSqsHandler}. */
export interface SqsHandlerOptions {
  /** Records run at once. Default 10. */
  readonly concurrency?: number;
  /**
   * Start no record when less than this much invocation time is left. Default: 10 000 ms, or a fifth of the
   * invocation's time when that is less (so a short function timeout still leaves room to work).
   */
  readonly reserveMs?: number;
  /**
   * Where the per-record line goes. Default `console.log`, or JSON lines to `stdout` with
   * `events.logFormat: 'json'` (docs/monitoring.md).
   */
  readonly log?: (line: string) => void;
  /**
   * Where task functions run. Default inline. A `threads` pool (`createPool({ kind: 'threads', size, appModule })`)
   * runs each record's task in a worker thread, so a task's hard time limit terminates it, well inside the
   * invocation's timeout, instead of leaving it running until Lambda stops the whole batch. Started at the first
   * invocation; an app module the threads cannot load fails that invocation, with the reason. With a pool, a
   * running task's state is read every `revocationCheckMs` (default 2000), so `app.revoke(id, { terminate: true })`
   * stops it.
   */
  readonly pool?: Pool;
  /** How often a pooled task's state is read for a terminating revoke, ms. Default 2000. */
  readonly revocationCheckMs?: number;
  /**
   * Where EMF metric documents (`events.emfMetrics`) and JSON log lines (`events.logFormat: 'json'`) go, one line
   * each. Default `process.stdout.write`, which Lambda's runtime does not prefix as it prefixes `console.log`, so
   * CloudWatch reads each line as JSON.
   */
  readonly stdout?: (line: string) => void;
}

/** A record's message group, when it has one (a record that {@link recordProblem} refuses may have any shape). */
function groupOf(record: SqsRecord): string | undefined {
  const group: unknown = (record.attributes as SqsRecord['attributes'] | null | undefined)?.MessageGroupId;
  return typeof group === 'string' && group !== '' ? group : undefined;
}

/** A record {@link recordProblem} accepted, as the execution core takes it. */
function toInbound(record: SqsRecord, queueUrl: string): InboundMessage {
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    const binary =
      value.binaryValue === undefined ? undefined : new Uint8Array(Buffer.from(value.binaryValue, 'base64'));
    setOwn(attributes, name, toMessageAttribute(value.dataType, value.stringValue, binary));
  }
  const system: SqsRecord['attributes'] = record.attributes ?? {};
  const messageGroupId = groupOf(record);
  const sent = Number(system.SentTimestamp);
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: receiveCountOf(system.ApproximateReceiveCount),
    queueUrl,
    attributes,
    ...(messageGroupId ? { messageGroupId } : {}),
    ...(system.SentTimestamp && Number.isFinite(sent) ? { sentTimestampMs: sent } : {}),
  };
}

/**
 * Creates the Lambda handler for a registry's tasks on a runtime (an `App` is both).
 *
 * @example
 * // functions/worker.ts
 * import { createSqsHandler } from 'celeriac/lambda';
 * import { app } from '../src/tasks.js';
 * export const handler = createSqsHandler(app);
 */
export function createSqsHandler(
  deps: WorkerDeps,
  options: SqsHandlerOptions = {},
): (event: SqsEvent, context: LambdaContextLike) => Promise<SqsBatchResponse> {
  const { registry, runtime } = deps;
  const identity: WorkerIdentity = workerIdentity(runtime.settings.name);
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const stdout = options.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  /** The current invocation's fields for JSON log lines (`events.logFormat: 'json'`). */
  let invocation: Record<string, unknown> = {};
  let coldStart = true;
  // A level reaches JSON lines only: a caller's `log` and the text lines get the line alone.
  const own = options.log;
  const write: (line: string, level?: LogLevel) => void = own
    ? (line) => own(line)
    : runtime.settings.events.logFormat === LogFormat.JSON
      ? jsonLog({ service: runtime.settings.name, fields: () => invocation, write: stdout })
      : (line) => console.log(line);
  const log = (line: string, level?: LogLevel): void => {
    try {
      write(line, level);
    } catch {
      // A failing log sink must not fail the batch.
    }
  };

  const sourceQueue = sourceQueues(runtime.settings.queueUrls);

  const visibilityOf = (
    record: SqsRecord,
    queueUrl: string,
    seconds: number,
    what: string,
  ): Promise<boolean> =>
    setVisibility(
      runtime.broker,
      { queueUrl, receiptHandle: record.receiptHandle, messageId: record.messageId, seconds, what },
      log,
    );

  let active = 0;
  let processed = 0;
  const workerEvents = runtime.events
    ? new WorkerEvents(
        runtime.events,
        identity,
        { active: () => active, processed: () => processed },
        runtime.settings.events.heartbeatSeconds,
      )
    : undefined;
  const counts = new ProcessedCounts(registry);
  const queuesSeen = new Set<string>();
  const registryAgent = runtime.monitoring
    ? new RegistryAgent({
        store: runtime.monitoring,
        identity,
        kind: 'lambda',
        clock: runtime.clock,
        freqSeconds: runtime.settings.events.heartbeatSeconds,
        log,
        // Written at the end of a batch, when nothing runs; a Lambda function takes no shutdown or consumer change.
        state: () => ({
          pool: options.pool?.kind ?? 'inline',
          concurrency,
          queues: [...queuesSeen],
          active: [],
          processed: { ...counts.byState },
          totals: { ...counts.byTask },
          registered: registry.taskNames,
        }),
        control: {},
      })
    : undefined;

  const pool = options.pool;
  let poolStarted: Promise<void> | undefined;

  return async (event, context) => {
    invocation = {
      cold_start: coldStart,
      function_name: context.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME,
      function_memory_size: context.memoryLimitInMB ?? process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      function_request_id: context.awsRequestId,
      xray_trace_id: xrayTraceId(),
    };
    coldStart = false;
    const problem = eventProblem(event);
    if (problem !== undefined) {
      // No record is run: one that cannot be named in batchItemFailures comes back only with its whole batch.
      const line = `not an SQS event: ${problem}; no record was run`;
      log(line, LogLevel.ERROR);
      throw new TypeError(line);
    }
    if (pool) {
      poolStarted ??= pool.start();
      await poolStarted;
    }
    const reserveMs =
      options.reserveMs ?? Math.min(10_000, Math.floor(context.getRemainingTimeInMillis() / 5));
    const failures = new Set<string>();
    const metrics = runtime.settings.events.emfMetrics ? new EmfBatch() : undefined;

    /** Runs one well-formed record; true when it is done, false when SQS must deliver it again. */
    const runRecord = async (record: SqsRecord): Promise<boolean> => {
      const queue = sourceQueue(record.eventSourceARN);
      if (context.getRemainingTimeInMillis() < reserveMs) {
        failures.add(record.messageId);
        log(`message ${record.messageId} not started: less than ${reserveMs} ms of the invocation left`);
        // Visible again at once, for the next invocation, rather than after the whole visibility timeout.
        await visibilityOf(record, queue.url, 0, 'return');
        return false;
      }
      const startedAt = Date.now();
      const watch = pool
        ? new RevocationWatch(runtime.results, options.revocationCheckMs ?? 2000, log)
        : undefined;
      const inbound = toInbound(record, queue.url);
      const outcome: MessageOutcome = await executeMessage(inbound, {
        registry,
        runtime,
        identity,
        leaseMs: context.getRemainingTimeInMillis() + 5_000,
        queueName: queue.name,
        log,
        ...(pool && watch
          ? { pool, kill: watch.signal, onClaimed: (claim: ClaimHandle) => watch.watch(claim.taskId) }
          : {}),
      }).finally(() => watch?.stop());
      log(
        formatOutcome(outcome, { messageId: record.messageId, totalMs: Date.now() - startedAt }),
        outcomeLevel(outcome.state),
      );
      if (metrics && outcome.taskName !== undefined) {
        const sent = inbound.sentTimestampMs;
        metrics.add({
          // A name no task has comes from the message: counted under one value, so a sender cannot mint
          // metrics (each a custom metric billed) or a dimension value CloudWatch refuses.
          taskName: registry.get(outcome.taskName) === undefined ? UNREGISTERED_TASK : outcome.taskName,
          queueName: queue.name,
          state: outcome.state,
          runtimeMs: outcome.runtimeMs,
          queueWaitMs: sent === undefined ? undefined : startedAt - sent,
        });
      }
      if (registryAgent) {
        counts.add(outcome);
        queuesSeen.add(queue.name);
      }
      if (outcome.action === MessageAction.DELETE) return true;
      failures.add(record.messageId);
      if (outcome.action === MessageAction.RETRY_LATER && outcome.delaySeconds !== undefined) {
        await visibilityOf(record, queue.url, outcome.delaySeconds, 'delay');
      }
      return false;
    };

    /**
     * Runs one record; true when it is done (deleted by the mapping), false when SQS must deliver it again. A
     * malformed record is refused, and an unexpected error fails its record only.
     */
    const processRecord = async (record: SqsRecord): Promise<boolean> => {
      const malformed = recordProblem(record as unknown as Readonly<Record<string, unknown>>);
      if (malformed !== undefined) {
        failures.add(record.messageId);
        const outcome = invalidOutcome(`malformed SQS record: ${malformed}`);
        log(formatOutcome(outcome, { messageId: record.messageId }), outcomeLevel(outcome.state));
        if (registryAgent) counts.add(outcome);
        return false;
      }
      try {
        return await runRecord(record);
      } catch (error) {
        // A bug, not the message: this record comes back, the rest of the batch goes on.
        failures.add(record.messageId);
        log(
          `unexpected error handling message ${record.messageId}: ${error instanceof Error ? error.stack : describeError(error)}`,
          LogLevel.ERROR,
        );
        return false;
      }
    };

    // FIFO records of one group run one after another; everything else shares the concurrency pool (a standard
    // queue's message group, SQS fair queues, promises no order).
    const lanes = toLanes(event.Records, (record) =>
      typeof record.eventSourceARN === 'string' && record.eventSourceARN.endsWith('.fifo')
        ? groupOf(record)
        : undefined,
    );
    let next = 0;
    const runners = Array.from({ length: Math.min(concurrency, lanes.length) }, async () => {
      for (let lane = lanes[next++]; lane; lane = lanes[next++]) {
        await runLane(lane, processRecord, async (rest) => {
          for (const record of rest) failures.add(record.messageId);
        });
      }
    });
    active += event.Records.length;
    await Promise.all(runners).finally(() => {
      active -= event.Records.length;
      processed += event.Records.length;
    });
    if (runtime.events) {
      workerEvents?.beatIfDue(runtime.clock.now());
      await runtime.events.flush({ timeoutMs: EVENT_FLUSH_TIMEOUT_MS });
    }
    await registryAgent?.beatIfDue(runtime.clock.now());
    // EMF documents go to stdout as they are: CloudWatch Logs reads them there, in text or JSON log format.
    for (const line of metrics?.render(runtime.settings.events.metricsNamespace, Date.now()) ?? []) {
      stdout(line);
    }
    // In record order, each message id once (SQS may deliver one message twice in a batch; the mapping keeps both
    // copies when their id is listed).
    const reported = new Set<string>();
    const batchItemFailures: SqsBatchResponse['batchItemFailures'] = [];
    for (const { messageId } of event.Records) {
      if (!failures.has(messageId) || reported.has(messageId)) continue;
      reported.add(messageId);
      batchItemFailures.push({ itemIdentifier: messageId });
    }
    return { batchItemFailures };
  };
}
