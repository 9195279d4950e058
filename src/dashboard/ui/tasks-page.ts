/// <reference lib="dom" />
/** Tasks: search by id, or through the task index by name, state and time window. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getJson } from './api.js';
import { ErrorBox, State, when } from './components.js';

interface Entry {
  readonly taskId: string;
  readonly name: string | null;
  readonly state: string;
  readonly updatedAtMs: number;
}

const STATES = ['', 'PENDING', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'];

/** The Tasks page. */
export function TasksPage({ go }: { go: (hash: string) => void }) {
  const [form, setForm] = useState({ id: '', name: '', state: '', since: '' });
  const [result, setResult] = useState<{ entries: Entry[]; message?: string } | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const set = (key: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [key]: (e.target as HTMLInputElement).value });
  const search = async (e: Event) => {
    e.preventDefault();
    if (form.id.trim()) {
      go(`#/task/${encodeURIComponent(form.id.trim())}`);
      return;
    }
    const query = new URLSearchParams();
    if (form.name) query.set('name', form.name);
    if (form.state) query.set('state', form.state);
    if (form.since) query.set('since', String(Date.now() - Number(form.since) * 60_000));
    try {
      setResult(await getJson(`/api/tasks?${query}`));
      setError(undefined);
    } catch (failed) {
      setError(failed);
    }
  };
  return html`<section>
    <h2>Tasks</h2>
    <form class="search" onSubmit=${search}>
      <input aria-label="task id" placeholder="task id" value=${form.id} onInput=${set('id')} />
      <input aria-label="task name" placeholder="task name" value=${form.name} onInput=${set('name')} />
      <select aria-label="state" value=${form.state} onChange=${set('state')}>
        ${STATES.map((s) => html`<option value=${s}>${s || 'any state'}</option>`)}
      </select>
      <select aria-label="window" value=${form.since} onChange=${set('since')}>
        <option value="">last hour</option><option value="15">last 15 min</option>
        <option value="360">last 6 h</option><option value="1440">last 24 h</option>
      </select>
      <button type="submit">Search</button>
    </form>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${result?.message ? html`<p class="hint">${result.message}</p>` : null}
    ${
      result
        ? html`<table class="tasks"><thead><tr><th>id</th><th>name</th><th>state</th><th>updated</th></tr></thead>
      <tbody>${result.entries.map(
        (entry) => html`<tr data-task=${entry.taskId}>
        <td><a href=${`#/task/${encodeURIComponent(entry.taskId)}`}>${entry.taskId}</a></td>
        <td>${entry.name ?? '—'}</td><td><${State} state=${entry.state} /></td><td>${when(entry.updatedAtMs)}</td></tr>`,
      )}
      </tbody></table>
      <p class="hint">${result.entries.length} task(s)</p>`
        : null
    }
  </section>`;
}
