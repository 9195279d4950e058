/**
 * The API Lambda: sends `tasks.add` and waits for the worker's result. Invoke it with `{ "a": 2, "b": 3 }`, or
 * behind API Gateway or a function URL with that JSON as the request body.
 */
import { add } from '../src/tasks.js';

/** What the function is asked to add. */
export interface AddRequest {
  readonly a: number;
  readonly b: number;
}

/** What it answers: the id of the task that ran and its result. */
export interface AddResponse {
  readonly taskId: string;
  readonly sum: number;
}

function parse(event: unknown): AddRequest {
  const input: unknown =
    typeof event === 'object' && event !== null && typeof (event as { body?: unknown }).body === 'string'
      ? JSON.parse((event as { body: string }).body)
      : event;
  const { a, b } = (input ?? {}) as Partial<Record<keyof AddRequest, unknown>>;
  if (typeof a !== 'number' || typeof b !== 'number') {
    throw new TypeError(`Expected { "a": number, "b": number }, got ${JSON.stringify(input)}`);
  }
  return { a, b };
}

export async function handler(event: unknown): Promise<AddResponse> {
  const { a, b } = parse(event);
  const result = await add.delay(a, b);
  // The CallerFunction's timeout is 30 s: wait a little less, so a slow worker is reported, not a killed caller.
  const sum = await result.get({ timeoutMs: 25_000 });
  return { taskId: result.id, sum };
}
