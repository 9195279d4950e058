/**
 * Comparing a shadow result with the real one: the same end (SUCCESS or FAILURE) and, for SUCCESS, the same value
 * once both are JSON with sorted keys (a Python tuple and a list are equal, as they are on the wire); for FAILURE,
 * the same exception type.
 */
import type { ShadowRecord } from '../ports/route-store.js';
import type { ResultMeta } from '../protocol/result-meta.js';

/** Whether the real result is one a shadow result can be compared with. */
export function comparable(meta: ResultMeta | undefined): meta is ResultMeta {
  return meta?.status === 'SUCCESS' || meta?.status === 'FAILURE';
}

/** The comparison of one task id. */
export interface ShadowComparison {
  readonly taskId: string;
  readonly taskName: string;
  /** `same`, `differs`, or `pending` while the real result is not stored yet. */
  readonly verdict: 'same' | 'differs' | 'pending';
  /** What Python Celery stored: `{ state, value }`, when it stored it. */
  readonly python?: { readonly state: string; readonly value: unknown };
  /** What the shadow run gave. */
  readonly celeriac: { readonly state: string; readonly value: unknown };
}

/** JSON text with object keys sorted, so equal values have equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

function excType(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { exc_type?: unknown }).exc_type : value;
}

/** Compares a shadow result with the real result's meta (undefined when there is none yet). */
export function compareShadow(shadow: ShadowRecord, meta: ResultMeta | undefined): ShadowComparison {
  const celeriac = { state: shadow.state, value: JSON.parse(shadow.valueJson) as unknown };
  const base = { taskId: shadow.taskId, taskName: shadow.taskName, celeriac };
  if (!comparable(meta)) return { ...base, verdict: 'pending' };
  const python = { state: meta.status, value: meta.result };
  let same = python.state === celeriac.state;
  if (same && python.state === 'SUCCESS')
    same = canonicalJson(python.value) === canonicalJson(celeriac.value);
  if (same && python.state === 'FAILURE') same = excType(python.value) === excType(celeriac.value);
  return { ...base, verdict: same ? 'same' : 'differs', python };
}

/** One line about a comparison, for worker logs. */
export function describeComparison(c: ShadowComparison): string {
  const side = (s: { state: string; value: unknown }): string =>
    s.state === 'SUCCESS' ? `returned ${canonicalJson(s.value)}` : `failed with ${canonicalJson(s.value)}`;
  if (c.verdict === 'pending')
    return `shadow ${c.taskName}[${c.taskId}]: celeriac ${side(c.celeriac)}; no real result yet`;
  const python = c.python ? side(c.python) : '';
  return c.verdict === 'same'
    ? `shadow ${c.taskName}[${c.taskId}] matches: both ${side(c.celeriac)}`
    : `shadow ${c.taskName}[${c.taskId}] differs: python ${python}, celeriac ${side(c.celeriac)}`;
}
