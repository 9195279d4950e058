/**
 * The task index's keys on a result item (see `src/config/task-index.ts`): `idx_state` mirrors `task_state` in
 * every write that sets it, and `idx_name` comes with the claim, so an item is in the index exactly when a
 * celeriac worker with indexing on handled it. Items Python Celery writes, and group and chord records, carry
 * neither and stay out of the index (sparse).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TASK_INDEX } from '../config/task-index.js';
import type { ItemWrite } from './result-item.js';

/** The shard of a task id: a stable hash of its characters, modulo {@link TASK_INDEX.SHARDS}. */
export function indexShard(taskId: string): number {
  let hash = 2_166_136_261;
  for (let i = 0; i < taskId.length; i++) {
    hash ^= taskId.charCodeAt(i);
    hash = Math.imul(hash, 16_777_619) >>> 0;
  }
  return hash % TASK_INDEX.SHARDS;
}

/** An index key: the value and the task's shard. */
export const indexKey = (value: string, taskId: string): string => `${value}#${indexShard(taskId)}`;

function mirrorState(
  attributes: Readonly<Record<string, AttributeValue>> | undefined,
  taskId: string,
): Readonly<Record<string, AttributeValue>> | undefined {
  const state = attributes?.task_state?.S;
  if (!attributes || state === undefined) return attributes;
  return { ...attributes, [TASK_INDEX.STATE_KEY]: { S: indexKey(state, taskId) } };
}

/** The write with the index keys added. */
export function withIndexKeys(write: ItemWrite, taskId: string, taskName?: string): ItemWrite {
  const set = mirrorState(write.set, taskId) ?? {};
  const setIfAbsent = mirrorState(write.setIfAbsent, taskId);
  return {
    ...write,
    set: taskName === undefined ? set : { ...set, [TASK_INDEX.NAME_KEY]: { S: indexKey(taskName, taskId) } },
    ...(setIfAbsent ? { setIfAbsent } : {}),
  };
}
