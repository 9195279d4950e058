/**
 * FIFO order on both hosts: the messages of one message group run one after another, in order, and once one of
 * them is not done (it waits for its ETA, or failed to record), the rest of its group is not run, so it goes back
 * to the queue behind it. Messages without a group are lanes of their own.
 */

/** Splits items into lanes: one per message group, in arrival order, and one per item without a group. */
export function toLanes<T>(items: readonly T[], groupOf: (item: T) => string | undefined): T[][] {
  const lanes: T[][] = [];
  const byGroup = new Map<string, T[]>();
  for (const item of items) {
    const group = groupOf(item);
    if (group === undefined) {
      lanes.push([item]);
      continue;
    }
    let lane = byGroup.get(group);
    if (!lane) {
      lane = [];
      byGroup.set(group, lane);
      lanes.push(lane);
    }
    lane.push(item);
  }
  return lanes;
}

/**
 * Runs a lane in order. `run` says whether the item is done; at the first that is not, the rest of the lane is
 * passed to `skip` and not run.
 */
export async function runLane<T>(
  lane: readonly T[],
  run: (item: T) => Promise<boolean>,
  skip: (rest: readonly T[]) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < lane.length; i++) {
    if (!(await run(lane[i] as T))) {
      const rest = lane.slice(i + 1);
      if (rest.length > 0) await skip(rest);
      return;
    }
  }
}
