/**
 * Decoding protocol v1 task bodies (`{"task", "id", "args", "kwargs", ...}`), alone or behind v2 headers.
 */
import { type Fields, readArgsKwargs, readTaskEmbed, readTaskHeaders } from './read-task-headers.js';
import type { TaskMessage, TaskProperties } from './task-message-types.js';

/**
 * A v1 body (`task_protocol=1`, or a bare JSON task from another producer) in v2 terms. With `hybrid`, the body
 * came behind v2 headers, which win over the body's own fields.
 */
export function decodeV1Body(
  body: Fields,
  envelopeHeaders: Fields,
  properties: TaskProperties,
  hybrid: boolean,
): TaskMessage {
  const provisionalId = typeof body.id === 'string' ? body.id : undefined;
  const rawArgs = body.args ?? [];
  const rawKwargs = body.kwargs ?? {};
  const [args, kwargs] = readArgsKwargs(rawArgs, rawKwargs, provisionalId ?? '?');
  const fields: Fields = hybrid ? { ...body, ...envelopeHeaders } : { ...body };
  if (!hybrid && typeof body.taskset === 'string') fields.group = body.taskset;
  for (const key of ['args', 'kwargs', 'callbacks', 'errbacks', 'chord', 'chain', 'taskset', 'utc'])
    delete fields[key];
  const headers = readTaskHeaders(fields, args, kwargs);
  const embed = readTaskEmbed(
    { callbacks: body.callbacks, errbacks: body.errbacks, chord: body.chord, chain: null },
    headers.id,
  );
  return { protocol: hybrid ? 2 : 1, headers, properties, args, kwargs, embed };
}
