/// <reference lib="dom" />
/**
 * The dashboard's front end: Preact components written with htm (tagged templates, no JSX build step), one
 * page per hash route, bundled with uPlot by esbuild at build time (src/dashboard/assets.ts).
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { CostPage } from './cost-page.js';
import { DlqPage } from './dlq-page.js';
import { PeriodicPage } from './periodic-page.js';
import { QueuesPage } from './queues-page.js';
import { TaskPage } from './task-page.js';
import { TasksPage } from './tasks-page.js';
import { WorkersPage } from './workers-page.js';

const PAGES = [
  ['#/queues', 'Queues'],
  ['#/tasks', 'Tasks'],
  ['#/workers', 'Workers'],
  ['#/periodic', 'Periodic tasks'],
  ['#/dlq', 'Dead-letter queues'],
  ['#/cost', 'Cost'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || '#/queues');
  useEffect(() => {
    const update = () => setHash(window.location.hash || '#/queues');
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash;
}

function App() {
  const hash = useHash();
  const go = (to: string) => {
    window.location.hash = to;
  };
  const task = /^#\/task\/(.+)$/.exec(hash);
  const page = task
    ? html`<${TaskPage} id=${decodeURIComponent(task[1] ?? '')} go=${go} />`
    : hash === '#/tasks'
      ? html`<${TasksPage} go=${go} />`
      : hash === '#/workers'
        ? html`<${WorkersPage} />`
        : hash === '#/periodic'
          ? html`<${PeriodicPage} />`
          : hash === '#/dlq'
            ? html`<${DlqPage} />`
            : hash === '#/cost'
              ? html`<${CostPage} />`
              : html`<${QueuesPage} />`;
  const active = task ? '#/tasks' : hash;
  return html`<header class="top"><h1>celeriac</h1><nav>${PAGES.map(
    ([href, label]) => html`<a href=${href} class=${active === href ? 'active' : ''}>${label}</a>`,
  )}</nav></header><main>${page}</main>`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
