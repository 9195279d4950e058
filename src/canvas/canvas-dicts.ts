/**
 * Reading and copying signature dicts of the canvas types (`chain`/`group` members in `kwargs.tasks`, a chord's
 * `kwargs.header` and `kwargs.body`), for the planner; each copy leaves the original untouched.
 */
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import { CanvasError } from './canvas-error.js';
import type { PlannedResult } from './plan-workflow.js';

/** The members of a chain or group dict. */
export function members(dict: SignatureDict, key = 'tasks'): SignatureDict[] {
  const list = dict.kwargs[key];
  if (!Array.isArray(list)) throw CanvasError.notSignature(dict.subtask_type ?? 'signature', list);
  return list as SignatureDict[];
}

/**
 * A chord dict's header group. Celery 5.6 serializes a chord's header as the list of its signatures (its
 * `_maybe_group`), celeriac as a group dict; a list is read as a group of those signatures.
 */
export function header(dict: SignatureDict): SignatureDict {
  const value = dict.kwargs.header;
  if (Array.isArray(value)) {
    return {
      task: 'celery.group',
      args: [],
      kwargs: { tasks: value },
      options: {},
      subtask_type: 'group',
      immutable: false,
    };
  }
  if (!value || typeof value !== 'object') throw CanvasError.notSignature('chord header', value);
  return value as SignatureDict;
}

/** A chord dict's body, if any. */
export function body(dict: SignatureDict): SignatureDict | undefined {
  const value = dict.kwargs.body;
  return value && typeof value === 'object' ? (value as SignatureDict) : undefined;
}

/** A copy with other options. */
export function withOptions(dict: SignatureDict, options: SignatureOptions): SignatureDict {
  return { ...dict, options };
}

/** A copy with other kwargs. */
export function withKwargs(dict: SignatureDict, kwargs: Record<string, unknown>): SignatureDict {
  return { ...dict, kwargs };
}

/** Celery's `_merge` for the first step of a chain: partial args prepended unless immutable. */
export function withPartial(
  dict: SignatureDict,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
) {
  if (dict.immutable || (args.length === 0 && Object.keys(kwargs).length === 0)) return dict;
  return { ...dict, args: [...args, ...dict.args], kwargs: { ...dict.kwargs, ...kwargs } };
}

/** `maybe_unroll_group`: a group of one is that one. */
export function unrollGroup(dict: SignatureDict): SignatureDict {
  if (dict.subtask_type !== 'group') return dict;
  const tasks = members(dict);
  return tasks.length === 1 ? (tasks[0] as SignatureDict) : dict;
}

/** A chain's steps with nested chains spliced in, in order. */
export function flatSteps(dict: SignatureDict): SignatureDict[] {
  return members(dict).flatMap((step) => (step.subtask_type === 'chain' ? flatSteps(step) : [step]));
}

/**
 * The chord a group followed by `bodyStep` becomes inside a chain. As in Celery, the header is a new group of
 * the members (the group's own options, its id among them, do not carry over).
 */
export function upgradeToChord(group: SignatureDict, bodyStep: SignatureDict, taskId: string) {
  return {
    task: 'celery.chord',
    args: [],
    kwargs: { kwargs: {}, header: { ...group, options: {} }, body: bodyStep },
    options: { task_id: taskId },
    subtask_type: 'chord',
    immutable: false,
  } as SignatureDict;
}

/** The first result of a result's parent chain (where a chain's results begin). */
export function rootOf(result: PlannedResult): PlannedResult {
  let node = result;
  const seen = new Set<PlannedResult>();
  while (node.parent) {
    if (seen.has(node)) throw CanvasError.cycle('chain');
    seen.add(node);
    node = node.parent;
  }
  return node;
}
