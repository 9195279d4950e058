/**
 * The outcomes of `guarantee: 'bulk'` tasks, written together: outcomes finished within `windowMs` of each other
 * in one process (a Lambda batch, a worker's slots) share one `ResultStore.completeMany` (a `BatchWriteItem` of
 * up to 25 on DynamoDB). A window opens with the first waiting outcome and closes after `windowMs`, or at once
 * when 25 wait. Each caller waits for the write that holds its outcome, so a message is deleted only once its
 * outcome is stored; when that write fails, each of its callers gets the error (and may try again in place).
 */
import type { CompleteRequest, ResultStore } from '../ports/result-store.js';

/** The most outcomes one write holds (DynamoDB's `BatchWriteItem` limit). */
export const BULK_WRITE_SIZE = 25;

/** How long the first waiting outcome waits for others, by default. */
export const BULK_WINDOW_MS = 10;

interface Waiting {
  readonly request: CompleteRequest;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Batches the bulk outcomes written to one result store. */
export class BulkResults {
  readonly #store: ResultStore;
  readonly #windowMs: number;
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: ResultStore, windowMs = BULK_WINDOW_MS) {
    this.#store = store;
    this.#windowMs = windowMs;
  }

  /** Stores `request` with the others of its window; settles when the write that holds it does. */
  complete(request: CompleteRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      if (this.#waiting.length >= BULK_WRITE_SIZE) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#windowMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0) return;
    this.#store.completeMany(batch.map((w) => w.request)).then(
      () => {
        for (const w of batch) w.resolve();
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}

const writers = new WeakMap<ResultStore, BulkResults>();

/** The one {@link BulkResults} of `store` in this process, so every task written there shares its batches. */
export function bulkResultsFor(store: ResultStore): BulkResults {
  let writer = writers.get(store);
  if (!writer) {
    writer = new BulkResults(store);
    writers.set(store, writer);
  }
  return writer;
}
