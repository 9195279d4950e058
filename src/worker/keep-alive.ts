/**
 * Keeps a running message's two leases alive on the long-running worker: its SQS visibility (so SQS does not
 * deliver it again) and its task claim (so no other delivery may run it). Every half visibility timeout both are
 * extended, independently: a throttled ChangeMessageVisibility cannot let a second run start, because the second
 * delivery is refused by the live claim.
 *
 * When the claim cannot be renewed (the store fails), renewal is tried every second; if the lease is about to end
 * unrenewed, or the store says another delivery holds the claim now, `onLost` aborts the run's signal with
 * {@link ClaimLost} before the lease ends, and the run is handed back instead of recorded.
 *
 * Revocation travels the same way, without a broadcast channel: the store refuses to renew the lease of a task
 * revoked while it runs, and the heartbeat then reads the stored REVOKED. Revoked with `terminate`, `onRevoked`
 * stops the run (its thread or process is terminated; an inline task's signal aborts) and REVOKED stays stored.
 * A plain revoke lets the run finish, as in Celery; the claim is not renewed, but a revoked task can never be
 * claimed again, so no second run can start.
 */
import { ClaimLost, TaskRevokedError } from '../errors.js';
import type { Broker } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import type { ResultStore } from '../ports/result-store.js';
import { isExceptionInfo } from '../protocol/exception-info.js';
import { TaskState } from '../protocol/states.js';
import { type ClaimHandle, describeError } from './execution-context.js';
import { setVisibility } from './set-visibility.js';

/** What {@link KeepAlive} needs. */
export interface KeepAliveOptions {
  readonly broker: Broker;
  readonly results: ResultStore;
  readonly clock: Clock;
  readonly queueUrl: string;
  readonly receiptHandle: string;
  readonly messageId: string;
  /** The visibility timeout (and claim lease) to keep extending, seconds. */
  readonly visibilitySeconds: number;
  readonly log: (line: string) => void;
  /** Called once when the claim can no longer be held; the host aborts the run's signal. */
  readonly onLost: (reason: ClaimLost) => void;
  /** Called once when the task was revoked with `terminate` while it runs; the host stops the run. */
  readonly onRevoked?: (reason: TaskRevokedError) => void;
}

/** Whether a stored meta is REVOKED, and with which reason (`terminated` for `revoke(id, { terminate })`). */
export function revokedReason(meta: { status: string; result: unknown } | undefined): string | undefined {
  if (meta?.status !== TaskState.REVOKED) return undefined;
  const args = isExceptionInfo(meta.result) ? meta.result.exc_message : undefined;
  return Array.isArray(args) && typeof args[0] === 'string' ? args[0] : 'revoked';
}

/** The heartbeat of one in-flight message. */
export class KeepAlive {
  readonly #options: KeepAliveOptions;
  readonly #interval: NodeJS.Timeout;
  #retry: NodeJS.Timeout | undefined;
  #claim: ClaimHandle | undefined;
  #leaseUntilMs = 0;
  #stopped = false;
  #lost = false;

  constructor(options: KeepAliveOptions) {
    this.#options = options;
    this.#interval = setInterval(() => this.#beat(), (options.visibilitySeconds * 1000) / 2);
  }

  /** Starts renewing a claim taken now with a lease of the visibility timeout. */
  claimed(claim: ClaimHandle): void {
    this.#claim = claim;
    this.#leaseUntilMs = this.#options.clock.now() + this.#options.visibilitySeconds * 1000;
  }

  /** Stops both renewals (the message is settled). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#interval);
    clearTimeout(this.#retry);
  }

  #beat(): void {
    const o = this.#options;
    void setVisibility(
      o.broker,
      {
        queueUrl: o.queueUrl,
        receiptHandle: o.receiptHandle,
        messageId: o.messageId,
        seconds: o.visibilitySeconds,
        what: 'extend the visibility of',
      },
      o.log,
    );
    void this.#renew();
  }

  async #renew(): Promise<void> {
    const claim = this.#claim;
    if (!claim || this.#stopped || this.#lost) return;
    clearTimeout(this.#retry);
    const o = this.#options;
    const leaseMs = o.visibilitySeconds * 1000;
    try {
      const held = await o.results.renewClaim({ ...claim, leaseMs, nowMs: o.clock.now() });
      if (this.#stopped) return;
      if (held) {
        this.#leaseUntilMs = o.clock.now() + leaseMs;
        return;
      }
      const reason = revokedReason(await o.results.get(claim.taskId));
      if (this.#stopped) return;
      if (reason !== undefined) {
        this.#revoked(claim.taskId, reason);
        return;
      }
      this.#lose(`the claim on ${claim.taskId} is held by another delivery now`);
    } catch (error) {
      if (this.#stopped) return;
      const safetyMs = Math.min(2000, leaseMs / 4);
      if (o.clock.now() >= this.#leaseUntilMs - safetyMs) {
        this.#lose(
          `the claim on ${claim.taskId} could not be renewed before its lease ended: ${describeError(error)}`,
        );
        return;
      }
      o.log(`lease renewal for ${claim.taskId} failed, trying again in 1 s: ${describeError(error)}`);
      this.#retry = setTimeout(() => void this.#renew(), Math.min(1000, leaseMs / 4));
    }
  }

  #revoked(taskId: string, reason: string): void {
    this.#lost = true; // nothing left to renew: a revoked task is never claimed again
    if (reason !== 'terminated' || !this.#options.onRevoked) {
      this.#options.log(
        `${taskId} was revoked while running; it runs to its end (revoke with terminate stops it)`,
      );
      return;
    }
    this.#options.log(`${taskId} was revoked with terminate; stopping it`);
    this.#options.onRevoked(TaskRevokedError.forTask(taskId, 'terminated'));
  }

  #lose(message: string): void {
    const claim = this.#claim;
    if (this.#lost || !claim) return;
    this.#lost = true;
    this.#options.log(`${message}; stopping the run and handing the message back`);
    this.#options.onLost(new ClaimLost(message, { taskId: claim.taskId }));
  }
}
