/**
 * The messages a finished task sends, as Celery's tracer sends them (`celery/app/trace.py`):
 * - on success, each `link` callback gets the result prepended to its arguments (unless immutable), and the
 *   next chain step (the LAST element of `embed.chain`) is sent with the rest of the chain;
 * - on failure, the `link_error` errbacks are sent, as one group, with the failed task's id as their first
 *   argument (Celery's "old-style" errback call, the one that works across languages), and every later chain step that has a
 *   task id is marked FAILURE too, so a caller waiting on the chain's result learns of it;
 * - on retry, the same task is sent again with the same id and `retries + 1`.
 * Follow-ups are sent before the task's own result is stored, as Celery does, so `children` can list them.
 */

import { type PlannedGroup, planWorkflow } from '../canvas/plan-workflow.js';
import { MAX_PRIORITY } from '../config/task-routes.js';
import { CELERY_HEADER_NAMES } from '../protocol/celery-headers.js';
import { setOwn } from '../protocol/set-own.js';
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { TaskMessage } from '../protocol/task-message.js';
import type { SendCall } from '../send-request.js';

/** The custom headers of a message. */
export function customHeaders(message: TaskMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.headers)) {
    if (!CELERY_HEADER_NAMES.has(key)) setOwn(out, key, value);
  }
  return out;
}

/** A result tuple as Celery lists it in `children`: `[[id, parent], null]`. */
export function childTuple(taskId: string): unknown[] {
  return [[taskId, null], null];
}

/** What a finished task sends: the calls, and the groups (chord headers) to save before sending them. */
export interface FollowUps {
  readonly calls: SendCall[];
  readonly groups: PlannedGroup[];
}

/**
 * A call of `signature` as a follow-up of `message`, with `prepend` added before its own args (unless
 * immutable), as Celery's `signature.apply_async((retval,), parent_id=..., root_id=..., chain=...)`. Every
 * canvas type is applied as Celery applies it: a chain step that is a group or a chord, a chain or group
 * callback, all through the canvas planner.
 */
function followUp(
  message: TaskMessage,
  signature: SignatureDict,
  prepend: unknown[],
  extra: { readonly chain?: SignatureDict[] },
  into: FollowUps,
): void {
  const parentId = message.headers.id;
  const rootId = message.headers.root_id ?? message.headers.id;
  const plan = planWorkflow(
    signature,
    {
      args: prepend,
      parentId,
      rootId,
      // Celery's tracer: `apply_async((retval,), chain=..., parent_id=..., root_id=..., priority=...)`; the
      // options reach a chord body's options as they do in Python (SQS deliveries have no priority).
      options: {
        ...(extra.chain ? { chain: extra.chain } : {}),
        parent_id: parentId,
        root_id: rootId,
        priority: null,
      } as SignatureOptions,
    },
    { newId: () => globalThis.crypto.randomUUID(), replyTo: globalThis.crypto.randomUUID() },
  );
  into.calls.push(...plan.calls);
  into.groups.push(...plan.groups);
}

/** The follow-ups of a success: link callbacks, then the next chain step. */
export function successFollowUps(message: TaskMessage, result: unknown): FollowUps {
  const out: FollowUps = { calls: [], groups: [] };
  for (const callback of message.embed.callbacks ?? []) followUp(message, callback, [result], {}, out);
  const chain = message.embed.chain ?? [];
  const next = chain[chain.length - 1];
  if (next) followUp(message, next, [result], { chain: chain.slice(0, -1) }, out);
  return out;
}

/**
 * The errbacks of a failed task (or chord body) `taskId`, as Celery 5.6's `_call_task_errbacks` sends them: all
 * of them as one group, `group(errbacks).apply_async((task_id,), parent_id=task_id, root_id=root_id)`, so each
 * message carries a new group id and its `group_index` (the group is not saved: nothing joins it).
 */
export function errbackFollowUps(
  errbacks: readonly SignatureDict[],
  taskId: string,
  rootId: string,
): FollowUps {
  if (errbacks.length === 0) return { calls: [], groups: [] };
  const errbackGroup: SignatureDict = {
    task: 'celery.group',
    args: [],
    kwargs: { tasks: [...errbacks] },
    options: {},
    subtask_type: 'group',
    immutable: false,
  };
  const plan = planWorkflow(
    errbackGroup,
    { args: [taskId], parentId: taskId, rootId, options: { parent_id: taskId, root_id: rootId } },
    { newId: () => globalThis.crypto.randomUUID(), replyTo: globalThis.crypto.randomUUID() },
  );
  return { calls: [...plan.calls], groups: [...plan.groups] };
}

/** The follow-ups of a failure: errbacks called with the failed task's id. */
export function failureFollowUps(message: TaskMessage): FollowUps {
  const { id, root_id } = message.headers;
  return errbackFollowUps(message.embed.errbacks ?? [], id, root_id ?? id);
}

/** Task ids of later chain steps, which Celery marks FAILURE when an earlier step fails. */
export function pendingChainIds(message: TaskMessage): string[] {
  return (message.embed.chain ?? [])
    .map((step) => step.options.task_id)
    .filter((id): id is string => typeof id === 'string');
}

const isPriority = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_PRIORITY;

/** The retry of `message`: same id, `retries + 1`, everything else carried over, due at `eta`. */
export function retryCall(
  message: TaskMessage,
  queue: { readonly url: string; readonly name: string },
  eta: Date,
): SendCall {
  const { headers, embed } = message;
  const [hard, soft] = headers.timelimit;
  return {
    name: headers.task,
    args: message.args,
    kwargs: message.kwargs,
    options: {
      taskId: headers.id,
      eta,
      ...(headers.expires ? { expires: headers.expires } : {}),
      ...(hard === null ? {} : { timeLimitSeconds: hard }),
      ...(soft === null ? {} : { softTimeLimitSeconds: soft }),
      ...(headers.shadow ? { shadow: headers.shadow } : {}),
      ...(embed.callbacks ? { link: embed.callbacks } : {}),
      ...(embed.errbacks ? { linkError: embed.errbacks } : {}),
      ...(headers.ignore_result ? { ignoreResult: true } : {}),
      headers: customHeaders(message),
      queue: queue.name,
      // Celery's retry keeps the delivery's priority (`signature_from_request`).
      ...(isPriority(message.properties.priority) ? { priority: message.properties.priority } : {}),
    },
    workflow: {
      retries: headers.retries + 1,
      rootId: headers.root_id ?? headers.id,
      // Celery's retry sets the parent to the task itself when it had none.
      parentId: headers.parent_id ?? headers.id,
      ...(headers.group ? { groupId: headers.group } : {}),
      ...(headers.group_index === null ? {} : { groupIndex: headers.group_index }),
      ...(embed.chain ? { chain: embed.chain } : {}),
      ...(embed.chord ? { chord: embed.chord } : {}),
      ...(Object.keys(headers.stamps).length > 0 ? { stamps: headers.stamps } : {}),
      origin: headers.origin,
      queueUrl: queue.url,
    },
  };
}
