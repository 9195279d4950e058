/**
 * The saved-group meta of Celery's result backends (`_save_group`), as `GroupResult.save()` and a chord's
 * producer write it: `{"result": [[group id, parent], [[[member id, parent], null], ...]]}` in kombu JSON.
 */
import { kombuJsonDumps } from '../protocol/type-tags.js';

/** The saved-group meta for a group and its members, in order, as kombu JSON. */
export function encodeGroupMeta(groupId: string, memberIds: readonly string[]): string {
  return kombuJsonDumps({ result: [[groupId, null], memberIds.map((id) => [[id, null], null])] });
}

/** The member ids in a saved-group meta, in order; `undefined` when the meta is not one. */
export function groupMemberIds(meta: unknown): string[] | undefined {
  const result = (meta as { result?: unknown } | null)?.result;
  if (!Array.isArray(result) || !Array.isArray(result[1])) return undefined;
  return (result[1] as unknown[]).flatMap((child) => {
    const id = Array.isArray(child) && Array.isArray(child[0]) ? child[0][0] : undefined;
    return typeof id === 'string' ? [id] : [];
  });
}
