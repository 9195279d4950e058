/**
 * Trace context across the boundary of a `threads` or `processes` pool: the worker hands the run span's context
 * to the sandbox as headers (the global propagator's), and the sandbox runs the function with it as the parent
 * of what the function sends and the spans it starts, so the sandbox's sends join the run's trace. The sandbox
 * records spans only if the app module it loads registers a tracer provider and a propagator.
 */
import { loadedOtel, loadOtel } from './load-otel.js';
import { currentRunSlot, withRunSlot } from './running-span.js';

/** The running message's run span as headers for a sandbox; `undefined` when there is none to pass. */
export function runTraceCarrier(): Record<string, string> | undefined {
  const otel = loadedOtel();
  const context = currentRunSlot()?.context;
  if (!otel || !context) return undefined;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(context, carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** Calls `fn` (in a sandbox) with the trace context `carrier` holds as its parent; just calls it without one. */
export async function withRunTrace<T>(
  carrier: Readonly<Record<string, string>> | undefined,
  fn: () => T,
): Promise<T> {
  const otel = carrier ? await loadOtel() : undefined;
  if (!otel || !carrier) return fn();
  const context = otel.propagation.extract(otel.ROOT_CONTEXT, carrier);
  return withRunSlot({ context }, () => otel.context.with(context, fn));
}
