/**
 * The queues a long-running worker consumes and their weights (`-Q high,default`, `-Q high:4,default:1`). The
 * order is the priority: a queue given no weight gets its position's, `n` for the first of `n` queues down to 1
 * for the last, so `-Q high,default` is `high:2,default:1`. While every queue has messages, each receives a share
 * of the messages in proportion to its weight (`slot-pool.ts`).
 */
import { InvalidOptionError } from '../errors.js';

/** A queue to consume with its weight: a whole number >= 1; more weight, more of the slots. */
export interface WeightedQueue {
  readonly name: string;
  readonly weight?: number;
}

/** A queue name, or a queue with its weight. */
export type QueueSpec = string | WeightedQueue;

/** The most weight one queue may have. */
export const MAX_QUEUE_WEIGHT = 1000;

/**
 * Every queue with its weight, defaults applied; `defaultQueue` alone when none is given.
 *
 * @throws {InvalidOptionError} for an empty name, a queue listed twice or a weight that is not a whole number
 *   from 1 to 1000.
 * @example
 * weightedQueues(['high', 'default'], 'celery') // [{ name: 'high', weight: 2 }, { name: 'default', weight: 1 }]
 */
export function weightedQueues(
  specs: readonly QueueSpec[] | undefined,
  defaultQueue: string,
): { readonly name: string; readonly weight: number }[] {
  const list = specs?.length ? specs : [defaultQueue];
  const seen = new Set<string>();
  return list.map((spec, i) => {
    const { name, weight = list.length - i } = typeof spec === 'string' ? { name: spec } : spec;
    if (typeof name !== 'string' || name.length === 0) {
      throw InvalidOptionError.expected(`queues[${i}]`, 'a queue name', name);
    }
    if (seen.has(name)) {
      throw InvalidOptionError.expected(`queues[${i}]`, 'a queue not listed before', name);
    }
    seen.add(name);
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_QUEUE_WEIGHT) {
      throw InvalidOptionError.expected(
        `queues[${i}].weight`,
        `a whole number from 1 to ${MAX_QUEUE_WEIGHT} (the queue's share of the slots while every queue has messages)`,
        weight,
      );
    }
    return { name, weight };
  });
}
