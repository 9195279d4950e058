/**
 * Runs `work(0)` … `work(count - 1)`, at most `limit` at once, in index order as slots free up. Rejects with the
 * first failure (the works already started run on).
 */
export async function runBounded(
  count: number,
  limit: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const slot = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await work(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, slot));
}
