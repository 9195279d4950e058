/**
 * The chord counter as a worker process counts with it: header tasks of one chord that finish while a count of
 * the chord is in flight wait for it and are counted together in the next write, so a process has at most one
 * write in flight per chord. A chord of 1,000 is then far fewer than 1,000 writes to its one counter item, which
 * a DynamoDB item (about 1,000 writes a second) and an emulator that applies concurrent updates of one item
 * without isolation (moto) both need.
 *
 * Each member gets the count it would have had if the members were counted one by one, in the order of the
 * write's batch, so exactly one member of a chord sees the count reach the chord's size.
 */
import type { ResultStore } from '../ports/result-store.js';

/** A member's view of the counter after it was counted (or found counted before). */
export interface MemberCount {
  /** The chord's count right after this member was counted; the counter's count when it had been before. */
  readonly count: number;
  /** False when the member had been counted before (a repeated delivery). */
  readonly counted: boolean;
}

/** The most members counted in one write (the write's condition names each one). */
const MAX_BATCH = 50;

interface Waiter {
  /** The member's position in the saved group. */
  readonly position: number;
  readonly resolve: (count: MemberCount | undefined) => void;
  readonly reject: (error: unknown) => void;
}

const queues = new WeakMap<ResultStore, Map<string, Waiter[]>>();

/**
 * Counts the member at `position` in the saved group towards the chord `groupId`, coalescing with the members of
 * the same chord that this process counts meanwhile. Resolves `undefined` when the chord has no counter (it
 * completed, or was never saved).
 */
export function countChordMember(
  results: ResultStore,
  groupId: string,
  position: number,
): Promise<MemberCount | undefined> {
  let chords = queues.get(results);
  if (!chords) {
    chords = new Map();
    queues.set(results, chords);
  }
  const waiting = chords.get(groupId);
  return new Promise((resolve, reject) => {
    const waiter = { position, resolve, reject };
    if (waiting) {
      waiting.push(waiter);
      return;
    }
    const queue = [waiter];
    chords.set(groupId, queue);
    void drain(results, chords, groupId, queue);
  });
}

/** Writes the waiting members' counts, a batch at a time, until none waits; then forgets the chord. */
async function drain(
  results: ResultStore,
  chords: Map<string, Waiter[]>,
  groupId: string,
  queue: Waiter[],
): Promise<void> {
  while (queue.length > 0) {
    const batch = queue.splice(0, MAX_BATCH);
    try {
      const after = await results.incrementChordCounter(
        groupId,
        batch.map((w) => w.position),
      );
      if (!after) {
        for (const w of batch) w.resolve(undefined);
        continue;
      }
      const counted = new Map(after.counted.map((position, i) => [position, i]));
      const before = after.count - after.counted.length;
      for (const w of batch) {
        const order = counted.get(w.position);
        // A member given twice in one batch is counted once: its first waiter gets the count, later ones not.
        if (order !== undefined) counted.delete(w.position);
        w.resolve(
          order === undefined
            ? { count: after.count, counted: false }
            : { count: before + order + 1, counted: true },
        );
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
  chords.delete(groupId);
}
