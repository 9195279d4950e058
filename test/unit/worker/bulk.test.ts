import { describe, expect, it, vi } from 'vitest';
import { MemoryResultStore } from '../../../src/memory/memory-result-store.js';
import type { CompleteRequest } from '../../../src/ports/result-store.js';
import { BULK_WRITE_SIZE, BulkResults } from '../../../src/worker/bulk-results.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { MessageAction, MessageState } from '../../../src/worker/message-outcome.js';
import { memoryApp } from '../../helpers/memory-app.js';

const request = (taskId: string): CompleteRequest => ({
  taskId,
  owner: 'ignored',
  attempt: 0,
  meta: undefined,
  state: 'SUCCESS',
  nowMs: 0,
});

describe("guarantee: 'bulk'", () => {
  it('runs without a claim, and the outcomes of runs that end together share one write', async () => {
    const fixture = memoryApp();
    fixture.app.task('tasks.add', (a: number, b: number) => a + b, { guarantee: 'bulk' });
    const claim = vi.spyOn(fixture.transport.results, 'claim');
    const many = vi.spyOn(fixture.transport.results, 'completeMany');
    const results = await fixture.app.sendTasks(
      Array.from({ length: 10 }, (_, i) => ({ name: 'tasks.add', args: [i, 1] })),
    );
    const messages = await fixture.receiveAll();
    const outcomes = await Promise.all(messages.map((m) => executeMessage(m, fixture.context())));
    expect(outcomes.every((o) => o.action === MessageAction.DELETE && o.state === MessageState.SUCCESS)).toBe(
      true,
    );
    expect(claim).not.toHaveBeenCalled();
    expect(many).toHaveBeenCalledTimes(1);
    expect(many.mock.calls[0]?.[0]).toHaveLength(10);
    expect(await Promise.all(results.map((r) => r.get({ timeoutMs: 1000 })))).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it('lets a duplicate delivery replace a finished outcome (the documented cost of this mode)', async () => {
    const fixture = memoryApp();
    let runs = 0;
    const task = fixture.app.task('tasks.count', () => ++runs, { guarantee: 'bulk' });
    const result = await task.delay();
    const [message] = await fixture.receiveAll();
    if (!message) throw new Error('expected a message');
    expect((await executeMessage(message, fixture.context())).state).toBe(MessageState.SUCCESS);
    expect(await result.get({ timeoutMs: 1000 })).toBe(1);
    await executeMessage({ ...message, receiptHandle: 'second-delivery' }, fixture.context());
    expect(runs).toBe(2);
    expect(await fixture.app.asyncResult(result.id).get({ timeoutMs: 1000 })).toBe(2);
  });

  it('keeps a message whose outcome could not be written, so it is delivered again', async () => {
    const fixture = memoryApp();
    const task = fixture.app.task('tasks.one', () => 1, { guarantee: 'bulk' });
    await task.delay();
    const [message] = await fixture.receiveAll();
    if (!message) throw new Error('expected a message');
    vi.spyOn(fixture.transport.results, 'completeMany').mockRejectedValue(new Error('table gone'));
    const outcome = await executeMessage(message, fixture.context({ leaseMs: 200 }));
    expect(outcome.action).not.toBe(MessageAction.DELETE);
  });
});

describe('BulkResults', () => {
  it('writes at once when 25 outcomes wait, and the rest after the window', async () => {
    const store = new MemoryResultStore(() => 0);
    const many = vi.spyOn(store, 'completeMany');
    const writer = new BulkResults(store, 20);
    const ids = Array.from({ length: BULK_WRITE_SIZE + 3 }, (_, i) => `t${i}`);
    const writes = ids.map((id) => writer.complete(request(id)));
    expect(many).toHaveBeenCalledTimes(1); // the first 25, without waiting
    await Promise.all(writes);
    expect(many.mock.calls.map((call) => call[0].length)).toEqual([BULK_WRITE_SIZE, 3]);
  });

  it('gives every caller of a failed write its error', async () => {
    const store = new MemoryResultStore(() => 0);
    vi.spyOn(store, 'completeMany').mockRejectedValue(new Error('throttled'));
    const writer = new BulkResults(store, 1);
    const writes = [writer.complete(request('a')), writer.complete(request('b'))];
    for (const write of writes) await expect(write).rejects.toThrow('throttled');
  });
});
