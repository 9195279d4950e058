/**
 * The run span of the message being processed, kept per async context so that what the task sends while it
 * runs (and the follow-ups the worker sends for it) carries its trace context, even when no OpenTelemetry
 * context manager is registered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Span } from '@opentelemetry/api';

/** The slot of one message: empty until its run span starts. */
export interface RunSlot {
  /** The context holding the run span, which what is sent meanwhile descends from. */
  context?: Context;
  /** The run span, ended when the message is done. */
  span?: Span;
  /** Why the run failed, recorded on the span when it ends. */
  error?: unknown;
}

const slots = new AsyncLocalStorage<RunSlot>();

/** Calls `fn` with `slot` as the slot of the message it processes. */
export function withRunSlot<T>(slot: RunSlot, fn: () => T): T {
  return slots.run(slot, fn);
}

/** The slot of the message being processed here, if any. */
export function currentRunSlot(): RunSlot | undefined {
  return slots.getStore();
}
