import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../../src/errors.js';
import { LIMITS_REFRESH_MS } from '../../../src/flow/flow-control.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { MessageAction, MessageState } from '../../../src/worker/message-outcome.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe('the flow gate in the execution core', () => {
  it('runs what the rate allows and sends the rest back to SQS to wait, without running it', async () => {
    const fixture = memoryApp();
    let runs = 0;
    const task = fixture.app.task('tasks.limited', () => ++runs, { rateLimit: '1/s' });
    for (let i = 0; i < 3; i++) await task.delay();
    const outcomes = [];
    for (const message of await fixture.receiveAll())
      outcomes.push(await executeMessage(message, fixture.context()));
    expect(runs).toBe(1);
    expect(outcomes.map((o) => o.state).sort()).toEqual([
      MessageState.SUCCESS,
      MessageState.THROTTLED,
      MessageState.THROTTLED,
    ]);
    for (const throttled of outcomes.filter((o) => o.state === MessageState.THROTTLED)) {
      expect(throttled.action).toBe(MessageAction.RETRY_LATER);
      expect(throttled.delaySeconds).toBeGreaterThanOrEqual(1);
      expect(throttled.reason).toMatch(/rate limit 1\/s: waiting \d+ s in the queue/);
    }
  });

  it('sends a message that SQS delivered three times again with its delay, so waiting cannot reach the DLQ', async () => {
    const fixture = memoryApp();
    const task = fixture.app.task('tasks.limited', () => 1, { rateLimit: '1/m' });
    await task.delay();
    await task.delay();
    const [first, second] = await fixture.receiveAll();
    if (!first || !second) throw new Error('expected two messages');
    await executeMessage(first, fixture.context());
    const outcome = await executeMessage({ ...second, receiveCount: 3 }, fixture.context());
    expect(outcome).toMatchObject({ action: MessageAction.DELETE, state: MessageState.THROTTLED });
    expect(outcome.reason).toMatch(/sent again/);
    // The copy sent again carries the same task.
    expect(fixture.queued().map((m) => m.headers.id)).toContain(outcome.taskId);
  });

  it('never lets more than keyConcurrency runs of one key run at once, and frees the slot when a run ends', async () => {
    const fixture = memoryApp();
    const release: Array<() => void> = [];
    let running = 0;
    let most = 0;
    const task = fixture.app.task(
      'tasks.per_tenant',
      async (_order: { tenant: string }) => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
      },
      { rateLimitKey: (order: { tenant: string }) => order.tenant, keyConcurrency: 2 },
    );
    for (let i = 0; i < 3; i++) await task.delay({ tenant: 'a' });
    await task.delay({ tenant: 'b' });
    const messages = await fixture.receiveAll();
    const pending = messages.map((m) => executeMessage(m, fixture.context()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(running).toBe(3); // two of tenant a, one of tenant b
    for (const done of release.splice(0)) done();
    const outcomes = await Promise.all(pending);
    expect(outcomes.map((o) => o.state).sort()).toEqual([
      MessageState.SUCCESS,
      MessageState.SUCCESS,
      MessageState.SUCCESS,
      MessageState.THROTTLED,
    ]);
    expect(most).toBe(3);
    // The throttled one runs once a slot is free.
    const again = messages.find((_, i) => outcomes[i]?.state === MessageState.THROTTLED);
    if (!again) throw new Error('expected a throttled message');
    const rerun = executeMessage({ ...again, receiptHandle: `${again.receiptHandle}-2` }, fixture.context());
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const done of release.splice(0)) done();
    expect((await rerun).state).toBe(MessageState.SUCCESS);
    expect(fixture.transport.flow.calls.release).toBe(4);
  });
});

describe('limits changed at run time', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('throttles a task once the limits record gives it a limit, and lets it go again when the record lifts it', async () => {
    let now = 1_800_000_000_000;
    const fixture = memoryApp();
    vi.spyOn(fixture.transport.clock, 'now').mockImplementation(() => now);
    const task = fixture.app.task('tasks.open', () => 1);
    const run = async () => {
      await task.delay();
      const [message] = await fixture.receiveAll();
      if (!message) throw new Error('expected a message');
      return (await executeMessage(message, fixture.context())).state;
    };
    expect(await run()).toBe(MessageState.SUCCESS);
    await fixture.transport.flow.writeLimits(
      JSON.stringify({ version: 1, tasks: { 'tasks.open': { rateLimit: '1/m' } } }),
    );
    now += LIMITS_REFRESH_MS;
    expect(await run()).toBe(MessageState.SUCCESS); // the first token of the new limit
    expect(await run()).toBe(MessageState.THROTTLED);
    await fixture.transport.flow.writeLimits(
      JSON.stringify({ version: 1, tasks: { 'tasks.open': { rateLimit: '0' } } }),
    );
    now += LIMITS_REFRESH_MS;
    expect(await run()).toBe(MessageState.SUCCESS);
  });
});

describe('per-key limits at send time', () => {
  it('refuses a call without its key, naming the task and where the key comes from', async () => {
    const fixture = memoryApp();
    const byHeader = fixture.app.task('tasks.h', () => 1, {
      rateLimitKey: { header: 'tenant' },
      keyRateLimit: '1/s',
    });
    const error = await byHeader.delay().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(
      'tasks.h is limited per key (header "tenant"), but this call has no key: ' +
        'pass headers: { "tenant": ... } (from Python: apply_async(headers={...}))',
    );
    const byFunction = fixture.app.task('tasks.f', (_o: { t?: string }) => 1, {
      rateLimitKey: function tenantOf(o: { t?: string }) {
        return o.t;
      },
      keyConcurrency: 1,
    });
    await expect(byFunction.delay({})).rejects.toThrow(
      /tasks\.f is limited per key \(the key function tenantOf\)/,
    );
    expect(fixture.queued()).toHaveLength(0);
  });

  it('sends the key as the message group of a standard queue (fair queues), unless fairQueues is off', async () => {
    const on = memoryApp();
    await on.app
      .task('tasks.h', () => 1, { rateLimitKey: { header: 'tenant' } })
      .applyAsync([], {}, { headers: { tenant: 'acme' } });
    const [sent] = await on.receiveAll();
    expect(sent?.messageGroupId).toBe('acme');
    const off = memoryApp({ fairQueues: false });
    await off.app
      .task('tasks.h', () => 1, { rateLimitKey: { header: 'tenant' } })
      .applyAsync([], {}, { headers: { tenant: 'acme' } });
    const [plain] = await off.receiveAll();
    expect(plain).toBeDefined();
    expect(plain?.messageGroupId).toBeUndefined();
  });
});
