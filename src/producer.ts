/**
 * Puts validated sends on their queues.
 *
 * How the delivery options combine:
 * - The Celery message always carries `eta` and `expires` headers, exactly as Python Celery writes them, so any
 *   consumer (a Python worker included) sees the same message.
 * - On a standard queue a future ETA also delays delivery: up to 900 s with SQS `DelaySeconds`; a longer wait
 *   gets the maximum 900 s, after which the worker re-sends the message with the next delay until its ETA (one
 *   SQS send per 15 minutes of waiting; nothing waits in memory).
 * - A wait past the `longEta` threshold, with a scheduler configured, becomes a one-time schedule that puts the
 *   same message body on the queue at the ETA instead (long-eta.ts says which messages cannot, and why); if
 *   scheduling fails, the message goes to SQS as above.
 * - FIFO queues take no per-message delay: a delayed task on a FIFO queue is delivered at once and its worker
 *   keeps the message invisible until the ETA, which also holds back its message group, keeping the group's
 *   order. FIFO sends get kombu's defaults: group `default` and a random deduplication id.
 * - Several sends to one queue go out in `SendMessageBatch` requests.
 */
import { hostname } from 'node:os';
import type { ResolvedConfig } from './config/resolve-config.js';
import type { EventDispatcher } from './events/event-dispatcher.js';
import { taskSentFields } from './events/task-sent-event.js';
import type { LongEtas } from './long-eta.js';
import type { Payloads } from './payloads.js';
import type { Broker, OutgoingMessage } from './ports/broker.js';
import type { Clock } from './ports/clock.js';
import type { EtaScheduleRequest } from './ports/eta-scheduler.js';
import { SQS_MAX_DELAY_SECONDS } from './ports/service-limits.js';
import { yamlLibrary } from './protocol/optional-libraries.js';
import { isFifoQueueName } from './protocol/queue-name.js';
import { type BodyEncoding, encodeTaskMessage, type TaskMessage } from './protocol/task-message.js';
import type { QueueRouter } from './queue-router.js';
import { type SendRequest, toTaskMessage } from './send-request.js';
import { type SendSpan, startSendSpan } from './tracing/send-span.js';

/** Celery's anonymous node name for a producer process: `gen<pid>@<hostname>`. */
export function defaultOrigin(): string {
  return `gen${process.pid}@${hostname()}`;
}

/** A send ready to go: its message and how to deliver it. */
export interface PreparedSend {
  readonly request: SendRequest;
  readonly message: TaskMessage;
  readonly queueUrl: string;
  readonly outgoing: OutgoingMessage;
  /** The send's span, when `@opentelemetry/api` is installed; ended by {@link Producer.deliver}. */
  readonly span?: SendSpan;
  /** Delivered by the ETA scheduler instead of SQS; `outgoing` is then the fallback if scheduling fails. */
  readonly schedule?: EtaScheduleRequest;
}

/** What the producer needs. */
export interface ProducerDeps {
  readonly broker: Broker;
  readonly queues: QueueRouter;
  readonly payloads: Payloads;
  readonly clock: Clock;
  /** The app's default serializer and compression, and its signer; JSON, uncompressed, unsigned when absent. */
  readonly settings?: Pick<ResolvedConfig, 'serializer' | 'compression' | 'signer'>;
  /** Sends `task-sent` for each delivered message when it is on (`events.taskSentEvent`). */
  readonly events?: EventDispatcher;
  /** Long countdowns and ETAs as one-time schedules; every ETA re-delays every 15 minutes when absent. */
  readonly longEtas?: LongEtas;
}

/** Delivers task messages. */
export class Producer {
  readonly #deps: ProducerDeps;

  constructor(deps: ProducerDeps) {
    this.#deps = deps;
  }

  /**
   * Builds the message and works out where and when it goes (offloading it to S3 when it is large). With
   * `@opentelemetry/api` installed it starts the send's span and puts its trace context in the headers.
   */
  async prepare(request: SendRequest): Promise<PreparedSend> {
    const span = await startSendSpan(request);
    if (!span) return this.#prepare(request);
    try {
      const traced = { ...request, headers: { ...request.headers, ...span.headers } };
      return { ...(await this.#prepare(traced)), span };
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  async #prepare(request: SendRequest): Promise<PreparedSend> {
    const message = toTaskMessage(request);
    const queueUrl = request.queueUrl ?? (await this.#deps.queues.urlFor(request.queue));
    const encoding = this.#encoding(request);
    if (encoding.serializer === 'yaml' && !yamlLibrary.loaded) await yamlLibrary.load();
    const { body, attributes } = await this.#deps.payloads.offloadMessage(
      request.taskId,
      request.retries,
      { body: encodeTaskMessage(message, encoding) },
      `task message for ${request.name} (${request.taskId})`,
    );
    const extra = {
      ...(attributes ? { attributes } : {}),
      // A standard queue's message group (SQS fair queues): the task's limit key.
      ...(request.messageGroupId !== undefined && !isFifoQueueName(request.queue)
        ? { messageGroupId: request.messageGroupId }
        : {}),
    };
    const waitMs = request.eta ? request.eta.getTime() - this.#deps.clock.now() : 0;
    const delaySeconds = Math.ceil(waitMs / 1000);
    const fifo = isFifoQueueName(request.queue);
    const plan =
      delaySeconds > 0
        ? this.#deps.longEtas?.plan({
            queue: request.queue,
            fifo,
            waitSeconds: delaySeconds,
            body,
            attributes,
          })
        : undefined;
    if (fifo) {
      const outgoing: OutgoingMessage = {
        body,
        ...extra,
        messageGroupId: request.messageGroupId ?? 'default',
        messageDeduplicationId: request.messageDeduplicationId ?? globalThis.crypto.randomUUID(),
      };
      return { request, message, queueUrl, outgoing };
    }
    const outgoing: OutgoingMessage =
      delaySeconds > 0
        ? { body, ...extra, delaySeconds: Math.min(delaySeconds, SQS_MAX_DELAY_SECONDS) }
        : { body, ...extra };
    if (plan?.schedule && request.eta) {
      const { taskId, retries, queue } = request;
      const schedule = { taskId, retries, queue, queueUrl, body, deliverAt: request.eta };
      return { request, message, queueUrl, outgoing, schedule };
    }
    return { request, message, queueUrl, outgoing };
  }

  #encoding(request: SendRequest): BodyEncoding {
    const serializer = request.serializer ?? this.#deps.settings?.serializer;
    const compression = request.compression ?? this.#deps.settings?.compression;
    const signer = this.#deps.settings?.signer;
    return {
      ...(serializer === undefined ? {} : { serializer }),
      ...(compression === undefined ? {} : { compression }),
      ...(signer === undefined ? {} : { signer }),
    };
  }

  /** Delivers prepared sends, batched per queue. */
  async deliver(sends: readonly PreparedSend[]): Promise<void> {
    const byQueue = new Map<string, OutgoingMessage[]>();
    const scheduled = await Promise.all(sends.map((send) => this.#schedule(send)));
    for (const [index, send] of sends.entries()) {
      if (scheduled[index]) continue;
      const list = byQueue.get(send.queueUrl) ?? [];
      list.push(send.outgoing);
      byQueue.set(send.queueUrl, list);
    }
    try {
      await Promise.all(
        [...byQueue].map(([queueUrl, messages]) => this.#deps.broker.send(queueUrl, messages)),
      );
    } catch (error) {
      for (const send of sends) send.span?.end(error);
      throw error;
    }
    for (const send of sends) send.span?.end();
    const events = this.#deps.events;
    if (events?.taskSentEvent) {
      for (const send of sends) events.send('task-sent', taskSentFields(send.message, send.request.queue));
    }
  }

  /** Whether the send's schedule was made (or already existed); `false` sends it to SQS instead. */
  async #schedule(send: PreparedSend): Promise<boolean> {
    const longEtas = this.#deps.longEtas;
    if (send.schedule === undefined || longEtas === undefined) return false;
    return !('failed' in (await longEtas.schedule(send.schedule)));
  }

  /** Prepares and delivers. */
  async send(requests: readonly SendRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const prepared = await Promise.all(requests.map((request) => this.prepare(request)));
    await this.deliver(prepared);
  }
}
