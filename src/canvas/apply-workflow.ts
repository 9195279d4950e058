/**
 * Sending a workflow: plan it (`plan-workflow.ts`), validate every message through the client's one send
 * conversion, save the chord groups (Celery's producer saves a chord's group before sending its header), send,
 * and hand back the result: a chain's last task with `.parent` walking back, a group's `GroupResult`, a
 * chord's body with the header group as its parent.
 */
import type { Client } from '../client.js';
import type { GroupResult } from '../group-result.js';
import type { SignatureDict } from '../protocol/signature.js';
import type { AsyncResult, ResultHandle } from '../result.js';
import type { SendCall } from '../send-request.js';
import { type ApplyPlace, type PlannedResult, planWorkflow } from './plan-workflow.js';
import { plainSignature, signatureCall } from './signature-options.js';

/** The ids a dry run of a nested signature's send gets: never sent, so any will do. */
const DRY_RUN_IDS = { newId: () => globalThis.crypto.randomUUID(), replyTo: 'dry-run' };

/**
 * Runs the send conversion on every signature a message carries for later (the rest of a chain, link callbacks
 * and errbacks, a chord's body, and theirs in turn), throwing what it would throw when the worker sends it:
 * a bad option on the third step of a chain is then refused before the first runs, not after.
 */
export function checkCarried(client: Client, call: SendCall): void {
  const carried: SignatureDict[] = [];
  const options = call.options ?? {};
  const workflow = call.workflow ?? {};
  const some = (value: unknown): void => {
    if (Array.isArray(value)) carried.push(...(value as SignatureDict[]));
    else if (value) carried.push(value as SignatureDict);
  };
  some(workflow.chain);
  some(workflow.chord);
  some(options.link);
  some(options.linkError);
  for (const item of carried) {
    // A canvas object (`task.s()`) as a link turns itself into a dict, as the send conversion turns it.
    const dict = plainSignature(item);
    const calls = dict.subtask_type ? planWorkflow(dict, {}, DRY_RUN_IDS).calls : [signatureCall(dict)];
    for (const nested of calls) {
      client.request(nested);
      checkCarried(client, nested);
    }
  }
}

/** The handle of a planned result, parents attached. */
export function resultHandle(client: Client, planned: PlannedResult): AsyncResult | GroupResult {
  const handle: AsyncResult | GroupResult =
    planned.kind === 'group'
      ? client.groupResult(
          planned.id,
          // A member that is itself a group (a chain ending in one) answers like a task: state, get, forget.
          planned.members.map((member) => resultHandle(client, member) as AsyncResult),
        )
      : client.asyncResult(planned.id);
  if (planned.parent) handle.parent = resultHandle(client, planned.parent) as ResultHandle;
  return handle;
}

/**
 * Sends a signature dict of any canvas type with `client` and returns its result handle.
 *
 * @throws {CanvasError} for an empty group or chain; {@link InvalidOptionError} for a bad option (nothing is
 *   sent then: every message, and every signature one carries for later, is validated before the first is
 *   sent).
 */
export async function applyWorkflow(
  client: Client,
  dict: SignatureDict,
  place: ApplyPlace,
  replyTo: string = globalThis.crypto.randomUUID(),
): Promise<AsyncResult | GroupResult> {
  const plan = planWorkflow(dict, place, { newId: () => globalThis.crypto.randomUUID(), replyTo });
  const requests = plan.calls.map((call) => client.request(call));
  for (const call of plan.calls) checkCarried(client, call);
  for (const group of plan.groups) await client.saveGroup(group.groupId, group.memberIds);
  await client.send(requests);
  return resultHandle(client, plan.result);
}
