/**
 * Chords, as Celery's key-value result backends run them (`celery/backends/base.py`
 * `BaseKeyValueStoreBackend.on_chord_part_return`, the DynamoDB backend's counter since Celery 5.4): when a
 * header task of a chord finishes (succeeded, failed or was revoked), the worker counts the
 * task towards the chord (`chord-counter.ts`), and the worker whose count reaches the chord's size reads the saved
 * group, joins the header results (in group order) and sends the body with them as its first argument, then deletes the group record and the counter. A
 * failed header task, or a group that is gone, marks the body FAILURE with `ChordError` instead. Python and
 * celeriac workers share the same records, so a chord's header may run on either.
 *
 * Every step can be repeated safely, because a worker may crash anywhere and SQS delivers again:
 * - a member is counted once, however often it is counted (the store keeps the counted members' positions in the
 *   saved group; a task that names the chord but is not in its saved group is not counted);
 * - the saved group is read once per process (`saved-group-cache.ts`), and the counter is written once per batch
 *   of members finishing together (`chord-counter.ts`), so a member costs a constant number of requests;
 * - the body has a fixed task id, so a body sent twice runs once (the worker's claim);
 * - a body is marked FAILURE only while nothing is stored for it, so a late repeat never fails a body that was
 *   already sent.
 */
import { planWorkflow } from '../canvas/plan-workflow.js';
import type { Client } from '../client.js';
import type { ExceptionInfo } from '../protocol/exception-info.js';
import { buildResultMeta, pendingResultMeta, type ResultMeta } from '../protocol/result-meta.js';
import type { SignatureDict } from '../protocol/signature.js';
import { READY_STATES, TaskState } from '../protocol/states.js';
import type { TaskMessage } from '../protocol/task-message.js';
import { runBounded } from '../run-bounded.js';
import { type Runtime, resultTtl } from '../runtime.js';
import { countChordMember } from './chord-counter.js';
import { describeError, isTransient } from './execution-context.js';
import { errbackFollowUps } from './follow-ups.js';
import { forgetSavedGroup, savedGroupOf } from './saved-group-cache.js';

/** What the chord step needs: the runtime's stores and a client to send the body. */
export interface ChordDeps {
  readonly runtime: Runtime;
  readonly client: Client;
}

/** How long the last header task waits for its siblings' results to become readable (Celery's join timeout). */
const JOIN_TIMEOUT_MS = 3000;

function chordError(reason: string): ExceptionInfo {
  return { exc_type: 'ChordError', exc_message: [reason], exc_module: 'celery.exceptions' };
}

async function failBody(deps: ChordDeps, body: SignatureDict, reason: string): Promise<string> {
  const bodyId = body.options.task_id;
  if (typeof bodyId !== 'string') return `chord body ${body.task} cannot run: ${reason}`;
  const { results, payloads, clock, settings } = deps.runtime;
  const nowMs = clock.now();
  const meta = buildResultMeta({
    taskId: bodyId,
    status: TaskState.FAILURE,
    result: chordError(reason),
    dateDone: new Date(nowMs),
  });
  const stored = await results.put(bodyId, await payloads.offloadMeta(meta), {
    nowMs,
    onlyIfAbsent: true,
    ...resultTtl(settings),
  });
  if (!stored) return `chord body ${bodyId} already has a result`;
  await sendErrbacks(deps, body, bodyId);
  return `chord body ${bodyId} failed: ${reason}`;
}

/**
 * Celery's `chord_error_from_stack`: the body's errbacks are called with the body's id, as a failed task's
 * are, so a workflow's `linkError` hears of a failed chord.
 */
async function sendErrbacks(deps: ChordDeps, body: SignatureDict, bodyId: string): Promise<void> {
  const raw = body.options.link_error;
  const errbacks = (Array.isArray(raw) ? raw : raw ? [raw] : []) as SignatureDict[];
  // Celery's fake request for the body has no root: the errbacks' root is the body itself.
  const { calls, groups } = errbackFollowUps(errbacks, bodyId, bodyId);
  if (calls.length === 0) return;
  const requests = calls.map((call) => deps.client.request(call));
  for (const group of groups) await deps.client.saveGroup(group.groupId, group.memberIds);
  await deps.client.send(requests);
}

/**
 * Runs Celery's chord step for a header task that has finished (`repeat`: again, for a duplicate delivery). Returns a line for the log when something
 * happened (the body was sent, or failed), else undefined. Throws when the store or the queue fails: the caller
 * then has the message delivered again, and the step is repeated.
 */
export async function onChordPartReturn(
  deps: ChordDeps,
  message: TaskMessage,
  options: { readonly repeat?: boolean } = {},
): Promise<string | undefined> {
  const { headers, embed } = message;
  const body = embed.chord;
  const groupId = headers.group;
  if (!body || !groupId) return undefined;
  const { results, clock } = deps.runtime;
  // No counter, or no saved group: the chord completed (the body was sent, or failed, and the records deleted),
  // or was never saved. A repeated step (a duplicate delivery of a member that already ran) finding it gone is
  // expected; only a first count is an error.
  const gone = (): Promise<string | undefined> | undefined =>
    options.repeat ? undefined : failBody(deps, body, `GroupResult ${groupId} no longer exists`);
  const group = await savedGroupOf(results, groupId);
  if (!group) return gone();
  const position = group.positionOf(headers.id);
  if (position === undefined) {
    // Not one of the header's tasks (the saved group lists them all): counting it would join the chord early.
    return `task ${headers.id} names chord group ${groupId} but is not in its saved group: not counted`;
  }
  const counted = await countChordMember(results, groupId, position);
  if (!counted) return gone();
  const { members } = group;
  // Celery's chord_size, as far as the saved group can count it: a size of 0, a fraction, or more than the header
  // has would join early (and fail on PENDING members) or never, so the header's own count stands instead.
  const declared = body.chord_size;
  const sizeFits =
    Number.isInteger(declared) && (declared as number) >= 1 && (declared as number) <= members.length;
  const size = sizeFits ? (declared as number) : members.length;
  const sizeNote =
    declared === undefined || declared === null || sizeFits
      ? ''
      : ` (its chord_size ${JSON.stringify(declared)} does not fit the ${members.length} header tasks: joined on all ${members.length})`;
  if (counted.count < size) return undefined;
  // One member joins: the one whose count reached the size, or (Python workers count each delivery) the first
  // past it; a duplicate delivery seen while the body is being sent leaves it to that member, whose own repeated
  // delivery (after a crash) joins again.
  if (!(await results.claimChordJoin(groupId, headers.id))) return undefined;
  const deadline = clock.now() + JOIN_TIMEOUT_MS;
  const metas = await readMembers(deps.runtime, members);
  // Only the members not ready yet are read again while the join waits.
  for (let waiting = unready(metas); waiting.length > 0 && clock.now() < deadline; waiting = unready(metas)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await readMembers(
      deps.runtime,
      waiting.map((i) => members[i] as string),
    );
    waiting.forEach((i, j) => {
      metas[i] = again[j] as ResultMeta;
    });
  }
  let line: string;
  const culprit = metas.find((m) => m.status !== TaskState.SUCCESS);
  if (culprit) {
    const info = culprit.result as Partial<ExceptionInfo> | null;
    const raised = info?.exc_type ? `${info.exc_type}(${JSON.stringify(info.exc_message)})` : culprit.status;
    line = await failBody(deps, body, `Dependency ${culprit.task_id} raised ${raised}`);
  } else {
    const values = metas.map((m) => m.result);
    try {
      // The body may be any canvas type (a chain, a group); it is applied as Celery's `callback.delay(results)`.
      const plan = planWorkflow(
        body,
        {
          args: [values],
          parentId: headers.id,
          rootId: headers.root_id ?? headers.id,
          ...(typeof body.options.group_id === 'string' ? {} : { options: { group_id: groupId } }),
        },
        { newId: () => globalThis.crypto.randomUUID(), replyTo: globalThis.crypto.randomUUID() },
      );
      const requests = plan.calls.map((call) => deps.client.request(call));
      for (const group of plan.groups) await deps.client.saveGroup(group.groupId, group.memberIds);
      await deps.client.send(requests);
      const request = { taskId: plan.result.id };
      line = `chord ${groupId} complete: sent ${body.task} (${request.taskId}) with ${values.length} result(s)${sizeNote}`;
    } catch (error) {
      if (isTransient(error)) throw error;
      line = await failBody(deps, body, `Callback error: ${describeError(error)}`);
    }
  }
  await results.deleteChord(groupId);
  forgetSavedGroup(results, groupId);
  return line;
}

/** The positions of the metas not in a ready state. */
function unready(metas: readonly ResultMeta[]): number[] {
  return metas.flatMap((m, i) => (READY_STATES.has(m.status) ? [] : [i]));
}

/** How many offloaded member results (in the payload store) the joining worker fetches at once. */
const PAYLOAD_READS_IN_FLIGHT = 16;

/**
 * Every member's meta, in group order (PENDING where nothing is stored): one `getMany` (10 requests for a chord
 * of 1,000 on DynamoDB), then the offloaded results from the payload store, at most
 * {@link PAYLOAD_READS_IN_FLIGHT} at a time.
 */
async function readMembers(runtime: Runtime, members: readonly string[]): Promise<ResultMeta[]> {
  const stored = await runtime.results.getMany(members);
  const metas: ResultMeta[] = new Array(members.length);
  await runBounded(members.length, PAYLOAD_READS_IN_FLIGHT, async (i) => {
    const meta = stored[i];
    metas[i] = meta ? await runtime.payloads.resolveMeta(meta) : pendingResultMeta(members[i] as string);
  });
  return metas;
}
