/**
 * The shadow report (`celeriac shadow report`): every shadow result in the route store compared with the task's
 * real result, so a team sees, before switching a task name to celeriac, which task ids came out differently and
 * what each side gave.
 */
import type { ResultStore } from '../ports/result-store.js';
import type { RouteStore } from '../ports/route-store.js';
import { compareShadow, type ShadowComparison } from './compare-shadow.js';

/** What {@link shadowReport} returns. */
export interface ShadowReport {
  /** The task ids whose shadow result differs from the real one, most recent first, with both values. */
  readonly differs: readonly ShadowComparison[];
  readonly same: number;
  /** Shadow results whose task has no real result yet. */
  readonly pending: number;
}

/** Compares the shadow results (of one task name, with `taskName`) with the real results. */
export async function shadowReport(
  stores: { readonly routes: RouteStore; readonly results: ResultStore },
  query: { readonly taskName?: string } = {},
): Promise<ShadowReport> {
  const shadows = await stores.routes.listShadows(
    query.taskName === undefined ? {} : { taskName: query.taskName },
  );
  const comparisons = await Promise.all(
    shadows.map(async (shadow) => compareShadow(shadow, await stores.results.get(shadow.taskId))),
  );
  return {
    differs: comparisons.filter((c) => c.verdict === 'differs'),
    same: comparisons.filter((c) => c.verdict === 'same').length,
    pending: comparisons.filter((c) => c.verdict === 'pending').length,
  };
}
