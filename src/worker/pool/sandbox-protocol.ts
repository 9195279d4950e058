/**
 * The messages between a worker and one of its sandboxes (a worker thread or a child process), as JSON text.
 * Values that JSON has no type for (Date, Decimal, Uuid, CalendarDate, TimeOfDay, bytes) travel with kombu's
 * type tags, as they do in task messages.
 */

import type { JsonValue } from '../../protocol/python-json.js';
import { pythonJsonDumps, pythonJsonLoads } from '../../protocol/python-json.js';
import type { WireError } from './wire-error.js';

/** The context fields a sandbox rebuilds `this` from (args and kwargs kombu-tagged). */
export interface WireContext {
  readonly taskId: string;
  readonly name: string;
  readonly retries: number;
  readonly args: JsonValue;
  readonly kwargs: JsonValue;
  readonly queue: string;
  readonly rootId: string | null;
  readonly parentId: string | null;
  readonly groupId: string | null;
  readonly hostname: string;
  /** Set when the run's signal was already aborted. */
  readonly aborted?: WireError;
  /** The run span's trace context, as the propagator's headers (`traceparent`), when tracing is on. */
  readonly trace?: Readonly<Record<string, string>>;
}

/** How a sandboxed call ended. */
export type WireResult =
  | { readonly kind: 'success'; readonly value: JsonValue }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'failure' | 'retry' | 'reject'; readonly error: WireError };

/** From the worker to a sandbox. */
export type ToSandbox =
  | { readonly t: 'run'; readonly run: number; readonly context: WireContext }
  | { readonly t: 'abort'; readonly run: number; readonly reason: WireError }
  | { readonly t: 'updated'; readonly run: number; readonly call: number; readonly error?: WireError }
  | { readonly t: 'exit' };

/** From a sandbox to the worker. */
export type FromSandbox =
  | { readonly t: 'ready' }
  | { readonly t: 'load-failed'; readonly error: WireError }
  | {
      readonly t: 'update';
      readonly run: number;
      readonly call: number;
      readonly state: string;
      readonly meta: JsonValue;
    }
  | { readonly t: 'done'; readonly run: number; readonly result: WireResult; readonly memoryKiB: number };

/** Encodes a message (JSON with NaN/Infinity as Python writes them). */
export function encodeSandboxMessage(message: ToSandbox | FromSandbox): string {
  return pythonJsonDumps(message as unknown as JsonValue);
}

/** Decodes a message. */
export function decodeSandboxMessage<T extends ToSandbox | FromSandbox>(text: string): T {
  return pythonJsonLoads(text, 'sandbox message') as unknown as T;
}
