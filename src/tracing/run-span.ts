/**
 * The worker's span, `run/<task>` of kind CONSUMER, as `opentelemetry-instrumentation-celery` starts it in
 * `task_prerun` and ends it in `task_postrun`: its parent is the trace context the message carries in its
 * headers (extracted with the global propagator; none makes it a root), it is active while the function runs
 * (so spans the task starts, and tasks it sends, are its children), and it ends once the outcome is stored and
 * the follow-ups are sent.
 */
import {
  CELERY_RETRY_REASON,
  CELERY_STATE,
  type RunAttributeSource,
  runAttributes,
  runSpanName,
} from './celery-span-attributes.js';
import { loadOtel } from './load-otel.js';
import { endSpan, TRACER_NAME } from './otel-spans.js';
import { currentRunSlot, type RunSlot, withRunSlot } from './running-span.js';

/** How a run ended, in the worker's terms (its `RunResult`). */
export interface RunEnding {
  readonly kind: 'success' | 'failure' | 'retry' | 'ignore' | 'reject';
  readonly error?: unknown;
  readonly retry?: { readonly message: string };
}

/** The Celery state each ending is reported with, as Python's `task_postrun` passes it. */
const STATES: Readonly<Record<RunEnding['kind'], string>> = {
  success: 'SUCCESS',
  failure: 'FAILURE',
  retry: 'RETRY',
  ignore: 'IGNORED',
  reject: 'REJECTED',
};

/** A started run span. */
export interface RunSpan {
  /** Calls `fn` with the run span as the active OpenTelemetry context. */
  within<T>(fn: () => T): T;
  /** Records how the function ended (the span itself ends when the message is done). */
  settle(ending: RunEnding): void;
}

/**
 * Processes one message with room for its run span: `fn` runs with a slot of its own, and a run span started
 * in it ends when `fn` settles. Without `@opentelemetry/api` it just calls `fn`.
 */
export async function traceMessage<T>(fn: () => Promise<T>): Promise<T> {
  const otel = await loadOtel();
  if (!otel) return fn();
  const slot: RunSlot = {};
  try {
    return await withRunSlot(slot, fn);
  } finally {
    if (slot.span) endSpan(otel, slot.span, slot.error);
  }
}

/**
 * Starts the run span of `message` in the slot of {@link traceMessage}; `undefined` without
 * `@opentelemetry/api` or outside a slot.
 */
export async function startRunSpan(message: RunAttributeSource, queue: string): Promise<RunSpan | undefined> {
  const otel = await loadOtel();
  const slot = currentRunSlot();
  if (!otel || !slot) return undefined;
  const parent = otel.propagation.extract(otel.ROOT_CONTEXT, message.headers);
  const span = otel.trace
    .getTracer(TRACER_NAME)
    .startSpan(runSpanName(String(message.headers.task)), { kind: otel.SpanKind.CONSUMER }, parent);
  // As Python's `set_attributes_from_context`: attributes only on a span that records, so a worker without a
  // tracer provider (the API's no-op span) does not build them for every message.
  if (span.isRecording()) span.setAttributes(runAttributes(message, queue));
  const context = otel.trace.setSpan(parent, span);
  slot.span = span;
  slot.context = context;
  return {
    within: (fn) => otel.context.with(context, fn),
    settle: (ending) => {
      span.setAttribute(CELERY_STATE, STATES[ending.kind]);
      if (ending.kind === 'failure') slot.error = ending.error;
      if (ending.retry) span.setAttribute(CELERY_RETRY_REASON, ending.retry.message);
    },
  };
}
