/**
 * The environment variables that tell celeriac's client and worker where things are, set on the Lambda
 * functions that construct grants are given.
 *
 * Several constructs write to the same function: every `TaskQueue` granted to it adds its Celery queue to one
 * `ENV.QUEUE_URLS` JSON object, and a `ResultStore` sets the result and payload variables. A per-function record
 * keeps those writes consistent: the JSON is rendered lazily at synth time from every queue registered so far
 * (so queue URL tokens resolve), and a second, different queue or store under a name already taken is refused
 * rather than silently overwriting the first.
 */
import { Lazy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { CeleriacConfigurationError } from './validation.js';

interface QueueRegistration {
  readonly queueUrl: string;
  readonly owner: IConstruct;
}

interface FunctionRecord {
  readonly queues: Map<string, QueueRegistration>;
  defaultQueue: string | undefined;
  resultStore: IConstruct | undefined;
}

const records = new WeakMap<lambda.Function, FunctionRecord>();

function recordOf(fn: lambda.Function): FunctionRecord {
  let record = records.get(fn);
  if (record === undefined) {
    record = { queues: new Map(), defaultQueue: undefined, resultStore: undefined };
    records.set(fn, record);
  }
  return record;
}

/**
 * The Lambda function whose environment a grant should configure, or `undefined` when the grantee is not a
 * `lambda.Function` defined in this app (a role, a user, an imported function): those get IAM rights only.
 */
export function environmentTargetOf(grantee: iam.IGrantable): lambda.Function | undefined {
  return grantee instanceof lambda.Function ? grantee : undefined;
}

/**
 * Adds `celeryQueueName → queueUrl` to the function's `ENV.QUEUE_URLS`, and makes it the function's
 * `ENV.DEFAULT_QUEUE` when no queue was registered before.
 */
export function registerQueue(
  fn: lambda.Function,
  celeryQueueName: string,
  queueUrl: string,
  owner: IConstruct,
): void {
  const record = recordOf(fn);
  const existing = record.queues.get(celeryQueueName);
  if (existing !== undefined) {
    if (existing.owner === owner) return;
    throw new CeleriacConfigurationError(
      'TaskQueue',
      owner,
      'celeryQueueName',
      JSON.stringify(celeryQueueName),
      `is already the Celery name of ${existing.owner.node.path}, which is granted to the function ` +
        `${fn.node.path}; the function's \`${ENV.QUEUE_URLS}\` can map a name to one queue only. Give each ` +
        'TaskQueue a distinct `celeryQueueName`.',
    );
  }
  const first = record.queues.size === 0;
  record.queues.set(celeryQueueName, { queueUrl, owner });
  if (first) {
    fn.addEnvironment(
      ENV.QUEUE_URLS,
      Lazy.string({
        produce: () => {
          const entries = [...record.queues.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          return Stack.of(fn).toJsonString(
            Object.fromEntries(entries.map(([name, r]) => [name, r.queueUrl])),
          );
        },
      }),
    );
  }
  if (record.defaultQueue === undefined) {
    record.defaultQueue = celeryQueueName;
    fn.addEnvironment(ENV.DEFAULT_QUEUE, celeryQueueName);
  }
}

/**
 * Records that the function's `ENV.DEFAULT_QUEUE` was set by its owner (a worker's `environment`), so later
 * queue grants leave it alone.
 */
export function reserveDefaultQueue(fn: lambda.Function, celeryQueueName: string): void {
  recordOf(fn).defaultQueue = celeryQueueName;
}

/** Sets the result-store variables on the function; a function can read and write one result store only. */
export function registerResultStore(
  fn: lambda.Function,
  owner: IConstruct,
  variables: Readonly<Record<string, string>>,
): void {
  const record = recordOf(fn);
  if (record.resultStore !== undefined && record.resultStore !== owner) {
    throw new CeleriacConfigurationError(
      'ResultStore',
      owner,
      'grantee',
      fn.node.path,
      `was already granted access to ${record.resultStore.node.path}; celeriac's client reads one result ` +
        `store from \`${ENV.RESULT_TABLE}\`, so granting a second one would silently replace the first. Grant ` +
        'one ResultStore per function.',
    );
  }
  record.resultStore = owner;
  for (const [name, value] of Object.entries(variables)) fn.addEnvironment(name, value);
}
