/**
 * Terminating revokes for a host without a heartbeat (the Lambda handler): while a claimed task runs, its stored
 * state is read every `intervalMs`; once it is REVOKED with `terminate`, the run is stopped (its thread is
 * terminated) and REVOKED stays stored. One GetItem per running task per interval.
 */
import { TaskRevokedError } from '../../errors.js';
import type { ResultStore } from '../../ports/result-store.js';
import { describeError } from '../execution-context.js';
import { revokedReason } from '../keep-alive.js';

/** Watches one running task for a terminating revoke. */
export class RevocationWatch {
  readonly #results: ResultStore;
  readonly #intervalMs: number;
  readonly #log: (line: string) => void;
  /** Aborted with `TaskRevokedError` when the task is revoked with terminate. */
  readonly #kill = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(results: ResultStore, intervalMs: number, log: (line: string) => void) {
    this.#results = results;
    this.#intervalMs = intervalMs;
    this.#log = log;
  }

  /** The signal to hand the execution core as its `kill`. */
  get signal(): AbortSignal {
    return this.#kill.signal;
  }

  /** Starts watching a claimed task. */
  watch(taskId: string): void {
    this.#timer = setInterval(() => void this.#check(taskId), this.#intervalMs);
  }

  /** Stops watching (the run ended). */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #check(taskId: string): Promise<void> {
    try {
      const reason = revokedReason(await this.#results.get(taskId));
      if (reason !== 'terminated' || this.#kill.signal.aborted) return;
      this.stop();
      this.#log(`${taskId} was revoked with terminate; stopping it`);
      this.#kill.abort(TaskRevokedError.forTask(taskId, 'terminated'));
    } catch (error) {
      this.#log(`could not read the state of ${taskId}: ${describeError(error)}`);
    }
  }
}
