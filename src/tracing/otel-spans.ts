/**
 * What the send and run spans share: the tracer they are recorded under, the parent a new span gets, and how a
 * span ends. Internal to `src/tracing/`; its types are the OpenTelemetry API's.
 */
import type { Context, Span } from '@opentelemetry/api';
import type { Otel } from './load-otel.js';
import { currentRunSlot } from './running-span.js';

/** The tracer name celeriac's spans are recorded under. */
export const TRACER_NAME = 'celeriac';

/**
 * The context a span started now descends from: the active OpenTelemetry context when it holds a span (a span
 * the task started itself, with a context manager registered), else the running task's run span, else the
 * active context.
 */
export function parentContext(otel: Otel): Context {
  const active = otel.context.active();
  if (otel.trace.getSpan(active)) return active;
  return currentRunSlot()?.context ?? active;
}

/** Ends `span`, recording `error` as Python's instrumentation records a task failure. */
export function endSpan(otel: Otel, span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: otel.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}
