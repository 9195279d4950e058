/**
 * The messages a finished task sends, as Celery's tracer sends them (`celery/app/trace.py`):
 * - on success, each `link` callback gets the result prepended to its arguments (unless immutable), and the
 *   next chain step (the LAST element of `embed.chain`) is sent with the rest of the chain;
 * - on failure, each `link_error` errback is sent with the failed task's id as its first argument (Celery's
 *   "old-style" errback call, the one that works across languages), and every later chain step that has a
 *   task id is marked FAILURE too, so a caller waiting on the chain's result learns of it;
 * - on retry, the same task is sent again with the same id and `retries + 1`.
 * Follow-ups are sent before the task's own result is stored, as Celery does, so `children` can list them.
 */

import type { App } from '../app.js';
import type { InternalApplyOptions, SendRequest } from '../apply-options.js';
import type { SignatureDict } from '../protocol/signature.js';
import type { TaskMessage } from '../protocol/task-message.js';

/** Celery's header names; anything else in the headers is a custom header and travels on with retries. */
const CELERY_HEADERS = new Set([
  'lang',
  'task',
  'id',
  'shadow',
  'eta',
  'expires',
  'group',
  'group_index',
  'retries',
  'timelimit',
  'root_id',
  'parent_id',
  'argsrepr',
  'kwargsrepr',
  'origin',
  'ignore_result',
  'replaced_task_nesting',
  'stamped_headers',
  'stamps',
  'compression',
  'meth',
]);

/** The custom headers of a message. */
export function customHeaders(message: TaskMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message.headers)) {
    if (!CELERY_HEADERS.has(key)) out[key] = value;
  }
  return out;
}

/** A result tuple as Celery lists it in `children`: `[[id, parent], null]`. */
export function childTuple(taskId: string): unknown[] {
  return [[taskId, null], null];
}

function signatureOptions(signature: SignatureDict): InternalApplyOptions {
  const { options } = signature;
  return {
    ...(typeof options.task_id === 'string' ? { taskId: options.task_id } : {}),
    ...(typeof options.queue === 'string' ? { queue: options.queue } : {}),
    ...(typeof options.group_id === 'string' ? { groupId: options.group_id } : {}),
    ...(typeof options.group_index === 'number' ? { groupIndex: options.group_index } : {}),
    ...(typeof options.reply_to === 'string' ? { replyTo: options.reply_to } : {}),
  };
}

/** A send of `signature` as a follow-up of `message`, with `prepend` added before its own args. */
function followUp(
  app: App,
  message: TaskMessage,
  signature: SignatureDict,
  prepend: unknown[],
  extra: InternalApplyOptions,
): SendRequest {
  const args = signature.immutable ? signature.args : [...prepend, ...signature.args];
  return app.sendRequest(signature.task, args, signature.kwargs, {
    ...signatureOptions(signature),
    parentId: message.headers.id,
    rootId: message.headers.root_id ?? message.headers.id,
    ...extra,
  });
}

/** The follow-ups of a success: link callbacks, then the next chain step. */
export function successFollowUps(app: App, message: TaskMessage, result: unknown): SendRequest[] {
  const sends = (message.embed.callbacks ?? []).map((callback) =>
    followUp(app, message, callback, [result], {}),
  );
  const chain = message.embed.chain ?? [];
  const next = chain[chain.length - 1];
  if (next) sends.push(followUp(app, message, next, [result], { chain: chain.slice(0, -1) }));
  return sends;
}

/** The follow-ups of a failure: errbacks called with the failed task's id. */
export function failureFollowUps(app: App, message: TaskMessage): SendRequest[] {
  return (message.embed.errbacks ?? []).map((errback) =>
    followUp(app, message, errback, [message.headers.id], {}),
  );
}

/** Task ids of later chain steps, which Celery marks FAILURE when an earlier step fails. */
export function pendingChainIds(message: TaskMessage): string[] {
  return (message.embed.chain ?? [])
    .map((step) => step.options.task_id)
    .filter((id): id is string => typeof id === 'string');
}

/** The retry of `message`: same id, `retries + 1`, everything else carried over, due at `eta`. */
export function retryRequest(
  app: App,
  message: TaskMessage,
  queue: { readonly url: string; readonly name: string },
  eta: Date,
): SendRequest {
  const { headers, embed } = message;
  const [hard, soft] = headers.timelimit;
  return app.sendRequest(headers.task, message.args, message.kwargs, {
    taskId: headers.id,
    retries: headers.retries + 1,
    eta,
    ...(headers.expires ? { expires: headers.expires } : {}),
    ...(hard === null ? {} : { timeLimitSeconds: hard }),
    ...(soft === null ? {} : { softTimeLimitSeconds: soft }),
    rootId: headers.root_id ?? headers.id,
    // Celery's retry sets the parent to the task itself when it had none.
    parentId: headers.parent_id ?? headers.id,
    ...(headers.group ? { groupId: headers.group } : {}),
    ...(headers.group_index === null ? {} : { groupIndex: headers.group_index }),
    ...(headers.shadow ? { shadow: headers.shadow } : {}),
    ...(embed.callbacks ? { link: embed.callbacks } : {}),
    ...(embed.errbacks ? { linkError: embed.errbacks } : {}),
    ...(embed.chain ? { chain: embed.chain } : {}),
    ...(embed.chord ? { chord: embed.chord } : {}),
    ...(Object.keys(headers.stamps).length > 0 ? { stamps: headers.stamps } : {}),
    ...(headers.ignore_result ? { ignoreResult: true } : {}),
    headers: customHeaders(message),
    origin: headers.origin,
    queue: queue.name,
    queueUrl: queue.url,
  });
}
