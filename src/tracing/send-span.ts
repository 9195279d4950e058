/**
 * The producer's span, `apply_async/<task>` of kind PRODUCER, and the trace context it puts in the message:
 * the global propagator writes into the task's headers, as `opentelemetry-instrumentation-celery` does in
 * `before_task_publish` (`inject(headers)`), so with the W3C propagator a message carries `traceparent` (and
 * `tracestate` and `baggage` when they have entries) next to Celery's own headers.
 */
import { sendAttributes, sendSpanName } from './celery-span-attributes.js';
import { loadOtel } from './load-otel.js';
import { endSpan, parentContext, TRACER_NAME } from './otel-spans.js';

/** A started send span. */
export interface SendSpan {
  /** The trace headers to add to the message (empty when no propagator is registered). */
  readonly headers: Readonly<Record<string, string>>;
  /** Ends the span, as failed when `error` is given. */
  end(error?: unknown): void;
}

/** What a send span describes. */
export interface TracedSend {
  readonly taskId: string;
  readonly name: string;
  readonly queue: string;
}

/** Starts the span of one send; `undefined` when `@opentelemetry/api` is not installed. */
export async function startSendSpan(send: TracedSend): Promise<SendSpan | undefined> {
  const otel = await loadOtel();
  if (!otel) return undefined;
  const parent = parentContext(otel);
  const span = otel.trace
    .getTracer(TRACER_NAME)
    .startSpan(sendSpanName(send.name), { kind: otel.SpanKind.PRODUCER }, parent);
  // As Python's `_trace_before_publish`: attributes only on a span that records.
  if (span.isRecording()) span.setAttributes(sendAttributes(send));
  const headers: Record<string, string> = {};
  otel.propagation.inject(otel.trace.setSpan(parent, span), headers);
  return { headers, end: (error) => endSpan(otel, span, error) };
}
