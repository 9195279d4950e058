/**
 * Helpers for the construct tests: stacks that skip or perform Lambda bundling, the exact IAM grants of a
 * role, a function's environment, and a rendering of CloudFormation `Fn::Join` values that tests can compare.
 */
import path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { expect } from 'vitest';

/** The stand-in worker handler used as every test worker's `entry`. */
export const WORKER_ENTRY = path.join(import.meta.dirname, 'fixtures', 'worker-handler.ts');

/**
 * A fresh app and stack named `Demo`. Lambda assets are not bundled unless `bundle` is set, which keeps tests
 * that only read the template fast; bundled assets are recorded in resource metadata (`aws:asset:path`).
 */
export function newStack(options: { readonly bundle?: boolean; readonly outdir?: string } = {}): Stack {
  const app = new App({
    outdir: options.outdir,
    context:
      options.bundle === true ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] },
  });
  return new Stack(app, 'Demo');
}

/** A plain Lambda function (inline code, nothing to bundle) to grant things to. */
export function callerFunction(stack: Stack, id = 'Caller'): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => null;'),
  });
}

/** The logical id of a construct's CloudFormation resource (its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (child === undefined || !CfnElement.isCfnElement(child)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  }
  return String(Stack.of(child).resolve(child.logicalId));
}

interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/**
 * Every `action on resource` pair the role's IAM policies allow, sorted: a grant is exact when this list
 * equals the expected one, with nothing missing and nothing extra.
 */
export function allowedPairs(template: Template, roleLogicalId: string): string[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const pairs: string[] = [];
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties.Roles ?? []) as Array<{ Ref?: string }>;
    if (!roles.some((role) => role.Ref === roleLogicalId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as PolicyStatementJson[]) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of asArray(statement.Action)) {
        for (const resource of asArray(statement.Resource))
          pairs.push(`${action} on ${JSON.stringify(resource)}`);
      }
    }
  }
  return pairs.sort();
}

/**
 * The DynamoDB actions a worker has on the results table (`ResultStore.grantWriteResults`): the claim, the result,
 * the chord counter, a chord's join (`BatchGetItem`) and bulk results (`BatchWriteItem`).
 */
export const WORKER_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
] as const;

/** The expected pairs for `actions` on each of `resources` (resolved CloudFormation values), sorted. */
export function pairs(stack: Stack, actions: readonly string[], resources: readonly unknown[]): string[] {
  return actions.flatMap((action) =>
    resources.map((r) => `${action} on ${JSON.stringify(stack.resolve(r))}`),
  );
}

/**
 * Grants something to a fresh role and function and checks the result: the role's policies allow exactly
 * `expected` (from {@link pairs}), and the function's environment holds `environment` (compared after
 * {@link render}).
 */
export function testGrant(
  stack: Stack,
  grant: (grantee: lambda.Function) => iam.Grant,
  expected: readonly string[],
  environment?: Readonly<Record<string, unknown>>,
): void {
  const fn = callerFunction(stack, 'Grantee');
  const result = grant(fn);
  expect(result.success).toBe(true);
  const template = Template.fromStack(stack);
  const role = fn.role;
  if (role === undefined) throw new Error('the test function has no role');
  expect(allowedPairs(template, logicalIdOf(role))).toEqual([...expected].sort());
  if (environment !== undefined) {
    expect(environmentOf(template, logicalIdOf(fn))).toEqual(environment);
  }
}

/** A Lambda function's environment variables, with `Fn::Join` and references rendered by {@link render}. */
export function environmentOf(template: Template, functionLogicalId: string): Record<string, unknown> {
  const functions = template.findResources('AWS::Lambda::Function');
  const fn = functions[functionLogicalId];
  if (fn === undefined) throw new Error(`no function ${functionLogicalId} in the template`);
  const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, render(value)]));
}

/**
 * Renders a CloudFormation value as text: `{Ref: X}` as `<Ref:X>`, `{Fn::GetAtt: [X, A]}` as `<X.A>`, and
 * `Fn::Join` by joining its rendered parts. A JSON object built from tokens (such as `CELERIAC_QUEUE_URLS`)
 * then parses with `JSON.parse`.
 */
export function render(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === 'string') return `<Ref:${record.Ref}>`;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `<${String(getAtt[0])}.${String(getAtt[1])}>`;
  const join = record['Fn::Join'];
  if (Array.isArray(join)) {
    const [delimiter, parts] = join as [string, unknown[]];
    return parts.map((part) => String(render(part))).join(delimiter);
  }
  return value;
}

/** Renders a value the stack resolves (a token such as `queue.queueUrl`) the way {@link render} does. */
export function rendered(stack: Stack, token: unknown): unknown {
  return render(stack.resolve(token));
}
