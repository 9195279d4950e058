/**
 * The member ids of saved groups, read once per worker process. A chord's header tasks each need their chord's
 * size (Celery 5.6 sends no `chord_size`, so the size is the saved group's length); the saved group is as large as
 * the chord and never changes once saved, so a process reads it once rather than once per member, which would
 * make a chord of N members cost N reads of N ids.
 */
import type { ResultStore } from '../ports/result-store.js';

/** How many groups a process remembers (the most recently used). */
const MAX_GROUPS = 64;

const caches = new WeakMap<ResultStore, Map<string, Promise<string[] | undefined>>>();

/** The saved group's member ids, in order, or `undefined` when none is saved; read from the store once. */
export async function savedGroupMembers(
  results: ResultStore,
  groupId: string,
): Promise<readonly string[] | undefined> {
  let cache = caches.get(results);
  if (!cache) {
    cache = new Map();
    caches.set(results, cache);
  }
  let members = cache.get(groupId);
  if (members) {
    cache.delete(groupId); // re-inserted below: most recently used last
  } else {
    members = results.getGroupMembers(groupId);
  }
  cache.set(groupId, members);
  for (const oldest of cache.keys()) {
    if (cache.size <= MAX_GROUPS) break;
    cache.delete(oldest);
  }
  try {
    const found = await members;
    // A group not saved (yet, or any more) is not remembered: the next member asks the store again.
    if (!found) cache.delete(groupId);
    return found;
  } catch (error) {
    cache.delete(groupId);
    throw error;
  }
}

/** Forgets a group (its chord completed and its records were deleted). */
export function forgetSavedGroup(results: ResultStore, groupId: string): void {
  caches.get(results)?.delete(groupId);
}
