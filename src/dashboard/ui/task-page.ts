/// <reference lib="dom" />
/**
 * One task: its state, arguments, result or traceback, its events' timeline when the dashboard sees events, its
 * workflow drawn as a graph, and the actions: revoke, revoke and terminate, retry with the same arguments.
 * An id with nothing stored shows "No such task".
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getJson, postJson, seg } from './api.js';
import { ErrorBox, Json, Notice, State, useLoad, when } from './components.js';
import { type Graph, WorkflowSvg } from './workflow-svg.js';

interface TaskDetail {
  readonly found: boolean;
  readonly id: string;
  readonly task?: {
    readonly id: string;
    readonly state: string;
    readonly name?: string;
    readonly result: unknown;
    readonly traceback: string | null;
    readonly dateDone: string | null;
    readonly args: unknown[] | null;
    readonly kwargs: Record<string, unknown> | null;
    readonly worker: string | null;
    readonly retries: number | null;
    readonly parentId: string | null;
    readonly groupId: string | null;
  };
  readonly events: ReadonlyArray<{ type: string; timestamp: number; hostname: string }> | null;
  readonly graph?: Graph;
}

function Timeline({ events }: { events: TaskDetail['events'] }) {
  if (events === null) {
    return html`<p class="hint">No events: start the dashboard with --events to follow the workers' EventBridge bus.</p>`;
  }
  if (events.length === 0)
    return html`<p class="hint">No events seen for this task since the dashboard started.</p>`;
  const start = events[0]?.timestamp ?? 0;
  return html`<ol class="timeline">${events.map(
    (event) => html`<li data-event=${event.type}><code>${event.type}</code> ${when(event.timestamp * 1000)}
      <span class="hint">+${(event.timestamp - start).toFixed(3)} s · ${event.hostname}</span></li>`,
  )}</ol>`;
}

/** The task page. */
export function TaskPage({ id, go }: { id: string; go: (hash: string) => void }) {
  const { value, error, reload } = useLoad(() => getJson<TaskDetail>(`/api/tasks/${seg(id)}`), [id]);
  const [notice, setNotice] = useState<{ ok?: string; error?: unknown }>();
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!value) return html`<p>Loading…</p>`;
  const act = async (what: string, body: unknown, done: (r: { id?: string }) => string) => {
    try {
      const r = await postJson<{ id?: string }>(`/api/tasks/${seg(id)}/${what}`, body);
      setNotice({ ok: done(r) });
      reload();
    } catch (failed) {
      setNotice({ error: failed });
    }
  };
  if (!value.found || !value.task) {
    return html`<section class="no-such-task" data-task=${id}><h2>No such task</h2>
      <p>Nothing is stored for <code>${id}</code>: the id is unknown, the task has not started yet, or its result
      expired.</p>
      <p><button onClick=${() => act('revoke', {}, () => `Revoked ${id}`)}>Revoke this id</button>
      <span class="hint"> (a task still queued, or delayed, is then refused by every worker)</span></p>
      <${Notice} notice=${notice} />
      <p><a href="#/tasks">Search tasks</a></p></section>`;
  }
  const task = value.task;
  const failed = task.state === 'FAILURE' || task.state === 'REVOKED';
  return html`<section class="task" data-task=${task.id}>
    <h2>${task.name ?? 'task'} <${State} state=${task.state} /></h2>
    <p><code>${task.id}</code></p>
    <div class="actions">
      <button disabled=${task.state === 'REVOKED'} onClick=${() => act('revoke', {}, () => `Revoked ${id}`)}>Revoke</button>
      <button class="danger" disabled=${task.state === 'REVOKED'}
        onClick=${() => act('revoke', { terminate: true }, () => `Revoked ${id} and asked its worker to stop it`)}>Revoke and terminate</button>
      <button disabled=${!failed} onClick=${() =>
        act('retry', {}, (r) => {
          if (r.id) go(`#/task/${encodeURIComponent(r.id)}`);
          return `Sent again as ${r.id}`;
        })}>Retry with the same arguments</button>
    </div>
    <${Notice} notice=${notice} />
    <dl class="fields">
      <dt>done</dt><dd>${when(task.dateDone)}</dd>
      <dt>worker</dt><dd>${task.worker ?? '—'}</dd>
      <dt>retries</dt><dd>${task.retries ?? '—'}</dd>
      <dt>parent</dt><dd>${task.parentId ? html`<a href=${`#/task/${encodeURIComponent(task.parentId)}`}>${task.parentId}</a>` : '—'}</dd>
      <dt>group</dt><dd>${task.groupId ?? '—'}</dd>
    </dl>
    <h3>Arguments</h3>
    ${task.args === null ? html`<p class="hint">Not stored (the workers' resultExtended is off).</p>` : html`<${Json} value=${{ args: task.args, kwargs: task.kwargs }} />`}
    <h3>${task.state === 'FAILURE' ? 'Exception' : 'Result'}</h3>
    <${Json} value=${task.result} />
    ${task.traceback ? html`<h3>Traceback</h3><pre class="traceback">${task.traceback}</pre>` : null}
    <h3>Timeline</h3>
    <${Timeline} events=${value.events} />
    <h3>Workflow</h3>
    ${value.graph && value.graph.nodes.length > 1 ? html`<${WorkflowSvg} graph=${value.graph} current=${id} />` : html`<p class="hint">Not part of a workflow.</p>`}
  </section>`;
}
