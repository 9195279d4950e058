/// <reference lib="dom" />
/** Pieces every page uses: an error box that names what is wrong, a state badge, JSON, a loader hook. */
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiFailure } from './api.js';

/** Shows an API failure in the page's words: the missing IAM action, the queue that does not exist. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error instanceof ApiFailure) {
    const { body } = error;
    if (body.kind === 'permission-denied') {
      return html`<div class="error" data-kind="permission-denied">
        <strong>Missing IAM permission: <code>${body.action}</code></strong>
        ${body.resource ? html` on <code>${body.resource}</code>` : null}
        <p>${body.message}</p>
      </div>`;
    }
    if (body.kind === 'queue-not-found') {
      return html`<div class="error" data-kind="queue-not-found">
        <strong>No queue <code>${body.queue}</code></strong>
        <p>${body.message}</p>
      </div>`;
    }
    return html`<div class="error" data-kind=${body.kind}><p>${body.message}</p></div>`;
  }
  return html`<div class="error"><p>${error instanceof Error ? error.message : String(error)}</p></div>`;
}

/** A task state as a coloured badge. */
export function State({ state }: { state: string }) {
  return html`<span class=${`state state-${state.toLowerCase()}`}>${state}</span>`;
}

/** A value as indented JSON. */
export function Json({ value }: { value: unknown }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

/** A time as local text. */
export const when = (ms: number | string | null | undefined): string =>
  ms === null || ms === undefined || ms === '' ? '—' : new Date(ms).toLocaleString();

/** Loads a value on mount (and on `reload()`), with its error. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (loaded) => {
        if (live) {
          setValue(loaded);
          setError(undefined);
        }
      },
      (failed: unknown) => {
        if (live) setError(failed);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { value, error, reload };
}

/** A message after an action, or its error. */
export function Notice({ notice }: { notice: { ok?: string; error?: unknown } | undefined }) {
  if (!notice) return null;
  if (notice.error !== undefined) return html`<${ErrorBox} error=${notice.error} />`;
  return html`<div class="notice" role="status">${notice.ok}</div>`;
}
