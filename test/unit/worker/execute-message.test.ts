import { describe, expect, it } from 'vitest';
import { SoftTimeLimitExceeded, TaskError } from '../../../src/errors.js';
import { base64Encode, encodeSqsMessageBody } from '../../../src/protocol/envelope.js';
import { type ExecutionContext, executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage } from '../../../src/worker/message-outcome.js';
import { MAX_CALL_ARGS } from '../../../src/worker/run-task.js';
import { type MemoryAppFixture, memoryApp } from '../../helpers/memory-app.js';

function context(fx: MemoryAppFixture, extra: Partial<ExecutionContext> = {}): ExecutionContext {
  return {
    registry: fx.app.registry,
    runtime: fx.app.runtime,
    identity: fx.identity,
    leaseMs: 60_000,
    queueName: 'celery',
    ...extra,
  };
}

async function receiveOne(fx: MemoryAppFixture): Promise<InboundMessage> {
  const [message] = await fx.receiveAll();
  if (!message) throw new Error('no message on the queue');
  return message;
}

/** A Python client's message for `task` with the JSON `body` (`[args, kwargs, embed]`) and extra headers. */
function pythonMessage(
  fx: MemoryAppFixture,
  task: string,
  id: string,
  body: string,
  headers: Record<string, unknown> = {},
): InboundMessage {
  return {
    messageId: id.slice(0, 80),
    receiptHandle: `${id.slice(0, 80)}#1`,
    body: encodeSqsMessageBody({
      body: base64Encode(body),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { lang: 'py', task, id, root_id: id, ...headers },
      properties: { body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'celery' } },
    }),
    receiveCount: 1,
    queueUrl: fx.queueUrl,
    attributes: {},
  };
}

describe('executeMessage', () => {
  it("runs the task and stores SUCCESS in Celery's shape", async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const result = await add.delay(2, 3);
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({
      action: 'delete',
      state: 'SUCCESS',
      taskId: result.id,
      taskName: 'tasks.add',
    });
    const meta = await result.meta();
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'task_id']);
    expect(meta).toMatchObject({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      task_id: result.id,
    });
    expect(meta.date_done).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
    expect(await result.get({ timeoutMs: 100 })).toBe(5);
  });

  it('calls with up to MAX_CALL_ARGS positional arguments, and fails a longer call with a TypeError that says why', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.count', (...xs: number[]) => xs.length);
    const most = await fx.app.sendTask('tasks.count', new Array<number>(MAX_CALL_ARGS).fill(0));
    expect(await executeMessage(await receiveOne(fx), context(fx))).toMatchObject({ state: 'SUCCESS' });
    expect(await most.get({ timeoutMs: 100 })).toBe(MAX_CALL_ARGS);

    const tooMany = await fx.app.sendTask('tasks.count', new Array<number>(125_000).fill(0));
    expect(await executeMessage(await receiveOne(fx), context(fx))).toMatchObject({ state: 'FAILURE' });
    const meta = await tooMany.meta();
    expect(meta.result).toMatchObject({
      exc_type: 'TypeError',
      exc_message: [
        `tasks.count was sent 125000 positional arguments; a JavaScript function is called with at most ${MAX_CALL_ARGS}: send them as one list argument instead`,
      ],
    });
  });

  it('passes only the positional arguments to the function; kwargs arrive in its context', async () => {
    const fx = memoryApp();
    const seen: unknown[] = [];
    fx.app.task('tasks.echo', function (this, ...args: unknown[]) {
      seen.push({ id: this.taskId, retries: this.retries, queue: this.queue, args, kwargs: this.kwargs });
      return args;
    });
    const result = await fx.app.sendTask('tasks.echo', [1], { flag: true });
    await executeMessage(await receiveOne(fx), context(fx));
    expect(seen).toEqual([{ id: result.id, retries: 0, queue: 'celery', args: [1], kwargs: { flag: true } }]);
  });

  it('stores FAILURE NotRegistered for an unknown task and deletes the message', async () => {
    const fx = memoryApp();
    const result = await fx.app.sendTask('tasks.nobody', [1]);
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'FAILURE' });
    expect(await result.info()).toEqual({
      exc_type: 'NotRegistered',
      exc_message: ['tasks.nobody'],
      exc_module: 'celery.exceptions',
    });
  });

  it('stores REVOKED for an expired task and does not run it', async () => {
    const fx = memoryApp();
    let ran = false;
    fx.app.task('tasks.late', () => {
      ran = true;
    });
    const result = await fx.app.sendTask('tasks.late', [], {}, { expires: new Date(Date.now() - 1000) });
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'REVOKED' });
    expect(ran).toBe(false);
    expect(await result.info()).toEqual({
      exc_type: 'TaskRevokedError',
      exc_message: ['expired'],
      exc_module: 'celery.exceptions',
    });
  });

  it('re-delays a message whose ETA is in the future instead of holding it', async () => {
    const fx = memoryApp();
    let ran = false;
    fx.app.task('tasks.later', () => {
      ran = true;
    });
    // eta only, as a Python producer sends it: no DelaySeconds on the way in.
    const eta = new Date(Date.now() + 120_000);
    const message = fx.message('tasks.later', [], {}, { eta });
    const { encodeTaskMessage } = await import('../../../src/protocol/task-message.js');
    await fx.transport.broker.send(fx.queueUrl, [{ body: encodeTaskMessage(message) }]);
    const inbound = await receiveOne(fx);
    const outcome = await executeMessage(inbound, context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'DELAYED' });
    expect(ran).toBe(false);
    const queued = fx.transport.broker.peek(fx.queueUrl);
    const copy = queued.find((m) => m.body === inbound.body && m.receiveCount === 0);
    expect(copy).toBeDefined();
    expect(copy?.visibleAtMs).toBeGreaterThan(Date.now() + 115_000);
  });

  it('stores STARTED before running when the task tracks it', async () => {
    const fx = memoryApp();
    let during: unknown;
    const probe = fx.app.task(
      'tasks.probe',
      async function (this) {
        during = await fx.app.asyncResult(this.taskId).meta();
        return 'ok';
      },
      { trackStarted: true },
    );
    await probe.delay();
    await executeMessage(await receiveOne(fx), context(fx));
    expect(during).toMatchObject({
      status: 'STARTED',
      result: { pid: process.pid, hostname: fx.identity.hostname },
      date_done: null,
    });
  });

  it('stores nothing visible with ignoreResult, yet does not run a duplicate', async () => {
    const fx = memoryApp();
    let runs = 0;
    const quiet = fx.app.task(
      'tasks.quiet',
      () => {
        runs++;
      },
      { ignoreResult: true },
    );
    const result = await quiet.delay();
    const inbound = await receiveOne(fx);
    await executeMessage(inbound, context(fx));
    expect(await result.state()).toBe('PENDING');
    const again = await executeMessage(
      { ...inbound, messageId: 'redelivered', receiptHandle: 'x#2' },
      context(fx),
    );
    expect(again).toMatchObject({ action: 'delete', state: 'DUPLICATE' });
    expect(runs).toBe(1);
  });

  it('runs a message delivered twice only once', async () => {
    const fx = memoryApp();
    let runs = 0;
    const count = fx.app.task('tasks.count', () => ++runs);
    await count.delay();
    const inbound = await receiveOne(fx);
    const first = await executeMessage(inbound, context(fx));
    const second = await executeMessage(
      { ...inbound, messageId: 'copy', receiptHandle: 'copy#1' },
      context(fx),
    );
    expect(first.state).toBe('SUCCESS');
    expect(second).toMatchObject({ action: 'delete', state: 'DUPLICATE', reason: 'already SUCCESS' });
    expect(runs).toBe(1);
  });

  it('asks for a later delivery when another delivery holds the claim', async () => {
    const fx = memoryApp();
    let release: () => void = () => undefined;
    const slow = fx.app.task('tasks.slow', () => new Promise<void>((resolve) => (release = resolve)));
    await slow.delay();
    const inbound = await receiveOne(fx);
    const running = executeMessage(inbound, context(fx));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const duplicate = await executeMessage(
      { ...inbound, messageId: 'dup', receiptHandle: 'dup#1' },
      context(fx),
    );
    expect(duplicate).toMatchObject({ action: 'retry-later', state: 'BUSY' });
    expect(duplicate.delaySeconds).toBeGreaterThanOrEqual(59);
    release();
    expect((await running).state).toBe('SUCCESS');
  });

  it("stores FAILURE with the exception in Celery's shape when the task throws", async () => {
    const fx = memoryApp();
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
      excArgs = ['card 4242 declined', 402];
    }
    const pay = fx.app.task('tasks.pay', () => {
      throw new PaymentDeclined('card 4242 declined');
    });
    const result = await pay.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'FAILURE' });
    const meta = await result.meta();
    expect(meta.result).toEqual({
      exc_type: 'PaymentDeclined',
      exc_message: ['card 4242 declined', 402],
      exc_module: 'celeriac',
    });
    expect(meta.traceback).toContain('PaymentDeclined');
    const error = await result.get({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ excType: 'PaymentDeclined', excArgs: ['card 4242 declined', 402] });
  });

  it('sends the retry with the same id and retries + 1, and stores RETRY', async () => {
    const fx = memoryApp();
    const flaky = fx.app.task('tasks.flaky', function (this) {
      throw this.retry({ countdown: 5, exc: new RangeError('not yet') });
    });
    const result = await flaky.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'RETRY' });
    const meta = await result.meta();
    expect(meta).toMatchObject({
      status: 'RETRY',
      result: { exc_type: 'RangeError', exc_message: ['not yet'] },
      date_done: null,
    });
    const [retry] = fx.queued().filter((m) => m.headers.retries === 1);
    expect(retry?.headers).toMatchObject({
      id: result.id,
      task: 'tasks.flaky',
      retries: 1,
      parent_id: result.id,
      root_id: result.id,
    });
    const eta = Date.parse(retry?.headers.eta ?? '');
    expect(eta - Date.now()).toBeGreaterThan(3000);
    expect(eta - Date.now()).toBeLessThanOrEqual(5000);
  });

  it("retries when this.retry() is called without throw, as Celery's self.retry() raises by itself", async () => {
    const fx = memoryApp();
    let after = false;
    const flaky = fx.app.task('tasks.flaky', function (this) {
      this.retry({ countdown: 5 });
      after = true;
      return 'done';
    });
    const result = await flaky.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome).toMatchObject({ action: 'delete', state: 'RETRY' });
    expect(after).toBe(false);
    expect((await result.meta()).status).toBe('RETRY');
    expect(
      fx
        .queued()
        .filter((m) => m.headers.retries === 1)
        .map((m) => m.headers.id),
    ).toEqual([result.id]);
  });

  it('fails with the retry reason once maxRetries is reached', async () => {
    const fx = memoryApp();
    const flaky = fx.app.task(
      'tasks.flaky',
      function (this) {
        throw this.retry({ countdown: 0, exc: new RangeError('still not') });
      },
      { maxRetries: 1 },
    );
    const result = await flaky.delay();
    expect((await executeMessage(await receiveOne(fx), context(fx))).state).toBe('RETRY');
    const [retry] = await fx.receiveAll();
    expect(retry).toBeDefined();
    const final = await executeMessage(retry as InboundMessage, context(fx));
    expect(final).toMatchObject({ action: 'delete', state: 'FAILURE' });
    expect(await result.info()).toMatchObject({ exc_type: 'RangeError', exc_message: ['still not'] });
  });

  it('retries automatically for autoretryFor errors', async () => {
    const fx = memoryApp();
    class Flaky extends Error {}
    const task = fx.app.task(
      'tasks.auto',
      () => {
        throw new Flaky('x');
      },
      { autoretryFor: [Flaky], retryBackoff: 2, retryJitter: false },
    );
    await task.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome.state).toBe('RETRY');
    const [retry] = fx.queued().filter((m) => m.headers.retries === 1);
    expect(Date.parse(retry?.headers.eta ?? '') - Date.now()).toBeGreaterThan(1000);
  });

  it('aborts the task signal at the soft time limit', async () => {
    const fx = memoryApp();
    const patient = fx.app.task(
      'tasks.patient',
      function (this) {
        return new Promise((_, reject) =>
          this.signal.addEventListener('abort', () => reject(this.signal.reason)),
        );
      },
      { softTimeLimitSeconds: 0.05 },
    );
    const result = await patient.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome.state).toBe('FAILURE');
    expect(await result.info()).toMatchObject({
      exc_type: 'SoftTimeLimitExceeded',
      exc_module: 'billiard.exceptions',
    });
    expect(SoftTimeLimitExceeded.after(1).name).toBe('SoftTimeLimitExceeded');
  });

  it('stores TimeLimitExceeded when the hard limit passes', async () => {
    const fx = memoryApp();
    const stuck = fx.app.task('tasks.stuck', () => new Promise(() => undefined), { timeLimitSeconds: 0.05 });
    const result = await stuck.delay();
    const outcome = await executeMessage(await receiveOne(fx), context(fx));
    expect(outcome.state).toBe('FAILURE');
    expect(await result.info()).toEqual({
      exc_type: 'TimeLimitExceeded',
      exc_message: ['Time limit (0.05 s) exceeded'],
      exc_module: 'billiard.exceptions',
    });
  });

  it('stores custom states from updateState', async () => {
    const fx = memoryApp();
    let seen: unknown;
    fx.app.task('tasks.progress', async function (this) {
      await this.updateState('PROGRESS', { done: 1, total: 2 });
      seen = await fx.app.asyncResult(this.taskId).meta();
      return 'ok';
    });
    await fx.app.sendTask('tasks.progress');
    await executeMessage(await receiveOne(fx), context(fx));
    expect(seen).toMatchObject({ status: 'PROGRESS', result: { done: 1, total: 2 } });
  });

  it('sends link callbacks and the next chain step with the result', async () => {
    const fx = memoryApp();
    const add = fx.app.task('tasks.add', (a: number, b: number) => a + b);
    const chainStep = { ...add.s(4), options: { task_id: 'step-3' } };
    const result = await add.applyAsync([1, 2], {}, { link: add.s(10) });
    const message = fx.message('tasks.add', [1, 2], {}, { chain: [chainStep], taskId: 'step-1' });
    const { encodeTaskMessage } = await import('../../../src/protocol/task-message.js');
    await fx.transport.broker.send(fx.queueUrl, [{ body: encodeTaskMessage(message) }]);
    for (const inbound of await fx.receiveAll()) await executeMessage(inbound, context(fx));
    const followUps = fx.queued();
    const callback = followUps.find((m) => m.headers.parent_id === result.id);
    expect(callback?.args).toEqual([3, 10]);
    const next = followUps.find((m) => m.headers.id === 'step-3');
    expect(next?.args).toEqual([3, 4]);
    expect(next?.headers).toMatchObject({ parent_id: 'step-1', root_id: 'step-1' });
    expect(next?.embed.chain).toEqual([]);
    expect((await fx.app.asyncResult('step-1').meta()).children).toEqual([[['step-3', null], null]]);
  });

  it('rejects an undecodable message without touching anything else', async () => {
    const fx = memoryApp();
    const outcome = await executeMessage(
      {
        messageId: 'bad',
        receiptHandle: 'bad#1',
        body: 'not a message',
        receiveCount: 1,
        queueUrl: fx.queueUrl,
        attributes: {},
      },
      context(fx),
    );
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID' });
    expect(outcome.reason).toMatch(/DecodeError.*dead-letter queue/);
  });

  it('stores FAILURE for a refused content type when the message names its task id', async () => {
    const fx = memoryApp();
    const body = base64Encode(
      JSON.stringify({
        body: 'gASVAAAAAAAAAAA=',
        'content-encoding': 'binary',
        'content-type': 'application/x-python-serialize',
        headers: { task: 'tasks.add', id: 'pickled-1' },
        properties: { body_encoding: 'base64' },
      }),
    );
    const outcome = await executeMessage(
      { messageId: 'p', receiptHandle: 'p#1', body, receiveCount: 1, queueUrl: fx.queueUrl, attributes: {} },
      context(fx),
    );
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID', taskId: 'pickled-1' });
    expect(await fx.app.asyncResult('pickled-1').info()).toMatchObject({
      exc_type: 'ContentDisallowed',
      exc_module: 'kombu.exceptions',
    });
  });
});

describe('a message whose task id cannot be a key', () => {
  it('is rejected without running or storing anything under that id', async () => {
    const fx = memoryApp();
    let ran = false;
    fx.app.task('tasks.add', () => {
      ran = true;
    });
    const writes: unknown[] = [];
    const put = fx.transport.results.put.bind(fx.transport.results);
    fx.transport.results.put = (...args: Parameters<typeof put>) => {
      writes.push(args);
      return put(...args);
    };
    const outcome = await executeMessage(
      pythonMessage(fx, 'tasks.add', 'L'.repeat(3000), '[[], {}, null]'),
      context(fx),
    );
    expect(ran).toBe(false);
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID' });
    expect(outcome.taskId).toBeUndefined();
    expect(outcome.reason).toMatch(
      /^InvalidTaskError: Header `id` must be printable ASCII of 1-200 characters/,
    );
    expect(outcome.reason).toContain('dead-letter queue');
    expect(writes).toEqual([]);
  });
});

describe('a message with a malformed signature nested in its follow-ups', () => {
  it('is rejected before the task runs, naming where the bad signature sits', async () => {
    const fx = memoryApp();
    let ran = false;
    fx.app.task('tasks.add', (a: number, b: number) => {
      ran = true;
      return a + b;
    });
    const callback = { task: 'tasks.add', args: [10], kwargs: {}, options: { link: [null] } };
    const body = JSON.stringify([[1, 2], {}, { callbacks: [callback] }]);
    const outcome = await executeMessage(pythonMessage(fx, 'tasks.add', 'nested-1', body), context(fx));
    expect(ran).toBe(false);
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID', taskId: 'nested-1' });
    expect(outcome.reason).toContain('`callbacks[0].options.link[0]` is not a signature (it has no `task`)');
    expect(outcome.reason).toContain('dead-letter queue');
    expect(fx.queued()).toHaveLength(0);
  });
});

describe('follow-ups in the shapes Celery also reads', () => {
  /** Runs one tasks.add message with `embed`, returning what it sent on and whether the task ran. */
  async function runWith(embed: Record<string, unknown>, id: string) {
    const fx = memoryApp();
    let runs = 0;
    fx.app.task('tasks.add', (a: number, b: number) => {
      runs++;
      return a + b;
    });
    const outcome = await executeMessage(
      pythonMessage(fx, 'tasks.add', id, JSON.stringify([[1, 2], {}, embed])),
      context(fx),
    );
    return { outcome, runs, sent: fx.queued() };
  }

  it('carries a single link and link_error of a chain callback on, as lists of one', async () => {
    const chainCallback = {
      task: 'celery.chain',
      subtask_type: 'chain',
      kwargs: { tasks: [{ task: 'tasks.add', args: [1] }] },
      options: { link: { task: 'tasks.add', args: [5] }, link_error: { task: 'tasks.add', args: [7] } },
    };
    const { outcome, runs, sent } = await runWith({ callbacks: [chainCallback] }, 'single-link');
    expect(runs).toBe(1);
    expect(outcome).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.args).toEqual([3, 1]);
    expect(sent[0]?.embed.callbacks?.map((c) => [c.task, c.args])).toEqual([['tasks.add', [5]]]);
    expect(sent[0]?.embed.errbacks?.map((c) => [c.task, c.args])).toEqual([['tasks.add', [7]]]);
  });

  it('starts a chord callback whose body has null options', async () => {
    const chord = {
      task: 'celery.chord',
      subtask_type: 'chord',
      kwargs: {
        header: [{ task: 'tasks.add', args: [1] }],
        body: { task: 'tasks.add', args: [10], options: null },
      },
    };
    const { outcome, sent } = await runWith({ callbacks: [chord] }, 'null-options');
    expect(outcome).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(sent.map((m) => [m.headers.task, m.args, m.embed.chord?.task, m.embed.chord?.args])).toEqual([
      ['tasks.add', [3, 1], 'tasks.add', [10]],
    ]);
  });

  it.each([
    [
      'a chain member whose args is a number',
      {
        callbacks: [
          {
            task: 'celery.chain',
            subtask_type: 'chain',
            kwargs: { tasks: [{ task: 'tasks.add', args: 5 }] },
          },
        ],
      },
      '`callbacks[0].kwargs.tasks[0].args` is 5, not a list of arguments',
    ],
    [
      'a group member whose args is a string',
      {
        chain: [
          {
            task: 'celery.group',
            subtask_type: 'group',
            kwargs: { tasks: [{ task: 'tasks.add', args: 'ab' }] },
          },
        ],
      },
      '`chain[0].kwargs.tasks[0].args` is "ab", not a list of arguments',
    ],
  ])('rejects %s before the task runs', async (_what, embed, reason) => {
    const { outcome, runs, sent } = await runWith(embed, 'bad-args');
    expect(runs).toBe(0);
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID', taskId: 'bad-args' });
    expect(outcome.reason).toContain(reason);
    expect(outcome.reason).toContain('dead-letter queue');
    expect(sent).toHaveLength(0);
  });
});

describe('delays on FIFO queues', () => {
  it('sends at once and keeps the message invisible in its group until the ETA', async () => {
    const fx = memoryApp({ queueUrls: {} });
    const fifoUrl = fx.transport.broker.createQueue('jobs.fifo');
    let ran = false;
    fx.app.task('tasks.ordered', () => {
      ran = true;
    });
    await fx.app.sendTask('tasks.ordered', [], {}, { queue: 'jobs.fifo', countdown: 120 });
    const [message] = await fx.transport.broker.receive(fifoUrl, { maxMessages: 1, waitTimeSeconds: 0 });
    expect(message).toBeDefined();
    const outcome = await executeMessage(
      { ...(message as NonNullable<typeof message>), queueUrl: fifoUrl },
      context(fx, { queueName: 'jobs.fifo' }),
    );
    expect(outcome).toMatchObject({ action: 'retry-later', state: 'DELAYED' });
    expect(outcome.delaySeconds).toBeGreaterThanOrEqual(119);
    expect(ran).toBe(false);
  });
});

describe('a message whose timelimit header holds 0', () => {
  /** A Python client's message for `name` with the header `timelimit` as given. */
  function withTimelimit(fx: MemoryAppFixture, name: string, timelimit: unknown): InboundMessage {
    const id = `${name}-${JSON.stringify(timelimit)}`;
    return pythonMessage(fx, name, id, '[[], {}, null]', { timelimit });
  }

  /** Sleeps `ms`, or rejects with the signal's reason when the run is aborted (a soft time limit). */
  function sleeper(ms: number) {
    return function (this: { signal: AbortSignal }): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve('finished'), ms);
        this.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(this.signal.reason);
        });
      });
    };
  }

  it.each([[[0, 0]], [[0, null]]])(
    'keeps the task’s hard limit for timelimit %j, as Celery reads 0',
    async (timelimit) => {
      const fx = memoryApp();
      fx.app.task('tasks.slow', sleeper(2000), { timeLimitSeconds: 0.05 });
      const message = withTimelimit(fx, 'tasks.slow', timelimit);
      const outcome = await executeMessage(message, context(fx));
      expect(outcome).toMatchObject({
        state: 'FAILURE',
        reason: 'TimeLimitExceeded: Time limit (0.05 s) exceeded',
      });
      expect(await fx.app.asyncResult(outcome.taskId ?? '').info()).toEqual({
        exc_type: 'TimeLimitExceeded',
        exc_message: ['Time limit (0.05 s) exceeded'],
        exc_module: 'billiard.exceptions',
      });
    },
  );

  it.each([[[0, 0]], [[null, 0]]])('keeps the task’s soft limit for timelimit %j', async (timelimit) => {
    const fx = memoryApp();
    fx.app.task('tasks.slow', sleeper(2000), { softTimeLimitSeconds: 0.05 });
    const outcome = await executeMessage(withTimelimit(fx, 'tasks.slow', timelimit), context(fx));
    expect(outcome.state).toBe('FAILURE');
    expect(await fx.app.asyncResult(outcome.taskId ?? '').info()).toMatchObject({
      exc_type: 'SoftTimeLimitExceeded',
      exc_module: 'billiard.exceptions',
    });
  });

  it('runs a task with no limits of its own to the end, as a Celery worker without task_time_limit', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.slow', sleeper(100));
    const outcome = await executeMessage(withTimelimit(fx, 'tasks.slow', [0, 0]), context(fx));
    expect(outcome.state).toBe('SUCCESS');
    expect(await fx.app.asyncResult(outcome.taskId ?? '').get()).toBe('finished');
  });

  it('still lets a limit above 0 in the message win over the task’s', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.slow', sleeper(2000), { timeLimitSeconds: 30 });
    const outcome = await executeMessage(withTimelimit(fx, 'tasks.slow', [0.05, 0]), context(fx));
    expect(outcome).toMatchObject({
      state: 'FAILURE',
      reason: 'TimeLimitExceeded: Time limit (0.05 s) exceeded',
    });
  });

  it('leaves what a send puts in timelimit as it was', () => {
    const fx = memoryApp();
    fx.app.task('tasks.limited', () => 1, { timeLimitSeconds: 0.2, softTimeLimitSeconds: 0.1 });
    fx.app.task('tasks.free', () => 1);
    expect(fx.message('tasks.limited', [], {}).headers.timelimit).toEqual([0.2, 0.1]);
    expect(fx.message('tasks.free', [], {}).headers.timelimit).toEqual([null, null]);
    expect(fx.message('tasks.free', [], {}, { timeLimitSeconds: 5 }).headers.timelimit).toEqual([5, null]);
    expect(() => fx.request('tasks.free', [], {}, { timeLimitSeconds: 0 })).toThrow(
      'Expected `timeLimitSeconds` to be a finite number of seconds > 0, got 0',
    );
  });
});
