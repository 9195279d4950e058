import { describe, expect, it, vi } from 'vitest';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { MessageAction, MessageState } from '../../../src/worker/message-outcome.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe("guarantee: 'at-least-once' (one write)", () => {
  it('runs without a claim and stores the outcome with one conditional write', async () => {
    const fixture = memoryApp();
    const add = fixture.app.task('tasks.add', (a: number, b: number) => a + b, {
      guarantee: 'at-least-once',
    });
    const claim = vi.spyOn(fixture.transport.results, 'claim');
    const once = vi.spyOn(fixture.transport.results, 'completeOnce');
    const complete = vi.spyOn(fixture.transport.results, 'complete');
    const result = await add.delay(2, 3);
    const [message] = await fixture.receiveAll();
    if (!message) throw new Error('expected a message');
    const outcome = await executeMessage(message, fixture.context());
    expect(outcome).toMatchObject({ action: MessageAction.DELETE, state: MessageState.SUCCESS });
    expect(claim).not.toHaveBeenCalled();
    expect(complete).not.toHaveBeenCalled();
    expect(once).toHaveBeenCalledTimes(1);
    expect(await result.get({ timeoutMs: 1000 })).toBe(5);
  });

  it('runs a duplicate delivery again, but keeps the first outcome: the second write is refused', async () => {
    const fixture = memoryApp();
    let runs = 0;
    const task = fixture.app.task('tasks.count', () => ++runs, { guarantee: 'at-least-once' });
    const result = await task.delay();
    const [message] = await fixture.receiveAll();
    if (!message) throw new Error('expected a message');
    const lines: string[] = [];
    const context = fixture.context({ log: (line) => lines.push(line) });
    expect((await executeMessage(message, context)).state).toBe(MessageState.SUCCESS);
    expect((await executeMessage({ ...message, receiptHandle: 'second-delivery' }, context)).state).toBe(
      MessageState.SUCCESS,
    );
    expect(runs).toBe(2);
    expect(await result.get({ timeoutMs: 1000 })).toBe(1);
    expect(lines).toContain(
      `${result.id} was already finished (a duplicate delivery ran it again); its SUCCESS is not stored`,
    );
  });

  it('still refuses an expired task, and reports progress without a claim', async () => {
    const fixture = memoryApp();
    const task = fixture.app.task(
      'tasks.progress',
      async function (this) {
        await this.updateState('PROGRESS', { done: 1 });
        return (await fixture.app.asyncResult(this.taskId).info()) as unknown;
      },
      { guarantee: 'at-least-once' },
    );
    const expired = await task.applyAsync([], {}, { expires: new Date(Date.now() - 1000) });
    const running = await task.delay();
    const messages = await fixture.receiveAll();
    const outcomes = await Promise.all(messages.map((m) => executeMessage(m, fixture.context())));
    const byId = new Map(outcomes.map((o) => [o.taskId, o]));
    expect(byId.get(expired.id)?.state).toBe(MessageState.REVOKED);
    expect(byId.get(running.id)?.state).toBe(MessageState.SUCCESS);
    expect(await running.get({ timeoutMs: 1000 })).toEqual({ done: 1 });
  });

  it('refuses an unknown guarantee when the task is registered', () => {
    const fixture = memoryApp();
    expect(() =>
      fixture.app.task('tasks.x', () => 1, { guarantee: 'exactly-once' as 'at-least-once' }),
    ).toThrow("Expected `tasks.x: guarantee` to be 'effectively-once', 'at-least-once' or 'bulk', got");
  });
});
