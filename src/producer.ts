/**
 * Turns validated sends into SQS messages and puts them on their queues.
 *
 * How the delivery options combine:
 * - The Celery message always carries `eta` and `expires` headers, exactly as Python Celery writes them, so any
 *   consumer (a Python worker included) sees the same message.
 * - On a standard queue a future ETA also delays delivery: up to 900 s with SQS `DelaySeconds`; a longer wait
 *   gets the maximum 900 s, after which the worker re-sends the message with the next delay until its ETA (one
 *   SQS send per 15 minutes of waiting; nothing waits in memory).
 * - FIFO queues take no per-message delay: a delayed task on a FIFO queue is delivered at once and its worker
 *   keeps the message invisible until the ETA, which also holds back its message group, keeping the group's
 *   order. FIFO sends get kombu's defaults: group `default` and a random deduplication id, and both ids are also
 *   written into the message properties, as kombu does.
 * - Several sends to one queue go out in `SendMessageBatch` requests.
 */
import { hostname } from 'node:os';
import type { SendRequest } from './apply-options.js';
import type { Payloads } from './payloads.js';
import type { OutgoingMessage } from './ports/broker.js';
import { isFifoQueueName } from './protocol/queue-name.js';
import { buildTaskMessage, encodeTaskMessage, type TaskMessage } from './protocol/task-message.js';
import type { QueueRouter } from './queue-router.js';
import type { Transport } from './transport.js';

/** SQS's largest per-message delay. */
export const MAX_DELAY_SECONDS = 900;

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
}

/** Builds and delivers task messages. */
export class Producer {
  readonly #transport: Transport;
  readonly #router: QueueRouter;
  readonly #payloads: Payloads;
  readonly #origin: string;

  constructor(
    transport: Transport,
    router: QueueRouter,
    payloads: Payloads,
    origin: string = defaultOrigin(),
  ) {
    this.#transport = transport;
    this.#router = router;
    this.#payloads = payloads;
    this.#origin = origin;
  }

  /** The Celery v2 message for a send. */
  buildMessage(request: SendRequest, nowMs: number): TaskMessage {
    const { options } = request;
    const fifo = isFifoQueueName(request.queue);
    const extraProperties = fifo
      ? {
          ...(options.messageGroupId === undefined ? {} : { MessageGroupId: options.messageGroupId }),
          ...(options.messageDeduplicationId === undefined
            ? {}
            : { MessageDeduplicationId: options.messageDeduplicationId }),
        }
      : undefined;
    return buildTaskMessage({
      taskId: request.taskId,
      name: request.name,
      queue: request.queue,
      args: request.args,
      kwargs: request.kwargs,
      eta: request.eta ?? null,
      expires: request.expires ?? null,
      now: new Date(nowMs),
      group: options.groupId ?? null,
      groupIndex: options.groupIndex ?? null,
      retries: options.retries ?? 0,
      timeLimitSeconds: options.timeLimitSeconds ?? null,
      softTimeLimitSeconds: options.softTimeLimitSeconds ?? null,
      rootId: options.rootId ?? null,
      parentId: options.parentId ?? null,
      shadow: options.shadow ?? null,
      callbacks: request.callbacks ?? null,
      errbacks: request.errbacks ?? null,
      chain: options.chain ? [...options.chain] : null,
      chord: options.chord ?? null,
      origin: options.origin ?? this.#origin,
      ignoreResult: options.ignoreResult ?? false,
      ...(options.stamps ? { stamps: options.stamps } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(extraProperties ? { extraProperties } : {}),
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.deliveryTag ? { deliveryTag: options.deliveryTag } : {}),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    });
  }

  /** Builds the message and works out where and when it goes. */
  async prepare(request: SendRequest): Promise<PreparedSend> {
    const nowMs = this.#transport.clock.now();
    const message = this.buildMessage(request, nowMs);
    const queueUrl = request.options.queueUrl ?? (await this.#router.urlFor(request.queue));
    const { body, attributes } = await this.#payloads.offloadMessage(
      request.taskId,
      request.options.retries ?? 0,
      { body: encodeTaskMessage(message) },
      `task message for ${request.name} (${request.taskId})`,
    );
    const extra = attributes ? { attributes } : {};
    const waitMs = request.eta ? request.eta.getTime() - nowMs : 0;
    if (isFifoQueueName(request.queue)) {
      const outgoing: OutgoingMessage = {
        body,
        ...extra,
        messageGroupId: request.options.messageGroupId ?? 'default',
        messageDeduplicationId: request.options.messageDeduplicationId ?? globalThis.crypto.randomUUID(),
      };
      return { request, message, queueUrl, outgoing };
    }
    const delaySeconds = Math.ceil(waitMs / 1000);
    const outgoing: OutgoingMessage =
      delaySeconds > 0
        ? { body, ...extra, delaySeconds: Math.min(delaySeconds, MAX_DELAY_SECONDS) }
        : { body, ...extra };
    return { request, message, queueUrl, outgoing };
  }

  /** Delivers prepared sends, batched per queue. */
  async deliver(sends: readonly PreparedSend[]): Promise<void> {
    const byQueue = new Map<string, OutgoingMessage[]>();
    for (const send of sends) {
      const list = byQueue.get(send.queueUrl) ?? [];
      list.push(send.outgoing);
      byQueue.set(send.queueUrl, list);
    }
    await Promise.all(
      [...byQueue].map(([queueUrl, messages]) => this.#transport.broker.send(queueUrl, messages)),
    );
  }

  /** Prepares and delivers. */
  async send(requests: readonly SendRequest[]): Promise<void> {
    const prepared = await Promise.all(requests.map((request) => this.prepare(request)));
    await this.deliver(prepared);
  }
}
