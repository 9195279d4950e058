/**
 * A second run never overlaps a first: a redelivery of the very same SQS message while it runs is refused, and a
 * worker that cannot keep its message's visibility or its claim alive stops the run before anyone else can take it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BackendError, ClaimLost } from '../../../src/errors.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { InboundMessage, MessageOutcome } from '../../../src/worker/message-outcome.js';
import { runWorker } from '../../../src/worker/run-worker.js';
import { memoryApp } from '../../helpers/memory-app.js';

const quiet = (): void => undefined;

/** Counts how many runs of a task are in flight at once. */
function overlapProbe() {
  let running = 0;
  let most = 0;
  let runs = 0;
  return {
    get most() {
      return most;
    },
    get runs() {
      return runs;
    },
    async run(ms: number, signal?: AbortSignal): Promise<string> {
      runs++;
      running++;
      most = Math.max(most, running);
      try {
        await sleep(ms, undefined, signal ? { signal } : {});
        return 'done';
      } finally {
        running--;
      }
    },
  };
}

describe('a second delivery of the same message (D1)', () => {
  it('is refused as BUSY while the first delivery of that message still runs', async () => {
    const fx = memoryApp();
    const probe = overlapProbe();
    fx.app.task('tasks.slow', () => probe.run(200));
    await fx.app.sendTask('tasks.slow');
    const [first] = await fx.receiveAll();
    if (!first) throw new Error('nothing received');
    // SQS delivers the same message (same message id, same body) again, as after a visibility lapse.
    const again: InboundMessage = { ...first, receiptHandle: `${first.receiptHandle}-2`, receiveCount: 2 };
    const running = executeMessage(first, fx.context({ log: quiet }));
    await sleep(20);
    const second = await executeMessage(again, fx.context({ log: quiet }));
    expect(second).toMatchObject({ action: 'retry-later', state: 'BUSY' });
    expect(await running).toMatchObject({ action: 'delete', state: 'SUCCESS' });
    expect(probe).toMatchObject({ runs: 1, most: 1 });
  });
});

describe('time limits longer than a timer holds (D9)', () => {
  it('runs a task with a 30-day hard limit to its end instead of failing it at once', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.patient', () => sleep(30).then(() => 'done'), {
      timeLimitSeconds: 30 * 86_400,
      softTimeLimitSeconds: 29 * 86_400,
    });
    const result = await fx.app.sendTask('tasks.patient');
    const [message] = await fx.receiveAll();
    if (!message) throw new Error('nothing received');
    expect(await executeMessage(message, fx.context())).toMatchObject({ state: 'SUCCESS' });
    expect(await result.get({ timeoutMs: 100 })).toBe('done');
  });
});

describe('the heartbeat under failures', () => {
  it('keeps the claim alive when ChangeMessageVisibility keeps failing, so the redelivered message is BUSY', async () => {
    const fx = memoryApp();
    const probe = overlapProbe();
    fx.app.task('tasks.slow', function () {
      return probe.run(3500, this.signal);
    });
    const broker = fx.transport.broker;
    broker.changeVisibility = async () => {
      throw BackendError.failed('SQS ChangeMessageVisibilityBatch', 'RequestThrottled: slow down', true);
    };
    const result = await fx.app.sendTask('tasks.slow');
    const outcomes: MessageOutcome[] = [];
    // Visibility 2 s: the message reappears after 2 s while the task runs 3.5 s; both workers poll the queue.
    const workers = [1, 2].map(() =>
      runWorker(fx.app, {
        visibilityTimeoutSeconds: 2,
        waitTimeSeconds: 0,
        log: quiet,
        onOutcome: (o) => outcomes.push(o),
      }),
    );
    expect(await result.get({ timeoutMs: 10_000 })).toBe('done');
    await Promise.all(workers.map((w) => w.stop()));
    expect(probe).toMatchObject({ runs: 1, most: 1 });
    expect(outcomes.some((o) => o.state === 'BUSY')).toBe(true);
  });

  it('stops the run with ClaimLost before its lease ends when the claim cannot be renewed, and another run follows', async () => {
    const fx = memoryApp();
    const probe = overlapProbe();
    const reasons: unknown[] = [];
    fx.app.task('tasks.slow', async function () {
      this.signal.addEventListener('abort', () => reasons.push(this.signal.reason), { once: true });
      return probe.run(reasons.length === 0 ? 6000 : 10, this.signal);
    });
    const results = fx.transport.results;
    const renew = results.renewClaim.bind(results);
    let storeDown = true;
    results.renewClaim = async (request) => {
      if (storeDown)
        throw BackendError.failed('DynamoDB UpdateItem', 'ProvisionedThroughputExceededException', true);
      return renew(request);
    };
    const result = await fx.app.sendTask('tasks.slow');
    const outcomes: MessageOutcome[] = [];
    const worker = runWorker(fx.app, {
      visibilityTimeoutSeconds: 2,
      waitTimeSeconds: 0,
      log: quiet,
      onOutcome: (o) => {
        outcomes.push(o);
        storeDown = false;
      },
    });
    expect(await result.get({ timeoutMs: 15_000 })).toBe('done');
    await worker.stop();
    expect(reasons[0]).toBeInstanceOf(ClaimLost);
    expect(outcomes[0]).toMatchObject({ state: 'HANDED_BACK' });
    expect(probe.most).toBe(1);
    expect(probe.runs).toBe(2);
  });
});

describe('shutdown during a long poll (D10)', () => {
  it('hands back what a poll under way took instead of leaving it invisible', async () => {
    const fx = memoryApp();
    fx.app.task('tasks.quick', () => 'ok');
    await fx.app.sendTask('tasks.quick');
    const broker = fx.transport.broker;
    const receive = broker.receive.bind(broker);
    // Like SQS: the poll takes the message as soon as it answers; an aborted request loses the answer.
    broker.receive = async (url, options) => {
      await sleep(300);
      const messages = await receive(url, { ...options, waitTimeSeconds: 0 });
      if (options.signal?.aborted) throw new DOMException('The operation was aborted', 'AbortError');
      return messages;
    };
    const worker = runWorker(fx.app, { waitTimeSeconds: 20, visibilityTimeoutSeconds: 600, log: quiet });
    await sleep(100);
    await worker.stop();
    const [left] = broker.peek(fx.queueUrl);
    expect(left?.receiveCount).toBe(1);
    expect(left?.visibleAtMs).toBeLessThanOrEqual(Date.now());
  });
});
