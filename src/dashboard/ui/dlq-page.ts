/// <reference lib="dom" />
/**
 * Dead-letter queues: each one with its depth and sources; its messages decoded (the task, why it failed: the
 * receive count and the stored FAILURE) or shown raw with the decode error; redrive one or all, delete one or all.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { type ApiErrorBody, ApiFailure, getJson, postJson, seg } from './api.js';
import { ErrorBox, Json, Notice, State, useLoad, when } from './components.js';

interface Dlq {
  readonly url: string;
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly sources: string[];
  readonly maxReceiveCount: number;
}
interface Letter {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentAt: string | null;
  readonly task?: {
    id: string;
    name: string;
    args: unknown[];
    kwargs: Record<string, unknown>;
    retries: number;
  };
  readonly stored?: { state: string; result: unknown; traceback: string | null };
  readonly raw?: string;
  readonly decodeError?: string;
}

function Messages({ dlq, onChange }: { dlq: Dlq; onChange: () => void }) {
  const { value, error, reload } = useLoad(
    () => getJson<{ messages: Letter[] }>(`/api/dlq/${seg(dlq.name)}/messages`),
    [dlq.name],
  );
  const [notice, setNotice] = useState<{ ok?: string; error?: unknown }>();
  const act = async (what: 'redrive' | 'delete', messageIds: string[] | 'all') => {
    if (
      what === 'delete' &&
      !window.confirm(
        `Delete ${messageIds === 'all' ? 'every message' : 'this message'} of ${dlq.name} for good?`,
      )
    )
      return;
    try {
      const r = await postJson<{ moved?: number; deleted?: string[] }>(`/api/dlq/${seg(dlq.name)}/${what}`, {
        messageIds,
      });
      setNotice({
        ok:
          what === 'redrive'
            ? `Redrove ${r.moved ?? 0} message(s) to their source queue`
            : `Deleted ${r.deleted?.length ?? 0} message(s)`,
      });
      reload();
      onChange();
    } catch (failed) {
      setNotice({ error: failed });
    }
  };
  return html`<div class="dlq-messages">
    <div class="actions">
      <button onClick=${() => act('redrive', 'all')}>Redrive all</button>
      <button class="danger" onClick=${() => act('delete', 'all')}>Delete all</button>
    </div>
    <${Notice} notice=${notice} />
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${value?.messages.length === 0 ? html`<p class="empty">No messages.</p>` : null}
    ${value?.messages.map(
      (m) => html`<article class="letter" data-message=${m.messageId}>
      <header><code>${m.messageId}</code> · received ${m.receiveCount}× · sent ${when(m.sentAt)}
        <button onClick=${() => act('redrive', [m.messageId])}>Redrive</button>
        <button class="danger" onClick=${() => act('delete', [m.messageId])}>Delete</button></header>
      ${
        m.task
          ? html`<p><a href=${`#/task/${encodeURIComponent(m.task.id)}`}>${m.task.name}</a> <code>${m.task.id}</code>
          · retries ${m.task.retries}</p><${Json} value=${{ args: m.task.args, kwargs: m.task.kwargs }} />
          ${
            m.stored
              ? html`<p>Stored: <${State} state=${m.stored.state} /></p><${Json} value=${m.stored.result} />`
              : html`<p class="hint">Nothing stored for the task: it never completed a run (received ${m.receiveCount}× before SQS moved it here).</p>`
          }`
          : html`<p class="decode-error"><strong>Not a Celery message:</strong> ${m.decodeError}</p><pre class="raw">${m.raw}</pre>`
      }
    </article>`,
    )}
  </div>`;
}

/** The Dead-letter queues page. */
export function DlqPage() {
  const { value, error, reload } = useLoad(
    () => getJson<{ deadLetterQueues: Dlq[]; errors: { queue: string; error: ApiErrorBody }[] }>('/api/dlq'),
    [],
  );
  const [open, setOpen] = useState<string | undefined>(undefined);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!value) return html`<p>Loading…</p>`;
  return html`<section><h2>Dead-letter queues</h2>
    ${value.errors.map((e) => html`<${ErrorBox} error=${new ApiFailure(403, e.error)} />`)}
    ${value.deadLetterQueues.length === 0 ? html`<p>None of the app's queues has a dead-letter queue.</p>` : null}
    ${value.deadLetterQueues.map(
      (dlq) => html`<div class="dlq" data-dlq=${dlq.name}>
      <h3><button class="link" onClick=${() => setOpen(open === dlq.name ? undefined : dlq.name)}>${dlq.name}</button>
        <span class="depth">${dlq.visible + dlq.inFlight} message(s)</span></h3>
      <p class="hint">Dead letters of ${dlq.sources.join(', ')} after ${dlq.maxReceiveCount} receive(s).</p>
      ${open === dlq.name ? html`<${Messages} dlq=${dlq} onChange=${reload} />` : null}
    </div>`,
    )}
  </section>`;
}
