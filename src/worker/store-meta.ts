/** Stores a result meta outside a claim (a refusal: NotRegistered, REVOKED on expiry, an invalid message). */
import type { ResultMeta } from '../protocol/result-meta.js';
import { resultTtl } from '../runtime.js';
import { describeError, type MessageScope } from './execution-context.js';

/** Stores `meta` for `taskId`; false (and logged) when the store failed. */
export async function storeMeta(scope: MessageScope, taskId: string, meta: ResultMeta): Promise<boolean> {
  const { results, payloads, settings } = scope.runtime;
  try {
    await results.put(taskId, await payloads.offloadMeta(meta), {
      nowMs: scope.now(),
      ...resultTtl(settings),
    });
    return true;
  } catch (error) {
    scope.log(`could not store ${meta.status} for ${taskId}: ${describeError(error)}`);
    return false;
  }
}
