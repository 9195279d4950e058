/// <reference lib="dom" />
/** Workers: every worker with a registry record, online or not, its active tasks, heartbeat and processed counts. */
import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { getJson } from './api.js';
import { ErrorBox, useLoad, when } from './components.js';

interface Worker {
  readonly workerId: string;
  readonly hostname: string;
  readonly kind: string;
  readonly pool: string;
  readonly concurrency: number;
  readonly queues: string[];
  readonly active: { id: string; name: string; startedAtMs: number }[];
  readonly processed: Record<string, number>;
  readonly heartbeatAtMs: number;
  readonly online: boolean;
  readonly version: string;
}

/** The Workers page, refreshed every 5 s. */
export function WorkersPage() {
  const { value, error, reload } = useLoad(
    () => getJson<{ registry: boolean; nowMs?: number; workers: Worker[]; message?: string }>('/api/workers'),
    [],
  );
  useEffect(() => {
    const timer = setInterval(reload, 5000);
    return () => clearInterval(timer);
  }, [reload]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!value) return html`<p>Loading…</p>`;
  if (!value.registry) return html`<section><h2>Workers</h2><p class="hint">${value.message}</p></section>`;
  const now = value.nowMs ?? Date.now();
  return html`<section><h2>Workers</h2>
    ${value.workers.length === 0 ? html`<p>No worker has a record: none has run with the registry on in the last day.</p>` : null}
    <table class="workers"><thead><tr><th>worker</th><th>status</th><th>kind</th><th>queues</th><th>active</th>
      <th>heartbeat</th><th>processed</th></tr></thead>
    <tbody>${value.workers.map(
      (w) => html`<tr data-worker=${w.hostname}>
      <td>${w.hostname}<div class="hint">${w.pool} × ${w.concurrency} · v${w.version}</div></td>
      <td class=${w.online ? 'online' : 'offline'}>${w.online ? 'online' : 'offline'}</td>
      <td>${w.kind}</td><td>${w.queues.join(', ')}</td>
      <td>${w.active.length === 0 ? '—' : w.active.map((t) => html`<div><a href=${`#/task/${encodeURIComponent(t.id)}`}>${t.name}</a></div>`)}</td>
      <td title=${when(w.heartbeatAtMs)}>${Math.max(0, Math.round((now - w.heartbeatAtMs) / 1000))} s ago</td>
      <td>${
        Object.entries(w.processed)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ') || '0'
      }</td></tr>`,
    )}
    </tbody></table></section>`;
}
