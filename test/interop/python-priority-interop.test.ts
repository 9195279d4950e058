/**
 * Priorities with real Python Celery senders: Celery's SQS transport ignores `priority`, so a Python
 * `apply_async(priority=9)` stays on the queue Celery routes it to, its priority kept in the message properties;
 * with the router function docs/flow-control.md gives, Python places messages on the same queues as a celeriac
 * app's `priorityQueues`.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/index.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { uniqueName } from '../emulator/unique-name.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const priorityQueues = [{ queue: 'high', minPriority: 6 }];

/** Every message on the queue, decoded: task id → [priority, routing key]. */
async function drain(queueUrl: string): Promise<Record<string, [number | undefined, string | undefined]>> {
  const found: Record<string, [number | undefined, string | undefined]> = {};
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return found;
    for (const m of Messages) {
      const message = decodeTaskMessage(m.Body ?? '');
      found[message.headers.id] = [
        message.properties.priority,
        message.properties.delivery_info?.routing_key,
      ];
    }
  }
}

async function queues(prefix: string) {
  const high = await createQueueWithDeadLetter(sqs, `${prefix}high`);
  const celery = await createQueueWithDeadLetter(sqs, `${prefix}celery`);
  return { high: high.queueUrl, celery: celery.queueUrl };
}

describe('Python Celery senders and priority queues', () => {
  it('leaves a Python apply_async(priority=9) on the queue Celery routes it to, its priority in the properties', async () => {
    const prefix = `${uniqueName('pyprio')}-`;
    const urls = await queues(prefix);
    const ids = await runPython<string[]>(
      `
import json
from celeriac_fixtures.app import app
rs = [app.send_task("prio.t", priority=9), app.send_task("prio.t", priority=2), app.send_task("prio.t")]
print(json.dumps([r.id for r in rs]))
`,
      { queuePrefix: prefix },
    );
    const [urgent, low, none] = ids;
    expect(await drain(urls.high)).toEqual({});
    expect(await drain(urls.celery)).toEqual({
      [String(urgent)]: [9, 'celery'],
      [String(low)]: [2, 'celery'],
      [String(none)]: [0, 'celery'],
    });
  });

  it("places messages as celeriac's priorityQueues do when Python uses the documented router", async () => {
    const prefix = `${uniqueName('pyroute')}-`;
    const urls = await queues(prefix);
    const [urgent, low] = await runPython<string[]>(
      `
import json
from celeriac_fixtures.app import app

def by_priority(name, args, kwargs, options, task=None, **kw):
    if (options.get('priority') or 0) >= 6:
        return {'queue': 'high'}
    return None

app.conf.task_routes = (by_priority,)
rs = [app.send_task("prio.t", priority=9), app.send_task("prio.t", priority=2)]
print(json.dumps([r.id for r in rs]))
`,
      { queuePrefix: prefix },
    );
    // The same two sends from celeriac, with the matching setting.
    const ts = createApp({
      env: { AWS_ENDPOINT_URL: endpoint },
      queueUrls: { high: urls.high, celery: urls.celery },
      priorityQueues,
    });
    const [tsUrgent, tsLow] = await ts.sendTasks([
      { name: 'prio.t', options: { priority: 9 } },
      { name: 'prio.t', options: { priority: 2 } },
    ]);
    expect(await drain(urls.high)).toEqual({
      [String(urgent)]: [9, 'high'],
      [String(tsUrgent?.id)]: [9, 'high'],
    });
    expect(await drain(urls.celery)).toEqual({
      [String(low)]: [2, 'celery'],
      [String(tsLow?.id)]: [2, 'celery'],
    });
  });
});
