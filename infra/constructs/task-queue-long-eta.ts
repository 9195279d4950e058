/**
 * Long ETAs for a `TaskQueue` (its `longEtas` prop): a countdown or ETA past the client's threshold becomes an
 * EventBridge Scheduler one-time schedule that delivers the message to the queue, instead of a re-delay every
 * 15 minutes (docs/flow-control.md, "Long ETAs").
 *
 * What it makes:
 * - per TaskQueue, a delivery role that only `scheduler.amazonaws.com` can assume, for this account and the stack's
 *   long-ETA schedule group (`aws:SourceAccount`, `aws:SourceArn`), allowed `sqs:SendMessage` on its queues
 *   only (the queue and its priority queues) (and, with the queue's customer managed key, `kms:GenerateDataKey` and `kms:Decrypt` on it). One role
 *   per TaskQueue, so a principal allowed to send to one cannot pass a role that reaches another;
 * - per stack, one schedule group for every queue's schedules, deleted with the stack (deleting a group
 *   deletes the schedules in it, so nothing fires into a queue that is gone).
 *
 * What a grant adds: `scheduler:CreateSchedule` on the group's schedules named `celeriac-*`, and `iam:PassRole`
 * on the TaskQueue's delivery role, passed to `scheduler.amazonaws.com` only. No `scheduler:DeleteSchedule`: a
 * schedule deletes itself after it fires, and a revoked task is refused by its claim when the message arrives.
 * A function grantee also gets `CELERIAC_SCHEDULE_GROUP` and the queues in `CELERIAC_SCHEDULER_ROLE_ARNS`.
 */
import { Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ENV } from '../../src/config/env.js';
import { environmentTargetOf } from './client-environment.js';
import { CeleriacConfigurationError } from './validation.js';

/** The prefix every celeriac schedule name starts with (`celeriac-<task id>-r<retries>`). */
const SCHEDULE_NAME_PREFIX = 'celeriac-';

const GROUP_ID = 'CeleriacLongEtaSchedules';

/** The stack's long-ETA schedule group, made by the first TaskQueue of the stack that asks for it. */
function scheduleGroupOf(scope: IConstruct): scheduler.ScheduleGroup {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(GROUP_ID);
  if (existing instanceof scheduler.ScheduleGroup) return existing;
  return new scheduler.ScheduleGroup(stack, GROUP_ID, {
    // Pending schedules go with the group: a retained group would fire them into deleted queues.
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

interface FunctionRecord {
  readonly roles: Map<string, string>;
  readonly group: scheduler.ScheduleGroup;
}

const records = new WeakMap<lambda.Function, FunctionRecord>();

/** Principals whose schedule-wildcard finding is already acknowledged. */
const acknowledged = new WeakSet<IConstruct>();

/** The delivery role and schedule group of one queue's long ETAs, and the grant that lets callers use them. */
export class LongEtaDelivery extends Construct {
  /** The role EventBridge Scheduler assumes to put this queue's scheduled messages on it. */
  readonly role: iam.Role;
  /** The stack's long-ETA schedule group. */
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly #group: scheduler.ScheduleGroup;
  readonly #celeryQueueNames: readonly string[];
  readonly #schedulesArn: string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      /** The Celery queue names and queues the role may deliver to: a TaskQueue's queue and its priority queues. */
      readonly queues: readonly { readonly celeryQueueName: string; readonly queue: sqs.IQueue }[];
      readonly encryptionKey?: kms.IKey | undefined;
    },
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    const group = scheduleGroupOf(this);
    // ARNs built from the group's name, not `Fn::GetAtt`: emulators whose CloudFormation skips schedule groups
    // would fail the deployment on a reference to one.
    const groupArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule-group',
      resourceName: group.scheduleGroupName,
    });
    this.#schedulesArn = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${group.scheduleGroupName}/${SCHEDULE_NAME_PREFIX}*`,
    });
    this.role = new iam.Role(this, 'Role', {
      description: `Assumed by EventBridge Scheduler to deliver long-ETA tasks to ${scope.node.path}.`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': groupArn } },
      }),
    });
    for (const { queue } of props.queues) queue.grant(this.role, 'sqs:SendMessage');
    props.encryptionKey?.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.#group = group;
    this.scheduleGroup = group;
    this.#celeryQueueNames = props.queues.map((q) => q.celeryQueueName);
  }

  /**
   * Lets `grantee` schedule this queue's long ETAs: `scheduler:CreateSchedule` on the group's `celeriac-*`
   * schedules, and `iam:PassRole` on the delivery role, to `scheduler.amazonaws.com` only.
   */
  grant(grantee: iam.IGrantable): iam.Grant {
    const create = iam.Grant.addToPrincipal({
      grantee,
      actions: ['scheduler:CreateSchedule'],
      resourceArns: [this.#schedulesArn],
    });
    const pass = iam.Grant.addToPrincipal({
      grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
    this.#acknowledgeWildcard(grantee);
    const fn = environmentTargetOf(grantee);
    if (fn !== undefined) this.#register(fn);
    return create.combine(pass);
  }

  #register(fn: lambda.Function): void {
    let record = records.get(fn);
    if (record === undefined) {
      const roles = new Map<string, string>();
      record = { roles, group: this.#group };
      records.set(fn, record);
      fn.addEnvironment(ENV.SCHEDULE_GROUP, this.#group.scheduleGroupName);
      fn.addEnvironment(
        ENV.SCHEDULER_ROLE_ARNS,
        Lazy.string({
          produce: () => {
            const entries = [...roles.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
            return Stack.of(fn).toJsonString(Object.fromEntries(entries));
          },
        }),
      );
    } else if (record.group !== this.#group) {
      throw new CeleriacConfigurationError(
        'TaskQueue',
        this.node.scope ?? this,
        'longEtas',
        'true',
        `puts schedules in ${this.#group.node.path}, but the function ${fn.node.path} already schedules in ` +
          `${record.group.node.path} (another stack); a function reads one \`${ENV.SCHEDULE_GROUP}\`. Grant it ` +
          'long-ETA queues of one stack only.',
      );
    }
    for (const name of this.#celeryQueueNames) record.roles.set(name, this.role.roleArn);
  }

  /**
   * Schedule names are the task ids', so the grant ends in `celeriac-*`, which cdk-nag's AwsSolutions-IAM5
   * reports on the grantee's policy. Acknowledge that one finding where the policy lives.
   */
  #acknowledgeWildcard(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    const target = Construct.isConstruct(principal)
      ? principal
      : Construct.isConstruct(grantee)
        ? grantee
        : null;
    if (target === null || acknowledged.has(target) || Stack.of(target) !== Stack.of(this)) return;
    acknowledged.add(target);
    Validations.of(target).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.#group.scheduleGroupName}/${SCHEDULE_NAME_PREFIX}*]`,
      reason:
        'Long-ETA schedules are named after the task ids they deliver, which are known only at send time; the ' +
        `wildcard covers only the ${SCHEDULE_NAME_PREFIX}* schedules of the stack's long-ETA schedule group.`,
    });
  }
}
