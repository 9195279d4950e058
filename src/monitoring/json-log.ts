/**
 * Structured log lines (`logFormat: 'json'`, `CELERIAC_LOG_FORMAT=json`): one JSON object per line with the fields
 * Powertools for AWS Lambda's Logger writes (`level`, `message`, `timestamp`, `service`, and on Lambda
 * `cold_start`, `function_name`, `function_memory_size`, `function_request_id`, `xray_trace_id`), so log queries
 * and subscriptions written for Powertools read celeriac's lines too. Written with `process.stdout.write`, which
 * Lambda's runtime does not prefix. The default stays the one-line text.
 */

/** Log formats. */
export const LogFormat = { TEXT: 'text', JSON: 'json' } as const;
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/** Powertools Logger's levels that celeriac writes. */
export const LogLevel = { INFO: 'INFO', WARN: 'WARN', ERROR: 'ERROR' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/** Options of {@link jsonLog}. */
export interface JsonLogOptions {
  /** Powertools' `service`: the app's name. */
  readonly service: string;
  /** Fields of the moment (the Lambda invocation's), merged into each line. */
  readonly fields?: () => Readonly<Record<string, unknown>>;
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

/**
 * A log function that writes JSON lines.
 *
 * @example
 * const log = jsonLog({ service: 'orders' });
 * log('worker celeriac@host consuming celery'); // {"level":"INFO","message":"worker ...","timestamp":"...","service":"orders"}
 * log('task t-1 tasks.charge FAILURE 12ms: ...', 'ERROR'); // {"level":"ERROR",...}
 */
export function jsonLog(options: JsonLogOptions): (line: string, level?: LogLevel) => void {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const now = options.now ?? Date.now;
  return (line, level = LogLevel.INFO) =>
    write(
      JSON.stringify({
        level,
        message: line,
        timestamp: new Date(now()).toISOString(),
        service: options.service,
        ...options.fields?.(),
      }),
    );
}

/** The X-Ray trace id Lambda passes in `_X_AMZN_TRACE_ID` (`Root=1-...;Parent=...`), as Powertools reports it. */
export function xrayTraceId(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return /Root=([^;]+)/.exec(env._X_AMZN_TRACE_ID ?? '')?.[1];
}
