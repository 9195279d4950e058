/**
 * A host's worker events: `worker-online` when it starts, `worker-heartbeat` every `heartbeatSeconds`,
 * `worker-offline` when it stops, with Celery's fields (`freq`, `active`, `processed`, `loadavg`, `sw_*`).
 * `celeriac worker` also flushes the sinks every second while it runs; the Lambda handler sends `worker-online`
 * at its first invocation, a heartbeat at the end of a batch once one is due, and flushes at the end of every
 * batch (a frozen Lambda container cannot say it went offline: its heartbeats just stop).
 */
import type { EventDispatcher } from '../events/event-dispatcher.js';
import { loadAverage, softwareInfo } from '../events/software-info.js';
import type { WorkerIdentity } from './worker-identity.js';

/** How often `celeriac worker` flushes its event sinks. */
export const EVENT_FLUSH_INTERVAL_MS = 1000;

/** How long a host waits for its sinks at the end of a batch or on stop. */
export const EVENT_FLUSH_TIMEOUT_MS = 2000;

/** What the heartbeat reports. */
export interface WorkerLoad {
  /** Tasks running now. */
  active(): number;
  /** Tasks processed since the host started. */
  processed(): number;
}

/** Sends one host's worker events. */
export class WorkerEvents {
  readonly #events: EventDispatcher;
  readonly #identity: WorkerIdentity;
  readonly #load: WorkerLoad;
  readonly #freqSeconds: number;
  #lastBeatMs: number | undefined;
  #timers: NodeJS.Timeout[] = [];

  constructor(events: EventDispatcher, identity: WorkerIdentity, load: WorkerLoad, freqSeconds: number) {
    this.#events = events;
    this.#identity = identity;
    this.#load = load;
    this.#freqSeconds = freqSeconds;
  }

  #send(type: 'worker-online' | 'worker-heartbeat' | 'worker-offline', nowMs: number): void {
    this.#lastBeatMs = nowMs;
    this.#events.send(
      type,
      {
        freq: this.#freqSeconds,
        active: this.#load.active(),
        processed: this.#load.processed(),
        loadavg: loadAverage(),
        ...softwareInfo(),
      },
      this.#identity,
    );
  }

  /** `worker-online` the first time, then `worker-heartbeat` when `freq` has passed since the last one. */
  beatIfDue(nowMs: number): void {
    if (this.#lastBeatMs === undefined) this.#send('worker-online', nowMs);
    else if (nowMs - this.#lastBeatMs >= this.#freqSeconds * 1000) this.#send('worker-heartbeat', nowMs);
  }

  /** For a long-running host: online now, then heartbeats and flushes on timers that do not keep it alive. */
  start(now: () => number): void {
    this.beatIfDue(now());
    const beat = setInterval(() => this.#send('worker-heartbeat', now()), this.#freqSeconds * 1000);
    const flush = setInterval(() => void this.#events.flush(), EVENT_FLUSH_INTERVAL_MS);
    beat.unref();
    flush.unref();
    this.#timers = [beat, flush];
  }

  /** Stops the timers, sends `worker-offline` and flushes, waiting at most {@link EVENT_FLUSH_TIMEOUT_MS}. */
  async stop(nowMs: number): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#send('worker-offline', nowMs);
    await this.#events.flush({ timeoutMs: EVENT_FLUSH_TIMEOUT_MS });
  }
}
