/** `--queues, -Q`: `high,default` or `high:4,default:1`, the most urgent first (src/worker/queue-weights.ts). */
import { MAX_QUEUE_WEIGHT, type QueueSpec } from '../worker/queue-weights.js';
import { UsageError } from './usage-error.js';

/**
 * The queues of `-Q`: comma-separated names, each optionally `:weight` (a whole number from 1 to 1000).
 *
 * @throws {UsageError} for a weight that is not such a number, or a queue listed twice.
 * @example
 * parseQueuesOption('high:4,default') // [{ name: 'high', weight: 4 }, 'default']
 */
export function parseQueuesOption(text: string): QueueSpec[] {
  const seen = new Set<string>();
  const specs: QueueSpec[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const colon = part.lastIndexOf(':');
    const name = colon < 0 ? part : part.slice(0, colon).trim();
    const weightText = colon < 0 ? undefined : part.slice(colon + 1).trim();
    const weight = weightText === undefined ? undefined : Number(weightText);
    if (
      name === '' ||
      (weight !== undefined && (!/^\d+$/.test(weightText ?? '') || weight < 1 || weight > MAX_QUEUE_WEIGHT))
    ) {
      throw new UsageError(
        `Expected each of --queues to be <name> or <name>:<weight> with a whole weight from 1 to ` +
          `${MAX_QUEUE_WEIGHT} (e.g. -Q high:4,default:1), got ${JSON.stringify(part)}`,
      );
    }
    if (seen.has(name)) throw new UsageError(`--queues lists ${JSON.stringify(name)} twice`);
    seen.add(name);
    specs.push(weight === undefined ? name : { name, weight });
  }
  return specs;
}
