/**
 * The client's environment for a deployed stack: the variables the constructs' grants set on its Lambda
 * functions (`CELERIAC_QUEUE_URLS`, `CELERIAC_RESULT_TABLE`, ...), merged over the functions, plus the emulator's
 * endpoint and credentials, written as a dotenv file that `node --env-file`, `dotenv` and a shell's `source`
 * all read.
 */
import { ENV } from '../config/env.js';
import { InvalidOptionError } from '../errors.js';

/** A deployed function's name and environment (see `listFunctionEnvironments`). */
export interface DeployedFunction {
  readonly functionName: string;
  readonly variables: Readonly<Record<string, string>>;
}

/** The variables a client takes from the functions, besides {@link ENV.QUEUE_URLS}. */
const SINGLE_VALUED = [
  ENV.RESULT_TABLE,
  ENV.PAYLOAD_BUCKET,
  ENV.PAYLOAD_PREFIX,
  ENV.RESULT_TTL_SECONDS,
  ENV.SCHEDULE_GROUP,
  ENV.SCHEDULER_ROLE_ARNS,
] as const;

/** The merged environment, and what did not merge cleanly. */
export interface ClientEnvironment {
  /** Variable name → value, in a stable order. */
  readonly variables: Readonly<Record<string, string>>;
  /** Functions whose settings disagree with the ones taken (one line each). */
  readonly conflicts: readonly string[];
  /** The functions the variables came from. */
  readonly sources: readonly string[];
}

/**
 * Merges the celeriac variables of `functions` into one client environment: every Celery queue any function
 * knows (the first URL seen for a name wins), and the result store's variables of the first function that has
 * them. Only functions of `stacks` count (CDK names a function `<stack>-<id>...`), unless none of them is.
 * The default queue is `celery` when that queue exists, else the first function's default.
 */
export function mergeClientEnvironment(
  functions: readonly DeployedFunction[],
  stacks: readonly string[] = [],
): ClientEnvironment {
  const withCeleriac = functions.filter(
    (fn) => ENV.QUEUE_URLS in fn.variables || ENV.RESULT_TABLE in fn.variables,
  );
  const ofStacks = withCeleriac.filter((fn) =>
    stacks.some((stack) => fn.functionName.startsWith(`${stack}-`)),
  );
  const chosen = ofStacks.length > 0 ? ofStacks : withCeleriac;
  const queues: Record<string, string> = {};
  const single: Record<string, string> = {};
  const conflicts: string[] = [];
  let defaultQueue: string | undefined;
  for (const fn of chosen) {
    const raw = fn.variables[ENV.QUEUE_URLS];
    if (raw !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        conflicts.push(`${fn.functionName}: ${ENV.QUEUE_URLS} is not JSON (${raw.slice(0, 80)})`);
      }
      if (typeof parsed === 'object' && parsed !== null) {
        for (const [name, url] of Object.entries(parsed)) {
          if (typeof url !== 'string') continue;
          const known = queues[name];
          if (known === undefined) queues[name] = url;
          else if (known !== url)
            conflicts.push(`${fn.functionName}: queue ${name} is ${url}, kept ${known}`);
        }
      }
    }
    defaultQueue ??= fn.variables[ENV.DEFAULT_QUEUE];
    for (const name of SINGLE_VALUED) {
      const value = fn.variables[name];
      if (value === undefined) continue;
      const known = single[name];
      if (known === undefined) single[name] = value;
      else if (known !== value) conflicts.push(`${fn.functionName}: ${name} is ${value}, kept ${known}`);
    }
  }
  const variables: Record<string, string> = {};
  if (Object.keys(queues).length > 0) {
    const sorted = Object.fromEntries(Object.entries(queues).sort(([a], [b]) => (a < b ? -1 : 1)));
    variables[ENV.QUEUE_URLS] = JSON.stringify(sorted);
    variables[ENV.DEFAULT_QUEUE] =
      'celery' in queues ? 'celery' : (defaultQueue ?? Object.keys(sorted)[0] ?? '');
  }
  for (const name of SINGLE_VALUED) {
    const value = single[name];
    if (value !== undefined) variables[name] = value;
  }
  return { variables, conflicts, sources: chosen.map((fn) => fn.functionName) };
}

/**
 * Renders variables as a dotenv file, each value in single quotes (no value celeriac writes holds one), so that
 * JSON survives `node --env-file`, the `dotenv` package and `set -a; source <file>` alike.
 */
export function renderDotenv(
  variables: Readonly<Record<string, string>>,
  header: readonly string[] = [],
): string {
  const lines = header.map((line) => `# ${line}`);
  for (const [name, value] of Object.entries(variables)) {
    if (value.includes("'") || value.includes('\n')) {
      throw new InvalidOptionError(
        `${name} cannot be written to a dotenv file: its value has a single quote or a newline`,
        { option: name, value },
      );
    }
    lines.push(`${name}='${value}'`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads a file written by {@link renderDotenv} (and plain `NAME=value` lines) back into variables. */
export function parseDotenv(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) continue;
    const [, name = '', raw = ''] = match;
    const value = raw.trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    variables[name] = quoted ? (quoted[2] ?? '') : value;
  }
  return variables;
}
