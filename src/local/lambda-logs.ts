/**
 * The Lambda logs of the local stack, read from the emulator's own log. MiniStack logs each invocation
 * (`[lambda] ESM: Lambda <name> processed 1 SQS messages from <queue>`, `... output:`) and then prints what the
 * function wrote, one line after another without a timestamp. Those lines, and the `[lambda*]` lines before
 * them, are the Lambda logs; the rest (start-up banner, other services) is left out unless asked for.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

const TIMESTAMPED = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \w+ \[([^\]]+)\]/;

/**
 * A line filter that keeps the Lambda lines. It holds whether the last timestamped line was a Lambda one, so feed
 * it the log's lines in order (across reads of a growing file too).
 */
export function lambdaLineFilter(): (line: string) => boolean {
  let inLambda = false;
  return (line) => {
    const match = TIMESTAMPED.exec(line);
    if (match !== null) inLambda = (match[1] ?? '').startsWith('lambda');
    return inLambda && line.trim() !== '';
  };
}

/** Options for {@link readLambdaLogs}. */
export interface LambdaLogOptions {
  /** Every line of the emulator's log, not only the Lambda ones. */
  readonly all?: boolean;
  /** Keep printing lines as they are written, until `signal` aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** How often to look for new lines when following. Default 250 ms. */
  readonly pollMs?: number;
}

/**
 * Hands each Lambda line of the log in `file` to `onLine`: what is there now, then (with `follow`) what is
 * appended later, until `signal` aborts. Resolves with the number of lines handed over.
 */
export async function readLambdaLogs(
  file: string,
  onLine: (line: string) => void,
  options: LambdaLogOptions = {},
): Promise<number> {
  const keep = options.all === true ? () => true : lambdaLineFilter();
  let offset = 0;
  let partial = '';
  let count = 0;
  const buffer = Buffer.alloc(64 * 1024);
  const drain = (): void => {
    if (!existsSync(file)) return;
    if (statSync(file).size < offset) offset = 0; // Truncated: a new emulator's log.
    const fd = openSync(file, 'r');
    try {
      for (;;) {
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        if (read === 0) break;
        offset += read;
        const lines = (partial + buffer.subarray(0, read).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (keep(line)) {
            onLine(line);
            count += 1;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  drain();
  while (options.follow === true && options.signal?.aborted !== true) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    drain();
  }
  if (partial !== '' && keep(partial)) {
    onLine(partial);
    count += 1;
  }
  return count;
}
