/**
 * The flow gate: between admission and the claim, a message takes a token of its task's rate, a token of its
 * key's rate, and a slot of its key's concurrency (`flow/flow-control.ts`). Over a limit, it waits in SQS, never
 * in the worker: it is made invisible until tokens come back, or, on a standard queue once SQS has delivered it
 * {@link RESEND_AFTER_RECEIVES} times, sent again with that delay and the received copy deleted, so waiting
 * does not use up the queue's `maxReceiveCount` and end in the dead-letter queue.
 */

import type { FlowControl, TakeResult } from '../flow/flow-control.js';
import { bucketKey, describeKey, limitKeyOf } from '../flow/limit-key.js';
import type { SlotHandle } from '../ports/flow-store.js';
import { SQS_MAX_DELAY_SECONDS } from '../ports/service-limits.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { AnyTask } from '../registry.js';
import { describeError, type MessageScope, retryLater } from './execution-context.js';
import { MessageAction, type MessageOutcome, MessageState } from './message-outcome.js';
import { resendOf } from './redelay.js';

/** From this many receives, a throttled message on a standard queue is sent again instead of hidden. */
export const RESEND_AFTER_RECEIVES = 3;
/** How long a message refused a concurrency slot waits before it is tried again: slots free as runs end. */
const SLOT_RETRY_SECONDS = 1;
/** Spread of throttled messages' delays within a second, so hosts do not come back in step. */
const JITTER_SECONDS = 1;

/** The gate's answer: run (and call `release` once the run is settled), or this outcome. */
export type Gate =
  | { readonly kind: 'open'; readonly release: () => Promise<void> }
  | { readonly kind: 'closed'; readonly outcome: MessageOutcome };

const OPEN: Gate = { kind: 'open', release: async () => undefined };

/** Keys seen missing, per task, so each is logged once. */
const missingLogged = new WeakSet<AnyTask>();

/** The flow control a message runs under: the host's (`--rate-limit-scope worker`), else the runtime's. */
function flowOf(scope: MessageScope): FlowControl | undefined {
  return scope.ctx.flow ?? scope.runtime.flow;
}

/** Takes what the message's limits ask for, or says how long it must wait. */
export async function passFlowGate(scope: MessageScope, message: TaskMessage, task: AnyTask): Promise<Gate> {
  const flow = flowOf(scope);
  if (!flow) return OPEN;
  const base = { taskId: message.headers.id, taskName: task.name };
  try {
    const limits = await flow.limitsOf(task.name, task.options);
    if (limits.rate) {
      const taken = await flow.take(`task#${task.name}`, limits.rate);
      if (!taken.ok) return await throttled(scope, message, taken, `rate limit ${limits.rate.text}`);
    }
    if (!limits.key || (!limits.keyRate && limits.keyConcurrency === undefined)) return OPEN;
    let key = limitKeyOf(limits.key, message);
    if (key === undefined) {
      if (!missingLogged.has(task)) {
        missingLogged.add(task);
        scope.log(
          `${task.name} is limited per key (${describeKey(limits.key)}), but ${message.headers.id} has none; ` +
            'messages without a key share one bucket (send the key, e.g. headers= from Python)',
        );
      }
      key = '';
    }
    const bucket = `key#${task.name}#${await bucketKey(key)}`;
    if (limits.keyRate) {
      const taken = await flow.take(bucket, limits.keyRate);
      if (!taken.ok) return await throttled(scope, message, taken, `key rate limit ${limits.keyRate.text}`);
    }
    if (limits.keyConcurrency === undefined) return OPEN;
    const leaseMs = scope.ctx.leaseMs;
    const grant = await flow.acquire(bucket, limits.keyConcurrency, scope.owner, leaseMs);
    if (grant.slot === undefined) {
      const retryAtMs = Math.min(grant.retryAtMs, scope.now() + SLOT_RETRY_SECONDS * 1000);
      return await throttled(
        scope,
        message,
        { ok: false, retryAtMs },
        `key concurrency ${limits.keyConcurrency} reached`,
      );
    }
    return { kind: 'open', release: holdSlot(scope, flow, { bucket, slot: grant.slot, owner: scope.owner }) };
  } catch (error) {
    return {
      kind: 'closed',
      outcome: retryLater(base, MessageState.THROTTLED, `limits unavailable: ${describeError(error)}`),
    };
  }
}

/** Renews a held slot while the run lasts; the returned function frees it. */
function holdSlot(scope: MessageScope, flow: FlowControl, handle: SlotHandle): () => Promise<void> {
  const leaseMs = scope.ctx.leaseMs;
  const timer = setInterval(() => {
    flow.renew(handle, leaseMs).then(
      (held) => {
        if (!held)
          scope.log(`the concurrency slot of ${scope.inbound.messageId} was taken over after its lease`);
      },
      (error: unknown) => scope.log(`could not renew a concurrency slot: ${describeError(error)}`),
    );
  }, leaseMs / 2);
  timer.unref();
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    try {
      await flow.release(handle);
    } catch (error) {
      scope.log(`could not free a concurrency slot (it frees when its lease ends): ${describeError(error)}`);
    }
  };
}

/** A message over a limit: back to SQS until `retryAtMs`, spread over a couple of seconds. */
async function throttled(
  scope: MessageScope,
  message: TaskMessage,
  taken: Extract<TakeResult, { ok: false }>,
  why: string,
): Promise<Gate> {
  const base = { taskId: message.headers.id, taskName: message.headers.task };
  const waitSeconds = Math.max(1, Math.ceil((taken.retryAtMs - scope.now()) / 1000));
  const delaySeconds = Math.min(
    SQS_MAX_DELAY_SECONDS,
    waitSeconds + Math.floor(Math.random() * (JITTER_SECONDS + 1)),
  );
  const reason = `${why}: waiting ${delaySeconds} s in the queue`;
  const { inbound } = scope;
  const fifo = inbound.queueUrl.endsWith('.fifo');
  if (!fifo && inbound.receiveCount >= RESEND_AFTER_RECEIVES) {
    try {
      await scope.runtime.broker.send(inbound.queueUrl, [resendOf(inbound, delaySeconds)]);
      return {
        kind: 'closed',
        outcome: {
          ...base,
          action: MessageAction.DELETE,
          state: MessageState.THROTTLED,
          reason: `${reason} (sent again)`,
        },
      };
    } catch (error) {
      scope.log(`could not send ${message.headers.id} again, hiding it instead: ${describeError(error)}`);
    }
  }
  return {
    kind: 'closed',
    outcome: {
      ...base,
      action: MessageAction.RETRY_LATER,
      delaySeconds,
      state: MessageState.THROTTLED,
      reason,
    },
  };
}
