/**
 * The cost model's arithmetic: each host's requests and dollars follow from the counted requests per task and
 * the list prices, and the command line turns its flags and a mix file into the same estimate.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCost, parseCostArgs } from '../../../src/cli/cost-command.js';
import { UsageError } from '../../../src/cli/usage-error.js';
import {
  CELERIAC_REQUESTS,
  estimateCost,
  LIST_PRICES,
  PYTHON_CELERY_REQUESTS,
} from '../../../src/cost/cost-model.js';

const MILLION = 1_000_000;
const byHost = (estimate: ReturnType<typeof estimateCost>, host: string) => {
  const found = estimate.hosts.find((h) => h.host === host);
  if (!found) throw new Error(`no ${host}`);
  return found;
};

describe('estimateCost', () => {
  it('prices a million effectively-once tasks on Lambda from the counted floors and the list prices', () => {
    const estimate = estimateCost([{ name: 'a', tasks: MILLION, durationMs: 100 }]);
    const lambda = byHost(estimate, 'celeriac on Lambda');
    // Single sends: send 1 + receive 0.1 + delete 0.1 SQS requests; claim + result: 2 write units.
    expect(lambda.requests.sqs).toBeCloseTo(MILLION * 1.2);
    expect(lambda.requests.dynamodbWrites).toBe(2 * MILLION);
    expect(lambda.dollars.sqs).toBeCloseTo(1.2 * LIST_PRICES.sqsPerMillionRequests);
    expect(lambda.dollars.dynamodb).toBeCloseTo(2 * LIST_PRICES.dynamodbPerMillionWriteUnits);
    // 100 000 invocations, and 10^6 × 0.1 s × 0.5 GB / 10 at once = 5 000 GB-s.
    expect(lambda.dollars.compute).toBeCloseTo(
      0.1 * LIST_PRICES.lambdaPerMillionInvocations + 5000 * LIST_PRICES.lambdaPerGbSecond,
    );
    expect(lambda.perMillionTasks).toBeCloseTo(lambda.dollars.total);
  });

  it('writes once per task in the at-least-once mode, and per KiB of result', () => {
    const once = estimateCost([{ name: 'a', tasks: 1000, guarantee: 'at-least-once', resultKiB: 2.5 }]);
    expect(byHost(once, 'celeriac on Lambda').requests.dynamodbWrites).toBe(1000 * 1 * 3);
    const effectively = estimateCost([{ name: 'a', tasks: 1000, resultKiB: 2.5 }]);
    expect(byHost(effectively, 'celeriac on Lambda').requests.dynamodbWrites).toBe(1000 * 2 * 3);
  });

  it('batched sends cost a tenth of a request per task; a container receives as the worker was counted', () => {
    const estimate = estimateCost([{ name: 'a', tasks: MILLION }], { batchedSends: true });
    const container = byHost(estimate, 'celeriac on a container');
    expect(container.requests.sqs).toBeCloseTo(
      MILLION * (CELERIAC_REQUESTS.batchedSend + CELERIAC_REQUESTS.workerReceive + CELERIAC_REQUESTS.delete),
    );
    // 10^6 tasks at 500/s is 2 000 s of a 2 vCPU, 4 GB container.
    const hour = 2 * LIST_PRICES.fargatePerVcpuHour + 4 * LIST_PRICES.fargatePerGbHour;
    expect(container.dollars.compute).toBeCloseTo((2000 / 3600) * hour);
  });

  it("prices Python Celery with its recorded calls: one send, delete and read per task, whatever the mix's guarantee", () => {
    const estimate = estimateCost([{ name: 'a', tasks: 1000, guarantee: 'at-least-once' }], {
      batchedSends: true,
    });
    const python = byHost(estimate, 'Python Celery on a container');
    const p = PYTHON_CELERY_REQUESTS;
    expect(python.requests.sqs).toBeCloseTo(1000 * (p.sqsSend + p.sqsReceive + p.sqsDelete));
    expect(python.requests.dynamodbWrites).toBe(1000);
    expect(python.requests.dynamodbReads).toBe(1000);
  });

  it('sums a mix, and refuses negative or non-finite figures naming the field and the task', () => {
    const estimate = estimateCost([
      { name: 'a', tasks: 300 },
      { name: 'b', tasks: 700, guarantee: 'at-least-once' },
    ]);
    expect(estimate.tasks).toBe(1000);
    expect(byHost(estimate, 'celeriac on Lambda').requests.dynamodbWrites).toBe(300 * 2 + 700);
    expect(() => estimateCost([{ name: 'a', tasks: -1 }])).toThrow(
      /tasks of "a" to be a number >= 0, got -1/,
    );
    expect(() => estimateCost([{ name: 'a', tasks: 1 }], { lambdaMemoryMb: 0 })).toThrow(
      /lambdaMemoryMb to be a number > 0, got 0/,
    );
  });
});

describe('celeriac cost', () => {
  it('turns the flags into an estimate and prints a table with the prices used', () => {
    const { estimate, json } = parseCostArgs([
      '--tasks',
      '2000000',
      '--guarantee',
      'at-least-once',
      '--batched-sends',
    ]);
    expect(json).toBe(false);
    expect(estimate).toEqual(
      estimateCost([{ name: 'tasks', tasks: 2_000_000, guarantee: 'at-least-once' }], { batchedSends: true }),
    );
    const text = formatCost(estimate);
    expect(text).toMatch(/^2,000,000 tasks, results stored; batched sends$/m);
    expect(text).toMatch(/^HOST +SQS +DYNAMODB +COMPUTE +TOTAL +PER MILLION$/m);
    expect(
      text.match(/^(celeriac on Lambda|celeriac on a container|Python Celery on a container) +\$/gm),
    ).toHaveLength(3);
    expect(text).toContain(`SQS $${LIST_PRICES.sqsPerMillionRequests}/M requests`);
  });

  it('reads a mix file, and names what is wrong in it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-'));
    const good = path.join(dir, 'mix.json');
    writeFileSync(
      good,
      JSON.stringify([
        { name: 'resize', tasks: 10, durationMs: 250 },
        { name: 'ping', tasks: 5 },
      ]),
    );
    expect(parseCostArgs(['--mix', good, '--json']).estimate).toEqual(
      estimateCost([
        { name: 'resize', tasks: 10, durationMs: 250 },
        { name: 'ping', tasks: 5 },
      ]),
    );
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ name: 'x', tasks: 1, guarantee: 'exactly-once' }]));
    expect(() => parseCostArgs(['--mix', bad])).toThrow(
      /Expected .*bad\.json\[0\]\.guarantee to be effectively-once, at-least-once, bulk, got "exactly-once"/,
    );
    expect(() => parseCostArgs(['--mix', good, '--tasks', '3'])).toThrow(UsageError);
    expect(() => parseCostArgs(['--duration-ms', 'soon'])).toThrow(
      /--duration-ms to be a number >= 0, got "soon"/,
    );
  });
});
