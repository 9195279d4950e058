/**
 * What the operator commands (`call`, `result`, `purge`, `dlq`, `status`) share: `--app` and `--json`, the app and
 * the ops context built from them, and a confirmation prompt.
 */
import { createInterface } from 'node:readline/promises';
import type { App } from '../app.js';
import { createApp } from '../index.js';
import { createOpsContext, type OpsContext } from '../ops/ops-context.js';
import { loadApp } from './load-app.js';
import { UsageError } from './usage-error.js';

/** The options every operator command takes. */
export const OPS_OPTIONS = {
  app: { type: 'string', short: 'A' },
  json: { type: 'boolean' },
} as const;

/** The help text of {@link OPS_OPTIONS}. */
export const OPS_OPTIONS_USAGE = `  --app, -A <module>       Module exporting the app (default: an app from the CELERIAC_* environment)
  --json                   Print one JSON object instead of text`;

/** The exit codes, as every command's help states them. */
export const EXIT_CODES_USAGE = `Exit codes: 0 ok; 1 failed (a task failed, not found, denied, timed out); 2 usage error; 3 configuration error.`;

/** The app the module of `--app` exports, or without `--app` an app from the CELERIAC_* environment. */
export async function appOption(values: { readonly app?: string | undefined }): Promise<App> {
  return values.app ? loadApp(values.app) : createApp();
}

/** Builds the ops context for `--app` (or the environment's app); the caller closes it. */
export async function opsContext(values: { readonly app?: string | undefined }): Promise<OpsContext> {
  return createOpsContext(await appOption(values));
}

/** Runs `body` with an ops context, closing it after. */
export async function withOps<T>(
  values: { readonly app?: string | undefined },
  body: (ctx: OpsContext) => Promise<T>,
): Promise<T> {
  const ctx = await opsContext(values);
  try {
    return await body(ctx);
  } finally {
    ctx.close();
  }
}

/** A positive number of seconds from an option, or `undefined` when it is not given. */
export function secondsOption(
  name: string,
  text: string | undefined,
  { allowZero = false } = {},
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new UsageError(
      `Expected --${name} to be a number of seconds ${allowZero ? '>= 0' : '> 0'}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Asks the operator to type `expected` to go on. Without a terminal it refuses unless `force` is set: a script
 * must say `--force` to destroy messages.
 *
 * @throws {UsageError} when there is no terminal and no `--force`, or the answer does not match.
 */
export async function confirm(what: string, expected: string, force: boolean): Promise<void> {
  if (force) return;
  if (!process.stdin.isTTY) {
    throw new UsageError(`Refusing to ${what} without a terminal to confirm on: add --force to do it anyway`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`This will ${what}. Type ${JSON.stringify(expected)} to go on: `);
    if (answer.trim() !== expected)
      throw new UsageError(`Not confirmed (expected ${JSON.stringify(expected)}): nothing was done`);
  } finally {
    rl.close();
  }
}
