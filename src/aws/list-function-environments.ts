/**
 * Reads the environment variables of the Lambda functions in an account: the local stack derives the client's
 * environment (queue URLs, result table, payload bucket) from what the constructs' grants set on the deployed
 * functions.
 */
import { LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { sdkClientConfig } from './clients.js';

/** A Lambda function's name and its environment variables. */
export interface FunctionEnvironment {
  readonly functionName: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** Where to list the functions. */
export interface ListFunctionEnvironmentsOptions {
  /** An emulator's URL, e.g. `http://127.0.0.1:4566`. Default: the SDK's resolution. */
  readonly endpoint?: string;
  /** Default: the SDK's resolution (`AWS_REGION`). */
  readonly region?: string;
  /** Default: the SDK's credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Every function of the account and region with its environment variables, sorted by name. */
export async function listFunctionEnvironments(
  options: ListFunctionEnvironmentsOptions = {},
): Promise<FunctionEnvironment[]> {
  const client = new LambdaClient({
    ...sdkClientConfig(options),
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
  try {
    const functions: FunctionEnvironment[] = [];
    for await (const page of paginateListFunctions({ client }, {})) {
      for (const fn of page.Functions ?? []) {
        if (fn.FunctionName === undefined) continue;
        functions.push({
          functionName: fn.FunctionName,
          variables: { ...(fn.Environment?.Variables ?? {}) },
        });
      }
    }
    return functions.sort((a, b) => (a.functionName < b.functionName ? -1 : 1));
  } finally {
    client.destroy();
  }
}
