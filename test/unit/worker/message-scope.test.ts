import { describe, expect, it } from 'vitest';
import { MessageScope } from '../../../src/worker/execution-context.js';
import { memoryApp } from '../../helpers/memory-app.js';

describe('MessageScope', () => {
  it('reuses one client for every message of the same registry and runtime, and gives another app its own', async () => {
    const first = memoryApp({ queueUrls: { celery: 'memory://celery' } });
    const second = memoryApp({ queueUrls: { celery: 'memory://celery' } });
    await first.app.sendTask('tasks.add', [1, 2]);
    await first.app.sendTask('tasks.add', [3, 4]);
    const [a, b] = await first.receiveAll();
    if (!a || !b) throw new Error('expected two messages');
    const scopeA = new MessageScope(first.context(), a);
    const scopeB = new MessageScope(first.context(), b);
    expect(scopeA.client).toBe(scopeB.client);
    expect(scopeA.owner).not.toBe(scopeB.owner);
    expect(new MessageScope(second.context(), a).client).not.toBe(scopeA.client);
  });
});
