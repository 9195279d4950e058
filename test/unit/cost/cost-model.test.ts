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
  dynamodbUnitPrices,
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

  it('prices provisioned capacity per unit-hour: a million writes take 1e6 / 3600 unit-hours at the utilization', () => {
    // One unit serves one request per second: 277.8 unit-hours per million requests, 396.8 at 70 % busy.
    const unitHours = MILLION / 3600 / 0.7;
    const prices = dynamodbUnitPrices('provisioned', 0.7);
    expect(prices.perMillionWrites).toBeCloseTo(unitHours * LIST_PRICES.dynamodbPerWcuHour, 10);
    expect(prices.perMillionReads).toBeCloseTo(unitHours * LIST_PRICES.dynamodbPerRcuHour, 10);
    expect(dynamodbUnitPrices('on-demand', 0.7)).toEqual({
      perMillionWrites: LIST_PRICES.dynamodbPerMillionWriteUnits,
      perMillionReads: LIST_PRICES.dynamodbPerMillionReadUnits,
    });

    const estimate = estimateCost([{ name: 'a', tasks: MILLION }], {
      batchedSends: true,
      dynamodbBilling: 'provisioned',
    });
    const lambda = byHost(estimate, 'celeriac on Lambda');
    expect(lambda.requests.dynamodbWrites).toBe(2 * MILLION);
    expect(lambda.dollars.dynamodb).toBeCloseTo(2 * prices.perMillionWrites, 10);
    // Python Celery's table is priced the same way: one write and one strongly consistent read per task.
    const python = byHost(estimate, 'Python Celery on a container');
    expect(python.dollars.dynamodb).toBeCloseTo(prices.perMillionWrites + prices.perMillionReads, 10);
    const half = estimateCost([{ name: 'a', tasks: MILLION }], {
      dynamodbBilling: 'provisioned',
      provisionedUtilization: 0.35,
    });
    expect(byHost(half, 'celeriac on Lambda').dollars.dynamodb).toBeCloseTo(2 * lambda.dollars.dynamodb, 10);
  });

  it('refuses a utilization above 1 or at 0, and an unknown billing', () => {
    const one = [{ name: 'a', tasks: 1 }];
    expect(() => estimateCost(one, { dynamodbBilling: 'provisioned', provisionedUtilization: 1.5 })).toThrow(
      /provisionedUtilization to be a share of the capacity, at most 1, got 1\.5/,
    );
    expect(() => estimateCost(one, { dynamodbBilling: 'provisioned', provisionedUtilization: 0 })).toThrow(
      /provisionedUtilization to be a number > 0, got 0/,
    );
    expect(() => estimateCost(one, { dynamodbBilling: 'reserved' as 'provisioned' })).toThrow(
      /dynamodbBilling to be on-demand or provisioned, got "reserved"/,
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

  it('prices provisioned capacity with --billing provisioned and --utilization, and says so in the prices line', () => {
    const { estimate } = parseCostArgs([
      '--batched-sends',
      '--billing',
      'provisioned',
      '--utilization',
      '0.5',
    ]);
    expect(estimate).toEqual(
      estimateCost([{ name: 'tasks', tasks: MILLION }], {
        batchedSends: true,
        dynamodbBilling: 'provisioned',
        provisionedUtilization: 0.5,
      }),
    );
    const text = formatCost(estimate);
    expect(text).toContain(
      `DynamoDB provisioned $${LIST_PRICES.dynamodbPerWcuHour}/WCU-h, $${LIST_PRICES.dynamodbPerRcuHour}/RCU-h at 50 % utilization ($0.361/M writes, $0.072/M reads)`,
    );
    expect(formatCost(parseCostArgs([]).estimate)).toContain(
      `DynamoDB on demand $${LIST_PRICES.dynamodbPerMillionWriteUnits}/M write units`,
    );
    expect(() => parseCostArgs(['--billing', 'reserved'])).toThrow(
      /Expected --billing to be on-demand or provisioned, got "reserved"/,
    );
    expect(() => parseCostArgs(['--utilization', '0.5'])).toThrow(
      /--utilization prices provisioned capacity: give it with --billing provisioned/,
    );
    expect(() => parseCostArgs(['--billing', 'provisioned', '--utilization', '2'])).toThrow(UsageError);
  });
});
