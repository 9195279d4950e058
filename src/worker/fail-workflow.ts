/**
 * What Celery's `mark_as_failure(..., request=...)` does for a task that fails without running (its name is
 * not registered here): the later steps of its chain are marked FAILURE, its errbacks are called with its id,
 * and, as a chord member, it counts towards its chord (whose body then fails with ChordError). So a workflow
 * with a step no worker knows fails as Celery's does, and nothing is left waiting.
 */
import type { ResultMeta } from '../protocol/result-meta.js';
import type { TaskMessage } from '../protocol/task-message.js';
import { resultTtl } from '../runtime.js';
import { onChordPartReturn } from './chord.js';
import type { MessageScope } from './execution-context.js';
import { failureFollowUps, pendingChainIds } from './follow-ups.js';

/**
 * Fails the workflow around a task that failed before it ran, with `failure` as its stored meta. Returns the
 * error when a step could not be done (the caller has the message delivered again; every step is repeatable).
 */
export async function failWorkflowOf(
  scope: MessageScope,
  message: TaskMessage,
  failure: ResultMeta,
): Promise<Error | undefined> {
  try {
    const { results, payloads, clock, settings } = scope.runtime;
    for (const chainId of pendingChainIds(message)) {
      const meta = await payloads.offloadMeta({ ...failure, task_id: chainId });
      await results.put(chainId, meta, { nowMs: clock.now(), ...resultTtl(settings) });
    }
    const followUps = failureFollowUps(message);
    const requests = followUps.calls.map((call) => scope.client.request(call));
    for (const group of followUps.groups) await scope.client.saveGroup(group.groupId, group.memberIds);
    if (requests.length > 0) await scope.client.send(requests);
    const line = await onChordPartReturn(scope, message);
    if (line) scope.log(line);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return undefined;
}
