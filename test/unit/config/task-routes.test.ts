import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import {
  type PriorityQueue,
  priorityQueueFor,
  resolveTaskRouting,
  routeFor,
  type TaskRoutes,
} from '../../../src/config/task-routes.js';
import { ImproperlyConfigured, InvalidOptionError } from '../../../src/errors.js';
import { createApp } from '../../../src/index.js';
import { createMemoryTransport } from '../../../src/memory/index.js';
import { decodeTaskMessage } from '../../../src/protocol/task-message.js';
import { toSendRequest, toTaskMessage } from '../../../src/send-request.js';
import { retryCall } from '../../../src/worker/follow-ups.js';

const bands: PriorityQueue[] = [
  { queue: 'high', minPriority: 6 },
  { queue: 'urgent', minPriority: 9 },
];

/** The queue a send of `name` with these options lands on, under these routes and bands. */
function queueOf(
  name: string,
  options: { queue?: string; priority?: number } = {},
  routes?: TaskRoutes,
  taskQueue?: string,
): string {
  const routing = resolveTaskRouting(routes, bands);
  return toSendRequest(
    { name, options },
    {
      queue: 'celery',
      routing,
      origin: 'test',
      nowMs: 0,
      newId: () => 'id-1',
      ...(taskQueue ? { taskOptions: { queue: taskQueue } } : {}),
    },
  ).queue;
}

function settingError(run: () => unknown): ImproperlyConfigured {
  try {
    run();
  } catch (error) {
    if (error instanceof ImproperlyConfigured) return error;
    throw error;
  }
  throw new Error('expected ImproperlyConfigured');
}

describe("taskRoutes with Celery's glob semantics", () => {
  const routing = resolveTaskRouting(
    {
      'tasks.report': 'reports',
      'tasks.*': { queue: 'default' },
      'media.*.resize': { queue: 'images', priority: 7 },
      'a+b.*': 'literal',
    },
    undefined,
  );

  it('looks an exact name up before any glob', () => {
    expect(routeFor(routing, 'tasks.report')).toEqual({ queue: 'reports' });
    expect(routeFor(routing, 'tasks.add')).toEqual({ queue: 'default' });
  });

  it('lets * match one or more characters, never none', () => {
    expect(routeFor(routing, 'tasks.')).toBeUndefined();
    expect(routeFor(routing, 'media.big.resize')).toEqual({ queue: 'images', priority: 7 });
    expect(routeFor(routing, 'media..resize')).toBeUndefined();
  });

  it("anchors a glob at the start of the name only, as Celery's re.match does", () => {
    expect(routeFor(routing, 'my.tasks.add')).toBeUndefined();
    expect(routeFor(routing, 'media.big.resize.v2')).toEqual({ queue: 'images', priority: 7 });
  });

  it('treats every character but * literally', () => {
    expect(routeFor(routing, 'a+b.x')).toEqual({ queue: 'literal' });
    expect(routeFor(routing, 'aab.x')).toBeUndefined();
  });

  it('tries globs in the order they were written', () => {
    const ordered = resolveTaskRouting({ 'x.*': 'first', 'x.y*': 'second' }, undefined);
    expect(routeFor(ordered, 'x.yz')).toEqual({ queue: 'first' });
  });
});

describe('priorityQueues', () => {
  const routing = resolveTaskRouting(undefined, bands);

  it('picks the band with the highest minPriority a priority reaches, none below every band', () => {
    expect(priorityQueueFor(routing, 0)).toBeUndefined();
    expect(priorityQueueFor(routing, 5)).toBeUndefined();
    expect(priorityQueueFor(routing, 6)).toBe('high');
    expect(priorityQueueFor(routing, 8)).toBe('high');
    expect(priorityQueueFor(routing, 9)).toBe('urgent');
    expect(priorityQueueFor(routing, 255)).toBe('urgent');
  });
});

describe('which queue a send goes to', () => {
  it('sends by priority band when nothing names a queue', () => {
    expect(queueOf('tasks.add')).toBe('celery');
    expect(queueOf('tasks.add', { priority: 3 })).toBe('celery');
    expect(queueOf('tasks.add', { priority: 6 })).toBe('high');
    expect(queueOf('tasks.add', { priority: 9 })).toBe('urgent');
  });

  it("lets the call's queue win over the task's queue, routes and bands", () => {
    const routes = { 'tasks.*': 'routed' };
    expect(queueOf('tasks.add', { queue: 'mine', priority: 9 }, routes, 'task-queue')).toBe('mine');
  });

  it("lets the task's registered queue win over routes and bands (Celery's task attribute)", () => {
    expect(queueOf('tasks.add', { priority: 9 }, { 'tasks.*': 'routed' }, 'task-queue')).toBe('task-queue');
  });

  it("lets a route's queue win over the bands", () => {
    expect(queueOf('tasks.add', { priority: 9 }, { 'tasks.*': 'routed' })).toBe('routed');
  });

  it("takes a route's priority as the message's when the call gives none, and bands it", () => {
    const routes: TaskRoutes = { 'tasks.urgent.*': { priority: 9 } };
    const routing = resolveTaskRouting(routes, bands);
    const request = (priority?: number) =>
      toSendRequest(
        { name: 'tasks.urgent.page', options: priority === undefined ? {} : { priority } },
        { queue: 'celery', routing, origin: 'test', nowMs: 0, newId: () => 'id-1' },
      );
    expect(request()).toMatchObject({ queue: 'urgent', priority: 9 });
    expect(request(2)).toMatchObject({ queue: 'celery', priority: 2 });
  });

  it('refuses a priority outside 0-255, naming the option and the accepted form', () => {
    for (const priority of [-1, 256, 1.5, Number.NaN]) {
      expect(() => queueOf('tasks.add', { priority })).toThrow(InvalidOptionError);
    }
    expect(() => queueOf('tasks.add', { priority: 300 })).toThrow(
      'Expected `priority` to be a whole number from 0 to 255 (higher is more urgent), got 300',
    );
  });

  it('keeps the priority in the message properties, where a Python consumer reads it', async () => {
    const transport = createMemoryTransport();
    const highUrl = transport.broker.createQueue('high');
    transport.broker.createQueue('celery');
    const app = createApp({ transport, env: {}, priorityQueues: [{ queue: 'high', minPriority: 6 }] });
    await app.sendTask('tasks.add', [1, 2], {}, { priority: 7 });
    const [received] = await transport.broker.receive(highUrl, {
      maxMessages: 1,
      waitTimeSeconds: 0,
      visibilityTimeoutSeconds: 30,
    });
    if (!received) throw new Error('nothing reached the high queue');
    const message = decodeTaskMessage(received.body);
    expect(message.properties.priority).toBe(7);
    expect(message.properties.delivery_info?.routing_key).toBe('high');
  });
});

describe('retries of a prioritised message', () => {
  it('stay on the queue the message came from and keep its priority, as Celery retries do', () => {
    const routing = resolveTaskRouting(undefined, bands);
    const defaults = { queue: 'celery', routing, origin: 'test', nowMs: 0, newId: () => 'id-1' };
    const message = toTaskMessage(toSendRequest({ name: 'tasks.add', options: { priority: 7 } }, defaults));
    const retry = toSendRequest(
      retryCall(message, { url: 'https://sqs/high', name: 'high' }, new Date(60_000)),
      {
        ...defaults,
        newId: () => 'id-2',
      },
    );
    expect(retry).toMatchObject({ taskId: 'id-1', queue: 'high', priority: 7, queueUrl: 'https://sqs/high' });
  });
});

describe('routing settings that cannot be used', () => {
  it.each([
    [{ 'tasks.*': 42 }, 'taskRoutes', '`taskRoutes["tasks.*"]` is 42'],
    [{ 'tasks.*': '' }, 'taskRoutes', 'is an empty queue name'],
    [{ 'tasks.*': {} }, 'taskRoutes', 'names neither `queue` nor `priority`'],
    [{ 'tasks.*': { queue: 'a', exchange: 'x' } }, 'taskRoutes', 'unknown key(s) `exchange`'],
    [{ 'tasks.*': { priority: 10.5 } }, 'taskRoutes', 'not a whole number from 0 to 255'],
  ])('refuses taskRoutes %j, naming the entry and the accepted form', (routes, setting, problem) => {
    const error = settingError(() => resolveConfig({ env: {}, taskRoutes: routes as unknown as TaskRoutes }));
    expect(error.setting).toBe(setting);
    expect(error.message).toContain(problem);
    expect(error.message).toContain('expected a queue name or { queue?: string, priority?: number }');
  });

  it.each([
    [[{ queue: 'high', minPriority: 0 }], 'priorityQueues[0]'],
    [[{ queue: '', minPriority: 6 }], 'priorityQueues[0]'],
    [[{ queue: 'high' }], 'priorityQueues[0]'],
    [
      [
        { queue: 'high', minPriority: 6 },
        { queue: 'x', minPriority: 256 },
      ],
      'priorityQueues[1]',
    ],
  ])('refuses the band in %j, naming it and the accepted form', (priorityQueues, where) => {
    const error = settingError(() =>
      resolveConfig({ env: {}, priorityQueues: priorityQueues as unknown as PriorityQueue[] }),
    );
    expect(error.setting).toBe('priorityQueues');
    expect(error.message).toContain(where);
    expect(error.message).toContain("[{ queue: 'high', minPriority: 6 }, ...]");
  });

  it('refuses two bands with one minPriority', () => {
    const error = settingError(() =>
      resolveConfig({
        env: {},
        priorityQueues: [
          { queue: 'high', minPriority: 6 },
          { queue: 'higher', minPriority: 6 },
        ],
      }),
    );
    expect(error.message).toContain('gives minPriority 6 to both "high" and "higher"');
  });

  it('refuses priorityQueues that is not an array', () => {
    const error = settingError(() =>
      resolveConfig({ env: {}, priorityQueues: { high: 6 } as unknown as PriorityQueue[] }),
    );
    expect(error.setting).toBe('priorityQueues');
  });
});
