/**
 * A host's place in the worker registry, and its remote control: at every heartbeat it writes its record
 * (hostname, pid, pool, concurrency, queues, active tasks, processed counts by state and by task, registered tasks, version), reads the
 * control records written since the last one, carries out those meant for it and writes each reply. On stop it
 * writes itself offline. A store that fails is logged (once until it works again) and never stops the host; a
 * malformed control record is logged once and skipped.
 *
 * `celeriac worker` beats on a timer; the Lambda handler beats at the end of a batch once a heartbeat is due, so a
 * frozen execution environment costs nothing and simply drops out of the registry.
 */
import { CELERIAC_VERSION } from '../events/software-info.js';
import { type ControlTarget, isFor, parseControl, runControl } from '../monitoring/control-command.js';
import { workerRecordTtlSeconds } from '../monitoring/worker-liveness.js';
import type { Clock } from '../ports/clock.js';
import type { ActiveTask, MonitoringStore, WorkerRecord } from '../ports/monitoring-store.js';
import { describeError } from './execution-context.js';
import type { WorkerIdentity } from './worker-identity.js';

/** How long replies and control records live. */
export const CONTROL_TTL_SECONDS = 600;

/** The longest a host waits for the registry at the end of a Lambda batch or on stop. */
export const REGISTRY_WAIT_MS = 2000;

/** Waits for `work`, or `ms`, whichever comes first (the work goes on). */
async function atMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/** How far back each read of control records reaches past the previous one, for index propagation. */
const CONTROL_OVERLAP_MS = 10_000;

/** What the host reports at each heartbeat. */
export interface HostState {
  readonly pool: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly active: readonly ActiveTask[];
  readonly processed: Readonly<Record<string, number>>;
  readonly totals: Readonly<Record<string, number>>;
  readonly registered: readonly string[];
}

/** What {@link RegistryAgent} needs. */
export interface RegistryAgentOptions {
  readonly store: MonitoringStore;
  readonly identity: WorkerIdentity;
  readonly kind: WorkerRecord['kind'];
  readonly clock: Clock;
  readonly freqSeconds: number;
  readonly state: () => HostState;
  readonly control: Omit<ControlTarget, 'hostname'>;
  readonly log: (line: string) => void;
}

/** Keeps one host's registry record and answers its control records. */
export class RegistryAgent {
  readonly #options: RegistryAgentOptions;
  readonly #startedAtMs: number;
  /** Control ids already handled or skipped, with when they were written (pruned past the overlap). */
  readonly #seen = new Map<string, number>();
  #readSinceMs: number;
  #lastBeatMs: number | undefined;
  #failing = false;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  constructor(options: RegistryAgentOptions) {
    this.#options = options;
    this.#startedAtMs = options.clock.now();
    this.#readSinceMs = this.#startedAtMs;
  }

  #record(status: WorkerRecord['status'], nowMs: number): WorkerRecord {
    const { identity, kind, freqSeconds } = this.#options;
    return {
      workerId: identity.workerId,
      hostname: identity.hostname,
      pid: identity.pid,
      kind,
      ...this.#options.state(),
      version: CELERIAC_VERSION,
      startedAtMs: this.#startedAtMs,
      heartbeatAtMs: nowMs,
      freqSeconds,
      status,
    };
  }

  #report(what: string, error: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#options.log(`worker registry: ${what} failed, retrying at each heartbeat: ${describeError(error)}`);
  }

  async #answerControls(nowMs: number): Promise<void> {
    const { store, identity, log } = this.#options;
    const since = this.#readSinceMs;
    const controls = await store.listControls(since);
    this.#readSinceMs = Math.max(this.#startedAtMs, nowMs - CONTROL_OVERLAP_MS);
    for (const [id, atMs] of this.#seen)
      if (atMs < this.#readSinceMs - CONTROL_OVERLAP_MS) this.#seen.delete(id);
    let shutdown = false;
    for (const stored of controls) {
      if (this.#seen.has(stored.id)) continue;
      this.#seen.set(stored.id, nowMs);
      const command = parseControl(stored);
      if ('invalid' in command) {
        log(`worker registry: skipping control record ${stored.id}: ${command.invalid}`);
        continue;
      }
      if (command.createdAtMs < this.#startedAtMs || !isFor(command, identity.hostname)) continue;
      const result = await runControl(command, { hostname: identity.hostname, ...this.#options.control });
      await store.putReply(
        {
          commandId: command.id,
          workerId: identity.workerId,
          hostname: identity.hostname,
          ...result,
          atMs: this.#options.clock.now(),
        },
        CONTROL_TTL_SECONDS,
      );
      if (command.command === 'shutdown' && 'ok' in result) shutdown = true;
    }
    if (shutdown) this.#options.control.shutdown?.();
  }

  /** Writes the record and answers control records; never throws. One beat at a time. */
  beat(): Promise<void> {
    this.#beating ??= (async () => {
      const nowMs = this.#options.clock.now();
      this.#lastBeatMs = nowMs;
      try {
        await this.#options.store.putWorker(
          this.#record('online', nowMs),
          workerRecordTtlSeconds(this.#options.freqSeconds),
        );
        await this.#answerControls(nowMs);
        this.#failing = false;
      } catch (error) {
        this.#report('a heartbeat', error);
      }
    })().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  /**
   * Beats when none happened yet or one is due (the Lambda handler, at the end of a batch), waiting for it at most
   * {@link REGISTRY_WAIT_MS}: a slow table must not hold the batch's response.
   */
  async beatIfDue(nowMs: number): Promise<void> {
    if (this.#lastBeatMs === undefined || nowMs - this.#lastBeatMs >= this.#options.freqSeconds * 1000) {
      await atMost(this.beat(), REGISTRY_WAIT_MS);
    }
  }

  /** Beats now and then every `freqSeconds`, on a timer that does not keep the process alive. */
  start(): void {
    void this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#options.freqSeconds * 1000);
    this.#timer.unref();
  }

  /** Stops beating and writes the record offline, waiting at most {@link REGISTRY_WAIT_MS} each; never throws. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await atMost(this.#beating ?? Promise.resolve(), REGISTRY_WAIT_MS);
    const offline = this.#options.store
      .putWorker(
        this.#record('offline', this.#options.clock.now()),
        workerRecordTtlSeconds(this.#options.freqSeconds),
      )
      .catch((error: unknown) => this.#report('writing the offline record', error));
    await atMost(offline, REGISTRY_WAIT_MS);
  }
}
