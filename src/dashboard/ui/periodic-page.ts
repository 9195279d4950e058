/// <reference lib="dom" />
/** Periodic tasks: each schedule of the app, its next firings and its last run. */
import { html } from 'htm/preact';
import { getJson } from './api.js';
import { ErrorBox, State, useLoad, when } from './components.js';

interface Entry {
  readonly name: string;
  readonly task: string;
  readonly schedule: string;
  readonly timezone: string;
  readonly enabled: boolean;
  readonly next: string[];
  readonly lastRun: { scheduledAt: string; taskId: string; state: string } | null;
}

/** The Periodic tasks page. */
export function PeriodicPage() {
  const { value, error } = useLoad(() => getJson<{ entries: Entry[] }>('/api/periodic'), []);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!value) return html`<p>Loading…</p>`;
  return html`<section><h2>Periodic tasks</h2>
    ${value.entries.length === 0 ? html`<p>This app registers no periodic task (app.periodic).</p>` : null}
    <table class="periodic"><thead><tr><th>entry</th><th>task</th><th>schedule</th><th>next firings</th><th>last run</th></tr></thead>
    <tbody>${value.entries.map(
      (e) => html`<tr data-entry=${e.name}>
      <td>${e.name}${e.enabled ? null : html` <span class="hint">(disabled)</span>`}</td><td>${e.task}</td>
      <td>${e.schedule}<div class="hint">${e.timezone}</div></td>
      <td><ol class="firings">${e.next.map((at) => html`<li>${when(at)}</li>`)}</ol></td>
      <td>${
        e.lastRun === null
          ? 'never (no slot in the last two days)'
          : e.lastRun.state === 'unknown'
            ? html`unknown <div class="hint">${when(e.lastRun.scheduledAt)}: nothing stored for ${e.lastRun.taskId}</div>`
            : html`<a href=${`#/task/${encodeURIComponent(e.lastRun.taskId)}`}><${State} state=${e.lastRun.state} /></a>
          <div class="hint">${when(e.lastRun.scheduledAt)}</div>`
      }</td></tr>`,
    )}
    </tbody></table></section>`;
}
