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
 */
import type { App } from '../app.js';
import type { MessageAttribute } from '../ports/broker.js';
import { executeMessage } from '../worker/execute-message.js';
import { formatOutcome } from '../worker/format-outcome.js';
import type { InboundMessage, MessageOutcome } from '../worker/message-outcome.js';
import { type WorkerIdentity, workerIdentity } from '../worker/worker-identity.js';
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
  /** Where the per-record line goes. Default `console.log`. */
  readonly log?: (line: string) => void;
}

/** `arn:aws:sqs:us-east-1:123456789012:jobs` → its queue name and the URL SQS gives it. */
export function queueFromArn(arn: string): { readonly name: string; readonly url: string } {
  const [, partition = 'aws', , region = 'us-east-1', account = '', name = ''] = arn.split(':');
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { name, url: `https://sqs.${region}.${domain}/${account}/${name}` };
}

function toInbound(record: SqsRecord, queueUrl: string): InboundMessage {
  const attributes: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    const dataType = (value.dataType.split('.')[0] ?? 'String') as MessageAttribute['dataType'];
    attributes[name] = {
      dataType,
      ...(value.stringValue === undefined ? {} : { stringValue: value.stringValue }),
      ...(value.binaryValue === undefined
        ? {}
        : { binaryValue: new Uint8Array(Buffer.from(value.binaryValue, 'base64')) }),
    };
  }
  return {
    messageId: record.messageId,
    receiptHandle: record.receiptHandle,
    body: record.body,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? '1'),
    queueUrl,
    attributes,
    ...(record.attributes.MessageGroupId ? { messageGroupId: record.attributes.MessageGroupId } : {}),
  };
}

/**
 * Creates the Lambda handler for an app's tasks.
 *
 * @example
 * // functions/worker.ts
 * import { createSqsHandler } from 'celeriac/lambda';
 * import { app } from '../src/tasks.js';
 * export const handler = createSqsHandler(app);
 */
export function createSqsHandler(
  app: App,
  options: SqsHandlerOptions = {},
): (event: SqsEvent, context: LambdaContextLike) => Promise<SqsBatchResponse> {
  const identity: WorkerIdentity = workerIdentity(app.config.name);
  const concurrency = Math.max(1, options.concurrency ?? 10);
  const log = options.log ?? ((line: string) => console.log(line));

  /** The URL and Celery name of a record's queue: from the app's queue map when it knows the queue. */
  const sourceQueue = (arn: string): { url: string; name: string } => {
    const { name, url } = queueFromArn(arn);
    for (const [celeryName, configured] of Object.entries(app.config.queueUrls)) {
      if (configured.split('/').pop() === name) return { url: configured, name: celeryName };
    }
    return { url, name };
  };

  return async (event, context) => {
    const reserveMs =
      options.reserveMs ?? Math.min(10_000, Math.floor(context.getRemainingTimeInMillis() / 5));
    const failures = new Set<string>();
    const failedGroups = new Set<string>();
    const settle = async (
      record: SqsRecord,
      queueUrl: string,
      outcome: MessageOutcome,
      startedAt: number,
    ) => {
      log(formatOutcome(outcome, Date.now() - startedAt));
      if (outcome.action === 'delete') return;
      failures.add(record.messageId);
      if (outcome.action === 'retry-later' && outcome.delaySeconds !== undefined) {
        await setVisibility(record, queueUrl, outcome.delaySeconds, 'delay');
      }
    };

    const setVisibility = async (record: SqsRecord, queueUrl: string, seconds: number, what: string) => {
      try {
        const [failed] = await app.transport.broker.changeVisibility(queueUrl, [
          { receiptHandle: record.receiptHandle, visibilityTimeoutSeconds: seconds },
        ]);
        if (failed) log(`could not ${what} message ${record.messageId}: ${failed.code} ${failed.message}`);
      } catch (error) {
        log(
          `could not ${what} message ${record.messageId}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };

    const processRecord = async (record: SqsRecord): Promise<void> => {
      const group = record.attributes.MessageGroupId;
      if (group !== undefined && failedGroups.has(group)) {
        failures.add(record.messageId);
        return;
      }
      const queue = sourceQueue(record.eventSourceARN);
      if (context.getRemainingTimeInMillis() < reserveMs) {
        failures.add(record.messageId);
        log(`message ${record.messageId} not started: less than ${reserveMs} ms of the invocation left`);
        // Visible again at once, for the next invocation, rather than after the whole visibility timeout.
        await setVisibility(record, queue.url, 0, 'return');
        return;
      }
      const startedAt = Date.now();
      const outcome = await executeMessage(toInbound(record, queue.url), {
        app,
        identity,
        leaseMs: context.getRemainingTimeInMillis() + 5_000,
        queueName: queue.name,
        log,
      });
      await settle(record, queue.url, outcome, startedAt);
      if (outcome.action !== 'delete' && group !== undefined) failedGroups.add(group);
    };

    // FIFO records of one group run one after another; everything else shares the concurrency pool.
    const lanes = new Map<string, SqsRecord[]>();
    const singles: SqsRecord[][] = [];
    for (const record of event.Records) {
      const group = record.attributes.MessageGroupId;
      if (group === undefined) {
        singles.push([record]);
        continue;
      }
      const lane = lanes.get(group) ?? [];
      if (lane.length === 0) lanes.set(group, lane);
      lane.push(record);
    }
    const work = [...singles, ...lanes.values()];
    let next = 0;
    const runners = Array.from({ length: Math.min(concurrency, work.length) }, async () => {
      for (let lane = work[next++]; lane; lane = work[next++]) {
        for (const record of lane) await processRecord(record);
      }
    });
    await Promise.all(runners);
    return {
      batchItemFailures: event.Records.filter((r) => failures.has(r.messageId)).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
}
