/**
 * How a workflow becomes messages, as Celery's canvas does it (`celery/canvas.py`), on plain signature dicts so
 * the same code serves a TypeScript caller and a worker applying a signature it received:
 * - **freeze** gives every task its id ahead of time (`Signature.freeze`): `task_id`, `reply_to`, and where the
 *   task sits in a workflow, `root_id`, `parent_id`, `group_id`, `group_index` and the `chord` body;
 * - **chain** (`_chain.prepare_steps`) walks the steps last-first, turns a group followed by a step into a chord,
 *   freezes each step and sends the first with the rest in `embed.chain`, next step last;
 * - **group** (`group.apply_async`) sends one message per member with `group` and `group_index`; nested groups
 *   are flattened, a chain member ends in the group;
 * - **chord** (`_chord.run`) freezes the body with the header's group id, saves the group (the chord counter's
 *   record) and sends the header members with the body in `embed.chord`.
 *
 * Planning is pure: it returns the send calls, the groups to save first, and the shape of the results.
 */
import type { SignatureDict, SignatureOptions } from '../protocol/signature.js';
import type { SendCall } from '../send-request.js';
import {
  body,
  flatSteps,
  header,
  members,
  rootOf,
  unrollGroup,
  upgradeToChord,
  withKwargs,
  withOptions,
  withPartial,
} from './canvas-dicts.js';
import { CanvasError } from './canvas-error.js';
import { signatureCall } from './signature-options.js';

/** The results a workflow will have, for building result handles. */
export type PlannedResult =
  | { readonly kind: 'task'; readonly id: string; parent?: PlannedResult }
  | {
      readonly kind: 'group';
      readonly id: string;
      readonly members: PlannedResult[];
      parent?: PlannedResult;
    };

/** A group to save before anything is sent (a chord's header). */
export interface PlannedGroup {
  readonly groupId: string;
  readonly memberIds: readonly string[];
}

/** What applying a workflow sends. */
export interface WorkflowPlan {
  /** Groups to save first, in order. */
  readonly groups: PlannedGroup[];
  /** Messages to send, in order. */
  readonly calls: SendCall[];
  /** The workflow's result (a chain's last task, a group, a chord's body). */
  readonly result: PlannedResult;
}

/** Ids for the plan. */
export interface PlanIds {
  /** A new task or group id. */
  readonly newId: () => string;
  /** The `reply_to` frozen signatures get (Celery's per-thread oid); one per workflow send. */
  readonly replyTo: string;
}

/** How a signature is applied: partial arguments and the workflow place it is sent in. */
export interface ApplyPlace {
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Extra options, Celery-spelled, merged over the signature's own. */
  readonly options?: SignatureOptions;
  readonly rootId?: string;
  readonly parentId?: string;
}

interface FreezeAt {
  readonly taskId?: string | undefined;
  readonly groupId?: string | undefined;
  readonly groupIndex?: number | undefined;
  readonly chord?: SignatureDict | undefined;
  readonly rootId?: string | undefined;
  readonly parentId?: string | undefined;
}

interface Frozen {
  readonly dict: SignatureDict;
  readonly result: PlannedResult;
}

class Planner {
  readonly groups: PlannedGroup[] = [];
  readonly calls: SendCall[] = [];
  readonly #ids: PlanIds;

  constructor(ids: PlanIds) {
    this.#ids = ids;
  }

  /** `Signature.freeze` and the canvas types' own. */
  freeze(dict: SignatureDict, at: FreezeAt): Frozen {
    switch (dict.subtask_type) {
      case 'chain':
        return this.#freezeChain(dict, at);
      case 'group':
        return this.#freezeGroup(dict, at);
      case 'chord':
        return this.#freezeChord(dict, at);
      default:
        return this.#freezeTask(dict, at);
    }
  }

  #freezeTask(dict: SignatureDict, at: FreezeAt): Frozen {
    const options: SignatureOptions = { ...dict.options };
    const id = typeof options.task_id === 'string' ? options.task_id : (at.taskId ?? this.#ids.newId());
    options.task_id = id;
    if (at.rootId) options.root_id = at.rootId;
    if (at.parentId) options.parent_id = at.parentId;
    if (options.reply_to === undefined) options.reply_to = this.#ids.replyTo;
    if (at.groupId && options.group_id === undefined) options.group_id = at.groupId;
    if (at.chord) options.chord = at.chord;
    if (at.groupIndex !== undefined) options.group_index = at.groupIndex;
    return { dict: withOptions(dict, options), result: { kind: 'task', id } };
  }

  #freezeGroup(dict: SignatureDict, at: FreezeAt): Frozen {
    const options: SignatureOptions = { ...dict.options };
    const id = typeof options.task_id === 'string' ? options.task_id : (at.groupId ?? this.#ids.newId());
    options.task_id = id;
    if (at.groupId) options.group_id = at.groupId;
    if (at.chord) options.chord = at.chord;
    if (at.groupIndex !== undefined) options.group_index = at.groupIndex;
    const rootId = typeof options.root_id === 'string' ? options.root_id : at.rootId;
    const parentId = typeof options.parent_id === 'string' ? options.parent_id : at.parentId;
    // Celery's `opts.setdefault('root_id', root_id)`: the keys are there, null when unknown.
    const loose = options as Record<string, unknown>;
    if (loose.root_id === undefined) loose.root_id = rootId ?? null;
    if (loose.parent_id === undefined) loose.parent_id = parentId ?? null;
    const frozen = members(dict).map((member, index) =>
      this.freeze(member, { groupId: at.groupId, chord: at.chord, rootId, parentId, groupIndex: index }),
    );
    return {
      dict: withKwargs(withOptions(dict, options), { ...dict.kwargs, tasks: frozen.map((f) => f.dict) }),
      result: { kind: 'group', id, members: frozen.map((f) => f.result) },
    };
  }

  #freezeChord(dict: SignatureDict, at: FreezeAt): Frozen {
    const chordBody = body(dict);
    const frozenBody = chordBody
      ? this.freeze(chordBody, {
          taskId: at.taskId,
          rootId: at.rootId,
          chord: at.chord,
          groupId: at.groupId,
          groupIndex: at.groupIndex,
        })
      : undefined;
    const frozenHeader = this.freeze(header(dict), {
      parentId: at.parentId,
      rootId: at.rootId,
      chord: frozenBody?.dict,
    });
    const bodyResult = frozenBody?.result;
    if (bodyResult) rootOf(bodyResult).parent = frozenHeader.result;
    const options = { ...dict.options, task_id: frozenHeader.result.id };
    return {
      dict: withKwargs(withOptions(dict, options), {
        ...dict.kwargs,
        header: frozenHeader.dict,
        body: frozenBody?.dict ?? null,
      }),
      result: bodyResult ?? frozenHeader.result,
    };
  }

  /** `_chain.prepare_steps`: the frozen steps, LAST first, and their results (the chain's result first). */
  #prepareSteps(
    steps: readonly SignatureDict[],
    first: { args: readonly unknown[]; kwargs: Readonly<Record<string, unknown>> },
    at: FreezeAt,
    linkError: readonly SignatureDict[],
  ): { tasks: SignatureDict[]; results: PlannedResult[] } {
    const tasks: SignatureDict[] = [];
    const results: PlannedResult[] = [];
    let prevTask: SignatureDict | undefined;
    let prevRes: PlannedResult | undefined;
    let frozenCount = 0;
    for (let index = steps.length - 1; index >= 0; index -= 1) {
      const isLast = frozenCount === 0;
      let task = unrollGroup(steps[index] as SignatureDict);
      if (index === 0) task = withPartial(task, first.args, first.kwargs);
      if (task.subtask_type === 'group' && prevTask && prevRes) {
        // group(...) | step  ->  chord(group, step)
        tasks.pop();
        results.pop();
        task = upgradeToChord(task, prevTask, prevRes.id);
        prevTask = tasks[tasks.length - 1];
        prevRes = results[results.length - 1];
      }
      const frozen = this.freeze(task, isLast ? at : { rootId: at.rootId });
      frozenCount += 1;
      let frozenTask = frozen.dict;
      if (linkError.length > 0) {
        const existing = (frozenTask.options.link_error as SignatureDict[] | undefined) ?? [];
        frozenTask = withOptions(frozenTask, {
          ...frozenTask.options,
          link_error: [...existing, ...linkError],
        });
      }
      if (prevRes && prevRes.parent === undefined) prevRes.parent = frozen.result;
      tasks.push(frozenTask);
      results.push(frozen.result);
      prevTask = frozenTask;
      prevRes = frozenTask.subtask_type === 'chord' ? rootOf(frozen.result) : frozen.result;
    }
    return { tasks, results };
  }

  #freezeChain(dict: SignatureDict, at: FreezeAt): Frozen {
    const { tasks, results } = this.#prepareSteps(flatSteps(dict), { args: dict.args, kwargs: {} }, at, []);
    const forward = [...tasks].reverse();
    const result = results[0];
    if (!result) throw CanvasError.empty('chain');
    // Celery's `self.id = last_task_id`: a frozen chain's `task_id` is the id it was frozen with, or null.
    const options = {
      ...dict.options,
      task_id: dict.options.task_id ?? at.taskId ?? null,
    } as SignatureOptions;
    return {
      dict: withKwargs(withOptions({ ...dict, args: [] }, options), { ...dict.kwargs, tasks: forward }),
      result,
    };
  }

  /** Sends `dict` (Celery's `apply_async` of each type) and returns its result. */
  apply(dict: SignatureDict, place: ApplyPlace): PlannedResult {
    switch (dict.subtask_type) {
      case 'chain':
        return this.#applyChain(dict, place);
      case 'group':
        return this.#applyGroup(dict, place);
      case 'chord':
        return this.#applyChord(dict, place);
      default:
        return this.#applyTask(dict, place);
    }
  }

  #applyTask(dict: SignatureDict, place: ApplyPlace): PlannedResult {
    const options: SignatureOptions = { ...dict.options, ...(place.options ?? {}) };
    if (typeof options.task_id !== 'string') options.task_id = this.#ids.newId();
    const call = signatureCall(withOptions(dict, options), place.args ?? [], {}, place.kwargs ?? {});
    // The place's root and parent win, as `apply_async(parent_id=..., root_id=...)` options do in Celery.
    const workflow = {
      ...call.workflow,
      ...(place.rootId ? { rootId: place.rootId } : {}),
      ...(place.parentId ? { parentId: place.parentId } : {}),
    };
    this.calls.push({ ...call, workflow });
    return { kind: 'task', id: options.task_id };
  }

  #applyChain(dict: SignatureDict, place: ApplyPlace): PlannedResult {
    const options: SignatureOptions = { ...dict.options, ...(place.options ?? {}) };
    const { task_id: lastId, link, link_error: linkError, chain: outer, ...rest } = options;
    const rootId = (rest.root_id as string | undefined) ?? place.rootId;
    const parentId = (rest.parent_id as string | undefined) ?? place.parentId;
    const args = dict.immutable ? dict.args : [...(place.args ?? []), ...dict.args];
    const { tasks, results } = this.#prepareSteps(
      flatSteps(dict),
      { args, kwargs: place.kwargs ?? {} },
      {
        taskId: typeof lastId === 'string' ? lastId : undefined,
        groupId: rest.group_id as string | undefined,
        groupIndex: rest.group_index as number | undefined,
        chord: rest.chord as SignatureDict | undefined,
        rootId,
      },
      (linkError as SignatureDict[] | undefined) ?? [],
    );
    if (link && tasks[0]) {
      const last = tasks[0];
      const existing = (last.options.link as SignatureDict[] | undefined) ?? [];
      tasks[0] = withOptions(last, { ...last.options, link: [...existing, ...(link as SignatureDict[])] });
    }
    const firstTask = tasks.pop();
    const result = results[0];
    if (!firstTask || !result) throw CanvasError.empty('chain');
    const embed = [...((outer as SignatureDict[] | undefined) ?? []), ...tasks];
    const { group_id: _g, group_index: _i, chord: _c, root_id: _r, parent_id: _p, ...sendOptions } = rest;
    this.apply(firstTask, {
      options: { ...sendOptions, chain: embed },
      ...(rootId ? { rootId } : {}),
      ...(parentId ? { parentId } : {}),
    });
    return result;
  }

  #applyGroup(dict: SignatureDict, place: ApplyPlace): PlannedResult {
    const merged: SignatureOptions = { ...dict.options, ...(place.options ?? {}) };
    const { task_id: taskId, chord, group_index: _index, ...options } = merged;
    const groupId = typeof taskId === 'string' ? taskId : this.#ids.newId();
    const rootId = (options.root_id as string | undefined) ?? place.rootId;
    const parentId = (options.parent_id as string | undefined) ?? place.parentId;
    const list = members(dict);
    if (list.length === 0) throw CanvasError.empty('group');
    const results = list.map((member, index) => {
      const frozen = this.freeze(member, { groupId, rootId, groupIndex: index });
      const memberChord = chord ?? frozen.dict.options.chord;
      const args = member.immutable ? [] : [...(place.args ?? [])];
      this.apply(frozen.dict, {
        args,
        kwargs: place.kwargs ?? {},
        options: { ...options, group_id: groupId, ...(memberChord ? { chord: memberChord } : {}) },
        ...(rootId ? { rootId } : {}),
        ...(parentId ? { parentId } : {}),
      });
      return frozen.result;
    });
    return { kind: 'group', id: groupId, members: results };
  }

  #applyChord(dict: SignatureDict, place: ApplyPlace): PlannedResult {
    const merged: SignatureOptions = { ...dict.options, ...(place.options ?? {}) };
    const { task_id: taskId, chord: _outerChord, ...options } = merged;
    const chordBody = body(dict);
    if (!chordBody) throw new CanvasError('A chord needs a body', { form: 'chord' });
    const headerGroup = header(dict);
    const groupId =
      typeof headerGroup.options.task_id === 'string' ? headerGroup.options.task_id : this.#ids.newId();
    const rootId = (chordBody.options.root_id as string | undefined) ?? place.rootId;
    // Celery's `body.options.update(options)`: the rest of an outer chain, parent and root go with the body.
    const bodyOptions: SignatureOptions = { ...chordBody.options, ...options };
    const existingBodyId = chordBody.options.task_id;
    const bodyId =
      typeof existingBodyId === 'string'
        ? existingBodyId
        : typeof taskId === 'string' && taskId !== groupId
          ? taskId
          : this.#ids.newId();
    const frozenBody = this.freeze(withOptions(chordBody, bodyOptions), { taskId: bodyId, groupId, rootId });
    const headerDict = withOptions(headerGroup, { ...headerGroup.options, task_id: groupId });
    const frozenHeader = this.freeze(headerDict, { groupId, chord: frozenBody.dict, rootId });
    const memberResults = (frozenHeader.result as Extract<PlannedResult, { kind: 'group' }>).members;
    if (memberResults.length === 0) {
      this.apply(frozenBody.dict, { args: [[]] });
    } else {
      this.groups.push({ groupId, memberIds: memberResults.map((m) => m.id) });
      const {
        group_id: _g,
        group_index: _i,
        root_id: _r,
        parent_id: _p,
        chain: _c,
        ...headerOptions
      } = options;
      const args = dict.immutable ? dict.args : [...(place.args ?? []), ...dict.args];
      this.#applyGroup(frozenHeader.dict, {
        args,
        kwargs: place.kwargs ?? {},
        options: headerOptions,
        ...(rootId ? { rootId } : {}),
        ...(place.parentId ? { parentId: place.parentId } : {}),
      });
    }
    const result = frozenBody.result;
    rootOf(result).parent = {
      kind: 'group',
      id: groupId,
      members: memberResults,
    };
    return result;
  }
}

/**
 * Plans sending a signature dict of any canvas type.
 *
 * @throws {CanvasError} for an empty group or chain, or a malformed canvas.
 * @example
 * const plan = planWorkflow(chain(add.s(1, 2), add.s(3)).toDict(), {}, { newId, replyTo });
 */
export function planWorkflow(dict: SignatureDict, place: ApplyPlace, ids: PlanIds): WorkflowPlan {
  const planner = new Planner(ids);
  const result = planner.apply(dict, place);
  return { groups: planner.groups, calls: planner.calls, result };
}
