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
import { type ApplyPlace, type PlannedResult, planWorkflow } from './plan-workflow.js';

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
 *   sent then: every message is validated before the first is sent).
 */
export async function applyWorkflow(
  client: Client,
  dict: SignatureDict,
  place: ApplyPlace,
  replyTo: string = globalThis.crypto.randomUUID(),
): Promise<AsyncResult | GroupResult> {
  const plan = planWorkflow(dict, place, { newId: () => globalThis.crypto.randomUUID(), replyTo });
  const requests = plan.calls.map((call) => client.request(call));
  for (const group of plan.groups) await client.saveGroup(group.groupId, group.memberIds);
  await client.send(requests);
  return resultHandle(client, plan.result);
}
