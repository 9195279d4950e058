/**
 * The options of `applyAsync` and `sendTask`. Names follow Celery's `apply_async` (`countdown`, `eta`, `expires`,
 * `queue`, `headers`, `shadow`, `priority`); times in seconds carry the unit in the name where Celery's do not
 * (`timeLimitSeconds`). `toSendRequest` (send-request.ts) validates them, and refuses a name not listed here
 * (`countDown`, `task_id`), naming the option it likely means.
 */
import type { CompressionMethod } from './protocol/compression.js';
import type { SerializerName } from './protocol/serializers.js';
import type { SignatureDict } from './protocol/signature.js';

/** Options for sending one task. */
export interface ApplyOptions {
  /** Seconds from now before the task may run. SQS delays delivery up to 900 s at a time; longer waits are re-delayed by the worker, never held in memory. */
  readonly countdown?: number;
  /** Earliest time the task may run (a `Date` or ISO-8601 text). Exclusive with `countdown`. */
  readonly eta?: Date | string;
  /** Expiry: seconds from now, or a time. A task received after it is stored REVOKED and not run. */
  readonly expires?: number | Date | string;
  /** Celery queue name. Default: the task's queue, else the app's default queue. */
  readonly queue?: string;
  /** Task id. Default: a random UUID. */
  readonly taskId?: string;
  /** Custom message headers, appended after Celery's; one of Celery's own names (`id`, `task`, `retries`...) is refused. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Store no result for this call; the handle's `get()` then resolves `undefined` at once (Celery's `ignored`). */
  readonly ignoreResult?: boolean;
  /** Hard time limit for this call, seconds. */
  readonly timeLimitSeconds?: number;
  /** Soft time limit for this call, seconds: the task's `signal` aborts then. */
  readonly softTimeLimitSeconds?: number;
  /** Name to show in logs instead of the task name. */
  readonly shadow?: string;
  /**
   * Message priority, 0 to 255 (Celery's usual range 0-9), higher more urgent. SQS has none: it stays in the
   * message's properties, and picks a queue through the app's `priorityQueues` when nothing else names one.
   */
  readonly priority?: number;
  /** Serializer of the body (Celery `serializer`): `json`, `msgpack` or `yaml`. Default: the task's, else the app's. */
  readonly serializer?: SerializerName;
  /** Compression of the body (Celery `compression`): `zlib`, `gzip` or `brotli`. Default: the task's, else the app's. */
  readonly compression?: CompressionMethod;
  /** FIFO queues: the message group. Default `default`, as kombu uses. */
  readonly messageGroupId?: string;
  /** FIFO queues: the deduplication id. Default: a random UUID, as kombu uses. */
  readonly messageDeduplicationId?: string;
  /** Signatures to call with the result on success (Celery `link`). */
  readonly link?: SignatureDict | readonly SignatureDict[];
  /** Signatures to call on failure (Celery `link_error`). */
  readonly linkError?: SignatureDict | readonly SignatureDict[];
}
