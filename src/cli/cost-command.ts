/** `celeriac cost`: what a task mix costs on AWS, on Lambda, on a container, and as Python Celery. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type CostEstimate,
  DYNAMODB_BILLINGS,
  dynamodbUnitPrices,
  estimateCost,
  isDynamodbBilling,
  LIST_PRICES,
  type TaskMixEntry,
} from '../cost/cost-model.js';
import type { Guarantee } from '../task-options.js';
import { EXIT_CODES_USAGE } from './ops-options.js';
import { UsageError } from './usage-error.js';

export const COST_USAGE = `Usage: celeriac cost [options]

Prices a task mix at AWS list prices (us-east-1, no free tier) with results stored in DynamoDB, for
celeriac on Lambda, celeriac on a container (Fargate, arm64) and Python Celery on a container. Requests per task
are the counted floors (BENCHMARKS.md, "Requests per task by guarantee"); nothing is sent to AWS.

Options:
  --tasks <n>              Tasks (e.g. per month) of one kind (default 1000000)
  --guarantee <g>          effectively-once (default), at-least-once or bulk
  --duration-ms <ms>       Average run time of a task (default 20)
  --result-kib <KiB>       Size of a stored result (default 1)
  --mix <file.json>        Instead of the four above: a JSON array of
                           {"name", "tasks", "guarantee"?, "durationMs"?, "resultKiB"?}
  --batched-sends          Producers send in batches (sendTasks, coalesced delay()) instead of one by one
  --billing <b>            The results table's DynamoDB billing: on-demand (default) or provisioned
                           (ResultStore's provisionedCapacity), priced per capacity unit-hour
  --utilization <share>    With --billing provisioned, the share of the capacity the load uses, in (0, 1]
                           (default 0.7, auto scaling's default target)
  --lambda-memory-mb <mb>  Lambda memory (default 512, the TaskQueue construct's)
  --lambda-concurrency <n> Tasks one invocation runs at once (default 10)
  --celeriac-rate <n>      Tasks/s one busy celeriac container drains (default 500)
  --python-rate <n>        Tasks/s one busy Python Celery container drains (default 100)
  --json                   Print one JSON object instead of text

Examples:
  celeriac cost
  celeriac cost --tasks 50000000 --guarantee at-least-once --batched-sends
  celeriac cost --batched-sends --billing provisioned --utilization 0.5
  celeriac cost --mix mix.json --json

${EXIT_CODES_USAGE}
`;

const GUARANTEES: readonly Guarantee[] = ['effectively-once', 'at-least-once', 'bulk'];

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`Expected --${name} to be a number >= 0, got ${JSON.stringify(text)}`);
  }
  return value;
}

function guarantee(text: unknown, where: string): Guarantee | undefined {
  if (text === undefined) return undefined;
  if (!GUARANTEES.includes(text as Guarantee)) {
    throw new UsageError(`Expected ${where} to be ${GUARANTEES.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text as Guarantee;
}

function readMix(file: string): TaskMixEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`Could not read the mix ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UsageError(`Expected ${file} to hold a non-empty JSON array of task kinds`);
  }
  return parsed.map((entry: Record<string, unknown>, i) => {
    const at = `${file}[${i}]`;
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string') {
      throw new UsageError(`Expected ${at} to be an object with a "name"`);
    }
    const field = (key: string) => {
      const value = entry[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new UsageError(`Expected ${at}.${key} to be a number >= 0, got ${JSON.stringify(value)}`);
      }
      return value;
    };
    const tasks = field('tasks');
    if (tasks === undefined) throw new UsageError(`Expected ${at} to have "tasks"`);
    const g = guarantee(entry.guarantee, `${at}.guarantee`);
    const durationMs = field('durationMs');
    const resultKiB = field('resultKiB');
    return {
      name: entry.name,
      tasks,
      ...(g ? { guarantee: g } : {}),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(resultKiB === undefined ? {} : { resultKiB }),
    };
  });
}

/** The estimate for the command line. */
export function parseCostArgs(argv: readonly string[]): { estimate: CostEstimate; json: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      tasks: { type: 'string' },
      guarantee: { type: 'string' },
      'duration-ms': { type: 'string' },
      'result-kib': { type: 'string' },
      mix: { type: 'string' },
      'batched-sends': { type: 'boolean' },
      billing: { type: 'string' },
      utilization: { type: 'string' },
      'lambda-memory-mb': { type: 'string' },
      'lambda-concurrency': { type: 'string' },
      'celeriac-rate': { type: 'string' },
      'python-rate': { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const single = ['tasks', 'guarantee', 'duration-ms', 'result-kib'] as const;
  if (values.mix && single.some((name) => values[name] !== undefined)) {
    throw new UsageError('Give either --mix or --tasks/--guarantee/--duration-ms/--result-kib, not both');
  }
  const g = guarantee(values.guarantee, '--guarantee');
  const durationMs = number('duration-ms', values['duration-ms']);
  const resultKiB = number('result-kib', values['result-kib']);
  const mix = values.mix
    ? readMix(values.mix)
    : [
        {
          name: 'tasks',
          tasks: number('tasks', values.tasks) ?? 1_000_000,
          ...(g ? { guarantee: g } : {}),
          ...(durationMs === undefined ? {} : { durationMs }),
          ...(resultKiB === undefined ? {} : { resultKiB }),
        },
      ];
  const billing = values.billing;
  if (billing !== undefined && !isDynamodbBilling(billing)) {
    throw new UsageError(
      `Expected --billing to be ${DYNAMODB_BILLINGS.join(' or ')}, got ${JSON.stringify(billing)}`,
    );
  }
  if (values.utilization !== undefined && billing !== 'provisioned') {
    throw new UsageError('--utilization prices provisioned capacity: give it with --billing provisioned');
  }
  const optional = (key: string, value: number | undefined) => (value === undefined ? {} : { [key]: value });
  try {
    const estimate = estimateCost(mix, {
      batchedSends: values['batched-sends'] === true,
      ...(billing === undefined ? {} : { dynamodbBilling: billing }),
      ...optional('provisionedUtilization', number('utilization', values.utilization)),
      ...optional('lambdaMemoryMb', number('lambda-memory-mb', values['lambda-memory-mb'])),
      ...optional('lambdaConcurrency', number('lambda-concurrency', values['lambda-concurrency'])),
      ...optional('celeriacTasksPerSecond', number('celeriac-rate', values['celeriac-rate'])),
      ...optional('pythonTasksPerSecond', number('python-rate', values['python-rate'])),
    });
    return { estimate, json: values.json === true };
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

const dollars = (value: number): string => `$${value.toFixed(2)}`;

/** The estimate as a table. */
export function formatCost(estimate: CostEstimate): string {
  const a = estimate.assumptions;
  const lines = [
    `${estimate.tasks.toLocaleString('en-US')} tasks, results stored; ${a.batchedSends ? 'batched' : 'single'} sends`,
    '',
    `${'HOST'.padEnd(30)}${'SQS'.padEnd(10)}${'DYNAMODB'.padEnd(10)}${'COMPUTE'.padEnd(10)}${'TOTAL'.padEnd(10)}PER MILLION`,
  ];
  for (const host of estimate.hosts) {
    lines.push(
      `${host.host.padEnd(30)}${dollars(host.dollars.sqs).padEnd(10)}${dollars(host.dollars.dynamodb).padEnd(10)}${dollars(host.dollars.compute).padEnd(10)}${dollars(host.dollars.total).padEnd(10)}${dollars(host.perMillionTasks)}`,
    );
  }
  const units = dynamodbUnitPrices(a.dynamodbBilling, a.provisionedUtilization);
  const dynamodb =
    a.dynamodbBilling === 'on-demand'
      ? `DynamoDB on demand $${LIST_PRICES.dynamodbPerMillionWriteUnits}/M write units, $${LIST_PRICES.dynamodbPerMillionReadUnits}/M read units`
      : `DynamoDB provisioned $${LIST_PRICES.dynamodbPerWcuHour}/WCU-h, $${LIST_PRICES.dynamodbPerRcuHour}/RCU-h at ${Math.round(a.provisionedUtilization * 100)} % utilization ` +
        `($${units.perMillionWrites.toFixed(3)}/M writes, $${units.perMillionReads.toFixed(3)}/M reads)`;
  lines.push(
    '',
    `Prices (us-east-1): SQS $${LIST_PRICES.sqsPerMillionRequests}/M requests; ${dynamodb};`,
    `Lambda arm64 $${LIST_PRICES.lambdaPerMillionInvocations}/M invocations, $${LIST_PRICES.lambdaPerGbSecond}/GB-s (${a.lambdaMemoryMb} MB, ${a.lambdaConcurrency} tasks at once);`,
    `Fargate arm64 $${LIST_PRICES.fargatePerVcpuHour}/vCPU-h, $${LIST_PRICES.fargatePerGbHour}/GB-h (${a.containerVcpu} vCPU, ${a.containerMemoryGb} GB, kept busy at ${a.celeriacTasksPerSecond} tasks/s celeriac, ${a.pythonTasksPerSecond} tasks/s Python).`,
  );
  return lines.join('\n');
}

/** Runs the command. */
export async function costCommand(argv: string[]): Promise<void> {
  const { estimate, json } = parseCostArgs(argv);
  console.log(json ? JSON.stringify(estimate) : formatCost(estimate));
}
