/**
 * Flow control for one process (a `celeriac worker`, a Lambda execution environment): the limits in force for
 * a task (code, app default, and the limits record, re-read every {@link LIMITS_REFRESH_MS}), rate tokens taken
 * from the shared store in batches, and concurrency slots.
 *
 * Tokens: a bucket's tokens are taken `batch` at a time (one conditional write each), where `batch` is what the
 * rate allows in {@link BATCH_WINDOW_MS}, between 1 and {@link MAX_BATCH}; the messages of one receive share one
 * take. Tokens left unused when their time has passed are dropped: using them later could put more starts into
 * a window than the rate allows; they stay usable for at least {@link GRACE_MS} after they arrive, since at high
 * rates a batch's time is shorter than the round trip. So any window of `W` seconds sees at most
 * `(W + rtt + 0.05) × rate + batch` starts, fleet-wide (`rtt` being the store's round trip), and the limiter costs
 * about `1 / batch` requests per task: 0.1 from 40 tasks per second up.
 *
 * A message turned away is told to come back when its turn may come: the first when the bucket's tokens return,
 * each next one a token's interval later, so a backlog of `n` messages in one process is spread over `n / rate`
 * seconds instead of coming back together to be turned away again (each time costing a receive and a visibility
 * change).
 */
import type { FlowStore, SlotGrant, SlotHandle } from '../ports/flow-store.js';
import type { TaskOptions } from '../task-options.js';
import type { RateLimitKey } from './limit-key.js';
import { EMPTY_LIMITS, type LimitOverride, type LimitsRecord, parseLimitsRecord } from './limits-record.js';
import { limits, parseRate, type Rate } from './rate.js';

/** How often the limits record is read again. */
export const LIMITS_REFRESH_MS = 10_000;
/** The time one batch of tokens covers. */
export const BATCH_WINDOW_MS = 250;
/** The most tokens taken at once. */
export const MAX_BATCH = 10;
/**
 * How long granted tokens stay usable after the answer arrives, at least: at high rates a batch's time is
 * shorter than the round trip that fetched it.
 */
export const GRACE_MS = 50;

/** The limits of one task, as they are now. */
export interface TaskLimits {
  /** All runs of the task together. */
  readonly rate?: Rate;
  /** The runs of one key. */
  readonly keyRate?: Rate;
  readonly keyConcurrency?: number;
  readonly key?: RateLimitKey;
}

/** A take's answer: go, or not before `retryAtMs`. */
export type TakeResult = { readonly ok: true } | { readonly ok: false; readonly retryAtMs: number };

interface Tokens {
  left: number;
  untilMs: number;
  pending?: Promise<void>;
  retryAtMs?: number;
  /** When the last message this process turned away was told to come back. */
  tailMs: number;
}

/** What {@link FlowControl} needs. */
export interface FlowControlOptions {
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Tokens per take: batched (fleet) or one at a time (a store private to the process). Default batched. */
  readonly batched?: boolean;
  /** The app's default rate (`defaultRateLimit`). */
  readonly defaultRate?: Rate;
}

/** Limits, tokens and slots of one process. */
export class FlowControl {
  readonly store: FlowStore;
  readonly #options: FlowControlOptions;
  readonly #tokens = new Map<string, Tokens>();
  #record: LimitsRecord = EMPTY_LIMITS;
  #readAtMs = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;
  /** The last problem logged about the record, so each is logged once. */
  #problem: string | undefined;

  constructor(store: FlowStore, options: FlowControlOptions) {
    this.store = store;
    this.#options = options;
  }

  /** The limits in force for a task: the limits record's, else the task's, else the app default. */
  async limitsOf(name: string, options: TaskOptions): Promise<TaskLimits> {
    const override = await this.#override(name);
    const rate = override.rateLimit ?? options.rateLimit;
    const keyRate = override.keyRateLimit ?? options.keyRateLimit;
    const keyConcurrency = override.keyConcurrency ?? options.keyConcurrency;
    const parsed = rate === undefined ? this.#options.defaultRate : parseRate(rate, `${name}: rateLimit`);
    const key = options.rateLimitKey;
    return {
      ...(limits(parsed) ? { rate: parsed } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(key !== undefined && keyRate !== undefined && limits(parseRate(keyRate, `${name}: keyRateLimit`))
        ? { keyRate: parseRate(keyRate, `${name}: keyRateLimit`) }
        : {}),
      ...(key !== undefined && keyConcurrency !== undefined ? { keyConcurrency } : {}),
    };
  }

  /** Takes one token of `bucket` at `rate`, from this process's batch or a new one. */
  async take(bucket: string, rate: Rate): Promise<TakeResult> {
    let tokens = this.#tokens.get(bucket);
    if (!tokens) {
      tokens = { left: 0, untilMs: 0, tailMs: 0 };
      this.#tokens.set(bucket, tokens);
    }
    for (;;) {
      const now = this.#options.now();
      if (tokens.left > 0 && now < tokens.untilMs) {
        tokens.left -= 1;
        return { ok: true };
      }
      if (tokens.retryAtMs !== undefined && now < tokens.retryAtMs) {
        // Messages turned away come back one token apart, not all at once: a backlog drains at the rate
        // instead of returning in one crowd that is turned away again.
        const at = Math.max(tokens.tailMs, tokens.retryAtMs);
        tokens.tailMs = at + 1000 / rate.perSecond;
        return { ok: false, retryAtMs: at };
      }
      if (!tokens.pending) {
        const current = tokens;
        current.pending = this.#refill(bucket, rate, current).finally(() => {
          current.pending = undefined;
        });
      }
      await tokens.pending;
    }
  }

  async #refill(bucket: string, rate: Rate, tokens: Tokens): Promise<void> {
    const intervalMs = 1000 / rate.perSecond;
    const batch =
      this.#options.batched === false
        ? 1
        : Math.max(1, Math.min(MAX_BATCH, Math.round((rate.perSecond * BATCH_WINDOW_MS) / 1000)));
    const grant = await this.store.takeTokens({
      bucket,
      count: batch,
      intervalMs,
      nowMs: this.#options.now(),
    });
    if (grant.granted > 0 && 'untilMs' in grant) {
      tokens.left = grant.granted;
      tokens.untilMs = Math.max(grant.untilMs, this.#options.now() + GRACE_MS);
      tokens.retryAtMs = undefined;
    } else if ('retryAtMs' in grant) {
      tokens.left = 0;
      tokens.retryAtMs = grant.retryAtMs;
    }
  }

  /** Takes a concurrency slot of `bucket`. */
  acquire(bucket: string, limit: number, owner: string, leaseMs: number): Promise<SlotGrant> {
    return this.store.acquireSlot({ bucket, limit, owner, leaseMs, nowMs: this.#options.now() });
  }

  renew(handle: SlotHandle, leaseMs: number): Promise<boolean> {
    return this.store.renewSlot(handle, leaseMs, this.#options.now());
  }

  release(handle: SlotHandle): Promise<void> {
    return this.store.releaseSlot(handle);
  }

  async #override(name: string): Promise<LimitOverride> {
    if (this.#options.now() - this.#readAtMs >= LIMITS_REFRESH_MS) {
      this.#reading ??= this.#read().finally(() => {
        this.#reading = undefined;
      });
      await this.#reading;
    }
    return this.#record.tasks[name] ?? {};
  }

  async #read(): Promise<void> {
    this.#readAtMs = this.#options.now();
    let text: string | undefined;
    try {
      text = await this.store.readLimits();
    } catch (error) {
      this.#report(
        `cannot read the limits record (${(error as Error).message}); keeping the limits in force`,
      );
      return;
    }
    if (text === undefined) {
      this.#record = EMPTY_LIMITS;
      this.#problem = undefined;
      return;
    }
    try {
      this.#record = parseLimitsRecord(text);
      this.#problem = undefined;
    } catch (error) {
      this.#record = EMPTY_LIMITS;
      this.#report(`ignoring the limits record, ${(error as Error).message}; using the limits in code`);
    }
  }

  #report(problem: string): void {
    if (problem === this.#problem) return;
    this.#problem = problem;
    this.#options.log(problem);
  }
}
