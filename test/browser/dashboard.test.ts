/**
 * The dashboard in a real browser: Chromium (Debian's, scripts/install-chromium.sh) driven by playwright-core
 * against the dashboard server in-process, on tasks really run on the emulator. Every page is visited; a dead
 * letter is redriven and run, another deleted, a queued task revoked, a failed task retried, a queue purged,
 * and each page is checked after each action. Screenshots go to test-results/screenshots/.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateCost, LIST_PRICES } from '../../src/cost/cost-model.js';
import { toApiError } from '../../src/dashboard/api-errors.js';
import { startFixture } from './dashboard-fixture.js';

const SHOTS = 'test-results/screenshots';
let fx: Awaited<ReturnType<typeof startFixture>>;
let page: Page;

const open = async (hash: string) => {
  await page.goto(`${fx.server.url}${hash}`);
};
/** Opens a task's page and waits for that task's content (a hash change keeps the previous page until then). */
const openTask = async (id: string) => {
  await open(`#/task/${encodeURIComponent(id)}`);
  await page.waitForSelector(`section[data-task="${id}"]`);
};
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  fx = await startFixture();
  page = await fx.browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 180_000);

afterAll(async () => {
  await fx?.close();
});

describe('the dashboard in Chromium', () => {
  it('Queues (the home page) shows the queue, its CloudWatch rates, its dead-letter depth and samples while open', async () => {
    // SQS publishes its per-queue metrics to CloudWatch only; the emulator takes them as any other metric data.
    const sqsName = fx.queueUrl.split('/').pop() ?? '';
    const datum = (name: string, value: number) => ({
      MetricName: name,
      Dimensions: [{ Name: 'QueueName', Value: sqsName }],
      Timestamp: new Date(Date.now() - 30_000),
      Value: value,
      Unit: 'Count' as const,
    });
    const cloudwatch = new CloudWatchClient({ endpoint: process.env.AWS_ENDPOINT_URL });
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/SQS',
        MetricData: [datum('NumberOfMessagesSent', 150), datum('NumberOfMessagesDeleted', 100)],
      }),
    );
    cloudwatch.destroy();
    await open('');
    const row = page.locator(`tr[data-queue="celery"]`);
    await expect.poll(() => row.locator('td').nth(7).textContent()).toBe('2');
    expect(await row.locator('td').nth(5).textContent()).toBe('30');
    expect(await row.locator('td').nth(6).textContent()).toBe('20');
    // No age datapoint: "n/a", and the tooltip says why.
    expect(await row.locator('td').nth(4).textContent()).toBe('n/a');
    expect(await row.locator('td').nth(4).getAttribute('title')).toMatch(/ApproximateAgeOfOldestMessage/);
    const queued = await Promise.all([1, 2, 3].map((i) => row.locator('td').nth(i).textContent()));
    expect(queued.map(Number).reduce((a, b) => a + b, 0)).toBe(1); // the delayed task, delayed or visible
    await page.waitForSelector('.chart canvas');
    // Two samples give a rate; a few more draw a line for the screenshot.
    await expect.poll(() => row.locator('td').nth(8).textContent(), { timeout: 15_000 }).toMatch(/\/s$/);
    await page.waitForTimeout(4000);
    await shot('queues');
    // The README's screenshot is refreshed on request only, so a test run leaves the tree as it was.
    if (process.env.UPDATE_DOCS_SCREENSHOT)
      await copyFile(`${SHOTS}/queues.png`, 'docs/images/dashboard.png');
  });

  it('names a queue that does not exist', async () => {
    await open('#/queues');
    await page.fill('input[aria-label="queue name"]', 'no-such-queue-here');
    await page.click('form.inline button');
    const error = page.locator('[data-kind="queue-not-found"]');
    await expect.poll(() => error.textContent()).toContain('no-such-queue-here');
  });

  it('Tasks searches by name and by state, and opens a success with its args, result and timeline', async () => {
    await open('#/tasks');
    await page.fill('input[aria-label="task name"]', fx.names.add);
    await page.click('form.search button');
    await page.waitForSelector(`tr[data-task="${fx.ids.success}"]`);
    await page.selectOption('select[aria-label="state"]', 'FAILURE');
    await page.fill('input[aria-label="task name"]', '');
    await page.click('form.search button');
    await page.waitForSelector(`tr[data-task="${fx.ids.failure}"]`);
    await shot('tasks');
    await page.click(`tr[data-task="${fx.ids.failure}"] a`);
    await page.waitForSelector('section.task');
    expect(await page.locator('section.task h2').textContent()).toContain('FAILURE');
    expect(await page.locator('pre.traceback').textContent()).toContain('boom: on purpose');
    expect(
      await page.locator('li[data-event]').evaluateAll((els) => els.map((e) => e.dataset.event)),
    ).toEqual(['task-sent', 'task-received', 'task-started', 'task-failed']);
    await shot('task-failure');
  });

  it('revokes a queued task: the page shows REVOKED, and the worker refuses it when it comes due', async () => {
    await openTask(fx.ids.delayed);
    await page.click('text=Revoke this id');
    await page.waitForSelector('section.task');
    expect(await page.locator('section.task h2').textContent()).toContain('REVOKED');
    await fx.untilDue();
    await fx.run();
    await page.reload();
    await page.waitForSelector('section.task');
    expect(await page.locator('section.task h2').textContent()).toContain('REVOKED');
    const events = await page.locator('li[data-event]').evaluateAll((els) => els.map((e) => e.dataset.event));
    expect(events).toContain('task-revoked');
    expect(events).not.toContain('task-succeeded');
    await shot('task-revoked');
  });

  it('retries a failed task with the same arguments', async () => {
    await openTask(fx.ids.failure);
    await page.click('text=Retry with the same arguments');
    await page.waitForURL((url) => !url.hash.includes(fx.ids.failure));
    const newId = decodeURIComponent(new URL(page.url()).hash.replace('#/task/', ''));
    expect(newId).not.toBe(fx.ids.failure);
    await fx.run();
    await page.reload();
    await page.waitForSelector('section.task');
    expect(await page.locator('section.task h2').textContent()).toContain('FAILURE');
    expect(JSON.parse((await page.locator('pre.json').first().textContent()) ?? '')).toEqual({
      args: ['on purpose'],
      kwargs: {},
    });
  });

  it('shows a retried task with its retry in the timeline', async () => {
    await openTask(fx.ids.retried);
    expect(await page.locator('section.task h2').textContent()).toContain('SUCCESS');
    const events = await page.locator('li[data-event]').evaluateAll((els) => els.map((e) => e.dataset.event));
    expect(events).toContain('task-retried');
    expect(events.at(-1)).toBe('task-succeeded');
  });

  it('draws a chain and a chord as graphs with each node in its state', async () => {
    await openTask(fx.ids.chainFirst);
    await page.waitForSelector('svg.graph');
    const chainNodes = await page
      .locator('svg.graph g[data-node]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-node'), e.getAttribute('data-state')]));
    expect(chainNodes).toEqual([
      [fx.ids.chainFirst, 'SUCCESS'],
      [fx.ids.chainLast, 'SUCCESS'],
    ]);
    await openTask(fx.ids.chordBody);
    expect(await page.locator('section.task h2').textContent()).toContain('SUCCESS');
    expect(await page.locator('pre.json').nth(1).textContent()).toBe('6');
    await shot('task-chord');
  });

  it('shows "No such task" for an unknown id', async () => {
    await openTask('00000000-0000-4000-8000-000000000000');
    expect(await page.locator('section.no-such-task h2').textContent()).toBe('No such task');
  });

  it('Workers shows the Lambda environment with its heartbeat and processed counts', async () => {
    await open('#/workers');
    const row = page.locator('table.workers tbody tr').first();
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).toBe('online');
    expect(await row.locator('td').nth(2).textContent()).toBe('lambda');
    expect(await row.locator('td').nth(6).textContent()).toMatch(/SUCCESS \d+/);
    await shot('workers');
  });

  it('Periodic tasks shows each schedule, its next firings and its last run', async () => {
    await open('#/periodic');
    const row = page.locator('tr[data-entry="dash-every-5m"]');
    await row.waitFor();
    expect(await row.locator('td').nth(2).textContent()).toContain('every 300 s');
    expect(await row.locator('ol.firings li').count()).toBe(5);
    expect(await row.locator('td').nth(4).textContent()).toContain('unknown');
    await shot('periodic');
  });

  it('Dead-letter queues decodes both dead letters, redrives the task (which then runs) and deletes the other', async () => {
    await open('#/dlq');
    await page.click(`[data-dlq="${fx.queueName}-dlq"] button.link`);
    const letters = page.locator('article.letter');
    await page.waitForSelector('article.letter, .dlq-messages .error, .dlq-messages p.empty');
    expect(await page.locator('.dlq-messages .error').allTextContents()).toEqual([]);
    await expect.poll(() => letters.count(), { timeout: 15_000 }).toBe(2);
    const task = page.locator('article.letter', { hasText: fx.ids.lost });
    expect(await task.textContent()).toContain(fx.names.add);
    const raw = page.locator('article.letter', { hasText: 'Not a Celery message' });
    expect(await raw.locator('pre.raw').textContent()).toBe('not a celery message');
    await shot('dlq');
    await task.locator('button', { hasText: 'Redrive' }).click();
    await expect
      .poll(() => page.locator('[role="status"]').textContent(), { timeout: 15_000 })
      .toContain('Redrove 1');
    // Looking at a dead-letter queue takes two empty one-second receives (SQS has no peek).
    await expect.poll(() => letters.count(), { timeout: 15_000 }).toBe(1);
    await fx.run();
    await openTask(fx.ids.lost);
    expect(await page.locator('section.task h2').textContent()).toContain('SUCCESS');
    await open('#/dlq');
    await page.click(`[data-dlq="${fx.queueName}-dlq"] button.link`);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('article.letter button', { hasText: 'Delete' }).click();
    await page.waitForSelector('.dlq-messages p.empty');
    expect(await letters.count()).toBe(0);
  });

  it('purges a queue only after its name is typed', async () => {
    await fx.app.sendTask(fx.names.add, [1, 1]);
    await open('#/queues');
    const row = page.locator('tr[data-queue="celery"]');
    await row.locator('button', { hasText: 'Purge…' }).click();
    const confirm = row.locator('button', { hasText: 'Confirm purge' });
    expect(await confirm.isDisabled()).toBe(true);
    await row.locator('input').fill('celery');
    await confirm.click();
    await expect
      .poll(() => page.locator('[role="status"]').textContent())
      .toMatch(/Purged celery: \d+ messages/);
  });

  it('Cost prices each task name on the three hosts of the cost model; batched sends and provisioned billing lower the totals', async () => {
    await open('#/cost');
    const line = page.locator(`tr[data-cost="${fx.names.add}"]`);
    await line.waitFor();
    // The add tasks that ran: the success, both chain steps, both chord members, and the redriven dead letter
    // (the revoked one never ran, so its name is not indexed; the purged one never ran).
    expect(Number(await line.locator('td').nth(1).textContent())).toBe(6);
    const hosts = estimateCost([]).hosts.map((h) => h.host);
    expect(await page.locator('table.cost thead th[data-host]').allTextContents()).toEqual(hosts);
    for (const host of hosts) {
      expect(await line.locator(`td[data-host="${host}"]`).textContent()).toMatch(/^\$\d+\.\d+$/);
    }
    const prices = await page.locator('.prices').textContent();
    for (const value of Object.values(LIST_PRICES)) expect(prices).toContain(`$${value}`);
    expect(prices).toMatch(/send in batches[^:]*: no/);
    await shot('cost');

    const total = (host: string) => page.locator(`tr[data-total] td[data-host="${host}"]`).textContent();
    const dollars = async (host: string) => Number((await total(host))?.replace('$', ''));
    const [lambda, python] = [
      await dollars('celeriac on Lambda'),
      await dollars('Python Celery on a container'),
    ];
    expect(lambda).toBeGreaterThan(0);
    await page.getByLabel('producers send in batches').check();
    await expect.poll(() => page.locator('.prices').textContent()).toMatch(/send in batches[^:]*: yes/);
    expect(await dollars('celeriac on Lambda')).toBeLessThan(lambda);
    // Python Celery's producers send one by one whatever celeriac's do.
    expect(await dollars('Python Celery on a container')).toBe(python);

    // Provisioned capacity at the model's 70 % utilization costs less per write than on-demand, on every host.
    const batchedLambda = await dollars('celeriac on Lambda');
    await page.getByLabel('DynamoDB billing').selectOption('provisioned');
    await expect.poll(() => page.locator('.prices').textContent()).toMatch(/DynamoDB billing: provisioned/);
    expect(await dollars('celeriac on Lambda')).toBeLessThan(batchedLambda);
    expect(await dollars('Python Celery on a container')).toBeLessThan(python);
  });

  it('names the missing IAM action when AWS refuses', async () => {
    const denied = toApiError(
      Object.assign(
        new Error(
          'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:123456789012:table/celery/index/celeriac-by-state',
        ),
        { name: 'AccessDeniedException' },
      ),
    );
    await page.route('**/api/workers', (route) =>
      route.fulfill({
        status: denied.status,
        contentType: 'application/json',
        body: JSON.stringify({ error: denied.body }),
      }),
    );
    await open('#/workers');
    const box = page.locator('[data-kind="permission-denied"]');
    await box.waitFor();
    expect(await box.locator('code').first().textContent()).toBe('dynamodb:Query');
    await page.unroute('**/api/workers');
  });
});
