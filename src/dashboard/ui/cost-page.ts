/// <reference lib="dom" />
/** Cost: requests and dollars per task name over a window, with the prices and the per-task request counts used. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getJson } from './api.js';
import { ErrorBox, useLoad } from './components.js';

interface Report {
  readonly prices: { sqsRequest: number; dynamodbWrite: number; lambdaInvocation: number };
  readonly requestsPerTask: { sqs: number; dynamodbWrites: number; lambdaInvocations: number };
  readonly lines: {
    name: string;
    tasks: number;
    byState: Record<string, number>;
    requests: { sqs: number; dynamodbWrites: number; lambdaInvocations: number };
    dollars: number;
  }[];
  readonly totalDollars: number;
}

const usd = (n: number) => `$${n < 0.01 ? n.toFixed(6) : n.toFixed(2)}`;
/** A list price: cents always shown, a tenth of a cent when there is one ($0.40, $0.625). */
const price = (n: number) => `$${Number.isInteger(n * 100) ? n.toFixed(2) : n.toFixed(3)}`;

/** The Cost page. */
export function CostPage() {
  const [hours, setHours] = useState(24);
  const { value, error } = useLoad(() => getJson<Report>(`/api/cost?hours=${hours}`), [hours]);
  return html`<section><h2>Cost</h2>
    <label>Window <select aria-label="cost window" value=${hours} onChange=${(e: Event) => setHours(Number((e.target as HTMLSelectElement).value))}>
      <option value="1">last hour</option><option value="24">last 24 h</option><option value="168">last 7 days</option>
    </select></label>
    ${error ? html`<${ErrorBox} error=${error} />` : null}
    ${
      value
        ? html`<table class="cost"><thead><tr><th>task</th><th>tasks</th><th>SQS requests</th>
        <th>DynamoDB writes</th><th>Lambda invocations</th><th>dollars</th></tr></thead>
      <tbody>${value.lines.map(
        (l) => html`<tr data-cost=${l.name}><td>${l.name}</td>
        <td class="num" title=${Object.entries(l.byState)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ')}>${l.tasks}</td>
        <td class="num">${l.requests.sqs.toFixed(1)}</td><td class="num">${l.requests.dynamodbWrites.toFixed(1)}</td>
        <td class="num">${l.requests.lambdaInvocations.toFixed(1)}</td><td class="num">${usd(l.dollars)}</td></tr>`,
      )}</tbody>
      <tfoot><tr><td>total</td><td colspan="4"></td><td class="num">${usd(value.totalDollars)}</td></tr></tfoot></table>
      <div class="prices"><h3>Prices used</h3><ul>
        <li>SQS: ${price(value.prices.sqsRequest)} per million requests (standard queue)</li>
        <li>DynamoDB on-demand: ${price(value.prices.dynamodbWrite)} per million write request units</li>
        <li>Lambda: ${price(value.prices.lambdaInvocation)} per million invocations (duration not included)</li></ul>
        <p class="hint">${`AWS list prices, us-east-1, free tiers not subtracted. Requests per task, as counted on the emulator: SQS ${value.requestsPerTask.sqs}, DynamoDB writes ${value.requestsPerTask.dynamodbWrites}, Lambda invocations ${value.requestsPerTask.lambdaInvocations} (batches of ten). Tasks are counted from the task index; a retry is not counted as a second run.`}</p></div>`
        : null
    }
  </section>`;
}
