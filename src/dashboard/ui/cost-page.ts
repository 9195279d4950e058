/// <reference lib="dom" />
/**
 * Cost: what each task name's tasks of a window cost on each host the cost model prices (that of `celeriac cost`),
 * with the list prices and the assumptions the report says it used.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { CostReport } from '../cost-report.js';
import { getJson } from './api.js';
import { ErrorBox, useLoad } from './components.js';

const usd = (n: number) => (n === 0 ? '$0.00' : `$${n < 0.01 ? n.toFixed(6) : n.toFixed(2)}`);
/** A list price: cents always shown, and every digit there is ($0.40, $0.625, $0.0000133334). */
const price = (n: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 12 })}`;

/** What each list price is for. */
const PRICE_LABELS: Record<keyof CostReport['prices'], (p: string) => string> = {
  sqsPerMillionRequests: (p) => `SQS standard queue: ${p} per million requests`,
  dynamodbPerMillionWriteUnits: (p) => `DynamoDB on-demand: ${p} per million write request units`,
  dynamodbPerMillionReadUnits: (p) => `DynamoDB on-demand: ${p} per million read request units`,
  dynamodbPerWcuHour: (p) => `DynamoDB provisioned: ${p} per write capacity unit-hour`,
  dynamodbPerRcuHour: (p) => `DynamoDB provisioned: ${p} per read capacity unit-hour`,
  lambdaPerMillionInvocations: (p) => `Lambda: ${p} per million invocations`,
  lambdaPerGbSecond: (p) => `Lambda arm64: ${p} per GB-second`,
  fargatePerVcpuHour: (p) => `Fargate arm64: ${p} per vCPU-hour`,
  fargatePerGbHour: (p) => `Fargate arm64: ${p} per GB-hour`,
};

/** What each of the hosts' settings means. */
const ASSUMPTION_LABELS: {
  [K in keyof CostReport['assumptions']]: (v: CostReport['assumptions'][K]) => string;
} = {
  dynamodbBilling: (v) => `the results table's DynamoDB billing: ${v}`,
  provisionedUtilization: (v) =>
    `share of provisioned capacity the load uses (provisioned billing only): ${v}`,
  batchedSends: (v) => `producers send in batches (sendTasks, coalesced delay()): ${v ? 'yes' : 'no'}`,
  lambdaMemoryMb: (v) => `Lambda memory: ${v} MB`,
  lambdaConcurrency: (v) => `tasks one Lambda invocation runs at once: ${v}`,
  containerVcpu: (v) => `container: ${v} vCPU`,
  containerMemoryGb: (v) => `container memory: ${v} GB`,
  celeriacTasksPerSecond: (v) => `tasks per second one busy celeriac container drains: ${v}`,
  pythonTasksPerSecond: (v) => `tasks per second one busy Python Celery container drains: ${v}`,
};

function Assumptions({ report }: { report: CostReport }) {
  const a = report.assumptions;
  const items = (Object.keys(ASSUMPTION_LABELS) as (keyof typeof a)[]).map((key) =>
    // Each label takes its own key's value; TypeScript cannot follow the key through the map.
    (ASSUMPTION_LABELS[key] as (v: unknown) => string)(a[key]),
  );
  return html`<div class="prices"><h3>Prices and assumptions used</h3>
    <p class="hint">AWS list prices, us-east-1, free tiers not subtracted; results stored in DynamoDB;
      requests per task are the counted floors of <code>celeriac cost</code>'s model.</p>
    <ul data-prices>${(Object.keys(PRICE_LABELS) as (keyof typeof report.prices)[]).map(
      (key) => html`<li>${PRICE_LABELS[key](price(report.prices[key]))}</li>`,
    )}</ul>
    <ul data-assumptions>${items.map((text) => html`<li>${text}</li>`)}
      <li>${`a task runs ${report.perTask.durationMs} ms on average and stores a result of up to ${report.perTask.resultKiB} KiB, with the guarantee it was registered with`}</li>
    </ul>
    <p class="hint">Tasks are counted from the task index (a retry is not a second run); a container is priced as
      if kept busy.</p></div>`;
}

/** The Cost page. */
export function CostPage() {
  const [hours, setHours] = useState(24);
  const [batched, setBatched] = useState(false);
  const [billing, setBilling] = useState('on-demand');
  const { value, error } = useLoad(
    () =>
      getJson<CostReport>(
        `/api/cost?hours=${hours}${batched ? '&batched=1' : ''}&billing=${encodeURIComponent(billing)}`,
      ),
    [hours, batched, billing],
  );
  return html`<section><h2>Cost</h2>
    <label>Window <select aria-label="cost window" value=${hours} onChange=${(e: Event) => setHours(Number((e.target as HTMLSelectElement).value))}>
      <option value="1">last hour</option><option value="24">last 24 h</option><option value="168">last 7 days</option>
    </select></label>
    <label><input type="checkbox" aria-label="producers send in batches" checked=${batched}
      onChange=${(e: Event) => setBatched((e.target as HTMLInputElement).checked)} /> producers send in batches</label>
    <label>DynamoDB billing <select aria-label="DynamoDB billing" value=${billing} onChange=${(e: Event) => setBilling((e.target as HTMLSelectElement).value)}>
      <option value="on-demand">on demand</option><option value="provisioned">provisioned</option>
    </select></label>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${
      value
        ? html`<table class="cost"><thead><tr><th>task</th><th>tasks</th>
        ${value.hosts.map((h) => html`<th data-host=${h.host}>${h.host}</th>`)}</tr></thead>
      <tbody>${value.lines.map(
        (l) => html`<tr data-cost=${l.name}><td title=${l.guarantee}>${l.name}</td>
        <td class="num" title=${Object.entries(l.byState)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ')}>${l.capped ? '≥ ' : ''}${l.tasks}</td>
        ${value.hosts.map((h) => html`<td class="num" data-host=${h.host}>${usd(l.dollars[h.host])}</td>`)}</tr>`,
      )}</tbody>
      <tfoot><tr data-total><td>total</td><td class="num">${value.tasks}</td>
        ${value.hosts.map(
          (h) => html`<td class="num" data-host=${h.host}
            title=${`SQS ${usd(h.dollars.sqs)}, DynamoDB ${usd(h.dollars.dynamodb)}, compute ${usd(h.dollars.compute)}`}>${usd(h.dollars.total)}</td>`,
        )}</tr>
        <tr data-per-million><td>per million tasks</td><td></td>
        ${value.hosts.map((h) => html`<td class="num" data-host=${h.host}>${usd(h.perMillionTasks)}</td>`)}</tr></tfoot></table>
      <${Assumptions} report=${value} />`
        : null
    }
  </section>`;
}
