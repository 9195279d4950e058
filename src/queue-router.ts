/**
 * Maps Celery queue names to SQS queue URLs: an explicit URL from the settings (or `CELERIAC_QUEUE_URLS`) wins;
 * otherwise the queue is looked up by the name kombu would give it (prefix, `.` to `-`, `.fifo` kept), as a
 * Python Celery app with the same `queue_name_prefix` would. Lookups are cached for the life of the app.
 */
import { InvalidOptionError } from './errors.js';
import type { Broker } from './ports/broker.js';
import { canonicalQueueName, invalidSqsQueueName } from './protocol/queue-name.js';

/** Resolves and caches queue URLs. */
export class QueueRouter {
  readonly #broker: Broker;
  readonly #prefix: string;
  readonly #explicit: Readonly<Record<string, string>>;
  readonly #cache = new Map<string, Promise<string>>();

  constructor(broker: Broker, prefix: string, explicit: Readonly<Record<string, string>>) {
    this.#broker = broker;
    this.#prefix = prefix;
    this.#explicit = explicit;
  }

  /** The SQS queue name kombu uses for `celeryQueue`. */
  sqsName(celeryQueue: string): string {
    const name = canonicalQueueName(celeryQueue, this.#prefix);
    const problem = invalidSqsQueueName(name);
    if (problem !== undefined) {
      throw InvalidOptionError.expected('queue', `a queue name SQS accepts (${problem})`, celeryQueue);
    }
    return name;
  }

  /** The URL of the queue for `celeryQueue`. */
  urlFor(celeryQueue: string): Promise<string> {
    const explicit = this.#explicit[celeryQueue];
    if (explicit !== undefined) return Promise.resolve(explicit);
    let pending = this.#cache.get(celeryQueue);
    if (!pending) {
      pending = this.#broker.queueUrl(this.sqsName(celeryQueue));
      // A failed lookup is not cached: the queue may be created later.
      pending.catch(() => this.#cache.delete(celeryQueue));
      this.#cache.set(celeryQueue, pending);
    }
    return pending;
  }
}
