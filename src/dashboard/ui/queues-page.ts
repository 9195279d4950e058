/// <reference lib="dom" />
/**
 * Queues: each known queue's visible, in-flight and delayed messages, its dead-letter queue's depth, what
 * CloudWatch adds (the oldest message's age, messages sent and processed per minute), and the depth's recent rate
 * of change, sampled every 2 s while the page is open and drawn with uPlot. Purge asks for the
 * queue's name to be typed before it sends anything.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { type ApiErrorBody, ApiFailure, getJson, postJson, seg } from './api.js';
import { ErrorBox, Notice } from './components.js';

interface Depth {
  readonly url: string;
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}
interface QueueRow {
  readonly queue: string;
  readonly status?: Depth & {
    readonly oldestAgeSeconds: number | null;
    readonly sentPerMinute: number | null;
    readonly deletedPerMinute: number | null;
    readonly metricsNote?: string;
    readonly deadLetter?: Depth;
  };
  readonly error?: ApiErrorBody;
}
interface Sample {
  readonly at: number;
  readonly totals: Readonly<Record<string, number>>;
}

const SAMPLE_MS = 2000;
const KEEP = 90;

function Chart({ samples, queues }: { samples: readonly Sample[]; queues: readonly string[] }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || samples.length === 0) return;
    const data = [
      samples.map((s) => s.at / 1000),
      ...queues.map((q) => samples.map((s) => s.totals[q] ?? 0)),
    ];
    const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 180,
        // The window sampled so far, up to the last KEEP samples: a single sample does not stretch the axis.
        scales: { x: { time: true, range: (_u, _min, max) => [max - (KEEP * SAMPLE_MS) / 1000, max] } },
        series: [{}, ...queues.map((q, i) => ({ label: q, stroke: palette[i % palette.length] ?? '#000' }))],
        axes: [{}, { label: 'messages' }],
      },
      data as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [samples, queues]);
  return html`<div class="chart" ref=${ref}></div>`;
}

function Purge({
  queue,
  onDone,
}: {
  queue: string;
  onDone: (notice: { ok?: string; error?: unknown }) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState('');
  if (!asking) return html`<button class="danger" onClick=${() => setAsking(true)}>Purge…</button>`;
  const confirm = async () => {
    try {
      const { purged } = await postJson<{ purged: { purged: number }[] }>(`/api/queues/${seg(queue)}/purge`, {
        confirm: typed,
      });
      onDone({ ok: `Purged ${queue}: ${purged[0]?.purged ?? 0} messages deleted` });
    } catch (error) {
      onDone({ error });
    }
    setAsking(false);
  };
  return html`<span class="confirm">
    <label>Type <code>${queue}</code> to purge every message:
      <input aria-label=${`confirm purge ${queue}`} value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} /></label>
    <button class="danger" disabled=${typed !== queue} onClick=${confirm}>Confirm purge</button>
    <button onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

/** The Queues page. */
export function QueuesPage() {
  const [rows, setRows] = useState<readonly QueueRow[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [samples, setSamples] = useState<readonly Sample[]>([]);
  const [notice, setNotice] = useState<{ ok?: string; error?: unknown }>();
  const [extra, setExtra] = useState('');
  const [asked, setAsked] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    const sample = async () => {
      try {
        const query = asked ? `?queue=${seg(asked)}` : '';
        const { sampledAtMs, queues } = await getJson<{ sampledAtMs: number; queues: QueueRow[] }>(
          `/api/queues${query}`,
        );
        if (!live) return;
        setRows(queues);
        setError(undefined);
        const totals: Record<string, number> = {};
        for (const row of queues) {
          if (row.status) totals[row.queue] = row.status.visible + row.status.inFlight + row.status.delayed;
        }
        setSamples((old) => [...old, { at: sampledAtMs, totals }].slice(-KEEP));
      } catch (failed) {
        if (live) setError(failed);
      }
    };
    void sample();
    const timer = setInterval(sample, SAMPLE_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [asked]);
  const rate = (queue: string): string => {
    const recent = samples.filter((s) => s.totals[queue] !== undefined).slice(-6);
    const first = recent[0];
    const last = recent.at(-1);
    if (!first || !last || last.at === first.at) return '—';
    const perSecond =
      (((last.totals[queue] ?? 0) - (first.totals[queue] ?? 0)) * 1000) / (last.at - first.at);
    return `${perSecond >= 0 ? '+' : ''}${perSecond.toFixed(2)}/s`;
  };
  const names = (rows ?? []).filter((r) => r.status).map((r) => r.queue);
  return html`<section>
    <h2>Queues</h2>
    <form class="inline" onSubmit=${(e: Event) => {
      e.preventDefault();
      setSamples([]);
      setAsked(extra.trim() || undefined);
    }}>
      <input placeholder="another queue (name or URL)" aria-label="queue name" value=${extra}
        onInput=${(e: Event) => setExtra((e.target as HTMLInputElement).value)} />
      <button type="submit">Show</button>
    </form>
    <${Notice} notice=${notice} />
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${
      rows === undefined
        ? html`<p>Loading…</p>`
        : html`<table class="queues">
      <thead><tr><th>queue</th><th>visible</th><th>in flight</th><th>delayed</th><th>oldest message</th>
        <th>sent/min</th><th>processed/min</th><th>DLQ depth</th><th>depth change</th><th></th></tr></thead>
      <tbody>${rows.map((row) =>
        row.error
          ? html`<tr data-queue=${row.queue}><td>${row.queue}</td><td colspan="9"><${ErrorBox} error=${new ApiFailure(404, row.error)} /></td></tr>`
          : html`<tr data-queue=${row.queue}>
            <td title=${row.status?.url}>${row.queue}</td>
            <td class="num">${row.status?.visible}</td><td class="num">${row.status?.inFlight}</td>
            <td class="num">${row.status?.delayed}</td>
            <td title=${row.status?.metricsNote ?? 'CloudWatch ApproximateAgeOfOldestMessage (SQS reports it only there)'}>${row.status?.oldestAgeSeconds == null ? 'n/a' : `${row.status.oldestAgeSeconds} s`}</td>
            <td class="num" title=${row.status?.metricsNote ?? 'CloudWatch NumberOfMessagesSent, last 5 minutes'}>${row.status?.sentPerMinute ?? 'n/a'}</td>
            <td class="num" title=${row.status?.metricsNote ?? 'CloudWatch NumberOfMessagesDeleted, last 5 minutes'}>${row.status?.deletedPerMinute ?? 'n/a'}</td>
            <td class="num">${row.status?.deadLetter ? row.status.deadLetter.visible + row.status.deadLetter.inFlight : '—'}</td>
            <td>${rate(row.queue)}</td>
            <td><${Purge} queue=${row.queue} onDone=${setNotice} /></td></tr>`,
      )}</tbody></table>`
    }
    <${Chart} samples=${samples} queues=${names} />
    <p class="hint">Sampled every ${SAMPLE_MS / 1000} s while this page is open; depths are SQS's approximate counts.</p>
  </section>`;
}
