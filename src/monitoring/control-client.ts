/**
 * The caller's side of the registry and remote control, shared by `celeriac inspect`, `celeriac control` and a
 * dashboard: list the workers from their heartbeat records, and broadcast a command as a control record whose
 * replies are gathered until every live addressee answered or the timeout passed (Celery's `broadcast(reply=True,
 * timeout=...)`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../ports/clock.js';
import type { ControlReply, MonitoringStore, WorkerRecord } from '../ports/monitoring-store.js';
import { isOnline } from './worker-liveness.js';

/** A worker record with whether it counts as live now. */
export type WorkerView = WorkerRecord & { readonly online: boolean };

/** Options of {@link ControlClient.broadcast}. */
export interface BroadcastOptions {
  /** Hostnames that should act; every worker when absent. */
  readonly destination?: readonly string[];
  /** How long to gather replies. */
  readonly timeoutMs: number;
  /** Stop as soon as this many replies arrived; default: one per live addressee. */
  readonly limit?: number;
}

/** How far back worker records are read: longer than any record lives. */
const WORKER_LOOKBACK_MS = 24 * 3_600_000;

/** Lists workers and sends them commands. */
export class ControlClient {
  readonly #store: MonitoringStore;
  readonly #clock: Clock;
  readonly #pollMs: number;

  constructor(store: MonitoringStore, clock: Clock, options: { readonly pollMs?: number } = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#pollMs = options.pollMs ?? 500;
  }

  /** Every worker with a record, newest heartbeat first, each marked online or not. */
  async workers(): Promise<WorkerView[]> {
    const now = this.#clock.now();
    const latest = new Map<string, WorkerRecord>();
    for (const record of await this.#store.listWorkers(now - WORKER_LOOKBACK_MS)) {
      const known = latest.get(record.workerId);
      if (!known || known.heartbeatAtMs <= record.heartbeatAtMs) latest.set(record.workerId, record);
    }
    return [...latest.values()]
      .map((record) => ({ ...record, online: isOnline(record, now) }))
      .sort((a, b) => b.heartbeatAtMs - a.heartbeatAtMs);
  }

  /** The live workers, optionally only those named. */
  async onlineWorkers(destination?: readonly string[]): Promise<WorkerView[]> {
    return (await this.workers()).filter(
      (worker) => worker.online && (destination === undefined || destination.includes(worker.hostname)),
    );
  }

  /** Writes the command and gathers its replies. */
  async broadcast(
    command: string,
    args: Readonly<Record<string, unknown>>,
    options: BroadcastOptions,
  ): Promise<ControlReply[]> {
    const sentAtMs = this.#clock.now();
    const expected = options.limit ?? (await this.onlineWorkers(options.destination)).length;
    const id = globalThis.crypto.randomUUID();
    await this.#store.putControl(
      {
        id,
        command,
        arguments: args,
        createdAtMs: sentAtMs,
        ...(options.destination ? { destination: options.destination } : {}),
      },
      600,
    );
    const deadline = sentAtMs + options.timeoutMs;
    let replies: ControlReply[] = [];
    for (;;) {
      replies = await this.#store.listReplies(id, sentAtMs);
      if ((expected > 0 && replies.length >= expected) || this.#clock.now() >= deadline) return replies;
      await sleep(Math.min(this.#pollMs, Math.max(0, deadline - this.#clock.now())));
    }
  }
}
