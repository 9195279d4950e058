/**
 * Saved groups, read once per worker process. A chord's header tasks each need their chord's size (Celery 5.6
 * sends no `chord_size`, so the size is the saved group's length) and their own position in the group (what the
 * chord counter keeps of a counted member); the saved group is as large as the chord and never changes once
 * saved, so a process reads it once rather than once per member, which would make a chord of N members cost N
 * reads of N ids.
 */
import type { ResultStore } from '../ports/result-store.js';

/** A saved group's members, in order, and where each one is. */
export interface SavedGroup {
  readonly members: readonly string[];
  /** The position of `taskId` in the group (its first, should it appear twice), or `undefined` if absent. */
  positionOf(taskId: string): number | undefined;
}

/** How many groups a process remembers (the most recently used). */
const MAX_GROUPS = 64;

const caches = new WeakMap<ResultStore, Map<string, Promise<SavedGroup | undefined>>>();

function savedGroup(members: readonly string[]): SavedGroup {
  let positions: Map<string, number> | undefined;
  return {
    members,
    positionOf(taskId) {
      if (!positions) {
        positions = new Map();
        // Backwards, so that an id given twice keeps its first position.
        for (let i = members.length - 1; i >= 0; i--) positions.set(members[i] as string, i);
      }
      return positions.get(taskId);
    },
  };
}

/** The saved group, or `undefined` when none is saved; read from the store once. */
export async function savedGroupOf(results: ResultStore, groupId: string): Promise<SavedGroup | undefined> {
  let cache = caches.get(results);
  if (!cache) {
    cache = new Map();
    caches.set(results, cache);
  }
  let group = cache.get(groupId);
  if (group) {
    cache.delete(groupId); // re-inserted below: most recently used last
  } else {
    group = results.getGroupMembers(groupId).then((members) => (members ? savedGroup(members) : undefined));
  }
  cache.set(groupId, group);
  for (const oldest of cache.keys()) {
    if (cache.size <= MAX_GROUPS) break;
    cache.delete(oldest);
  }
  try {
    const found = await group;
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
