/**
 * Counts AWS API calls by operation, at the SDK middleware level: one count per command sent (retries of the
 * same command are not counted again), whichever code sent it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

let counters = 0;

/** Calls seen so far, by operation name (`ReceiveMessage`, `UpdateItem`, ...). */
export class AwsCallCounter {
  /** Each counter's middleware has a name of its own, so two counters can watch one (shared) client. */
  readonly #name = `benchAwsCallCounter${++counters}`;
  readonly #counts = new Map<string, number>();

  /** Starts counting every command `client` sends. */
  watch(client: SQSClient | DynamoDBClient): this {
    // The two clients' middleware stacks have different input/output unions; the counter touches neither.
    const stack = client.middlewareStack as SQSClient['middlewareStack'];
    stack.add(
      (next, context) => async (args) => {
        const name = context.commandName?.replace(/Command$/, '') ?? 'Unknown';
        this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: this.#name },
    );
    return this;
  }

  /** Forgets what was counted so far. */
  reset(): void {
    this.#counts.clear();
  }

  /** Calls by operation, sorted by name. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Every call counted. */
  total(): number {
    let sum = 0;
    for (const count of this.#counts.values()) sum += count;
    return sum;
  }
}

/**
 * `{ReceiveMessage: 31, UpdateItem: 600, ListQueues: 1}` over 300 tasks →
 * `ReceiveMessage 0.10, UpdateItem 2.00, ListQueues <0.01`.
 */
export function perTask(counts: Readonly<Record<string, number>>, tasks: number): string {
  return Object.entries(counts)
    .map(([name, count]) => {
      const each = count / tasks;
      return `${name} ${each < 0.005 ? '<0.01' : each.toFixed(2)}`;
    })
    .join(', ');
}
