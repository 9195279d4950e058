/**
 * How the operator commands print: a value as JSON or as text, and a progress line that is rewritten in place on
 * a terminal and printed as plain lines otherwise (a log, a pipe, CI).
 */
/** A value in one line of text: strings as they are, anything else as JSON. */
export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

/** Writes a line that replaces itself on a TTY. */
export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  #shown = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  /** Shows `text`, replacing the previous line on a TTY. */
  update(text: string): void {
    if (this.#tty) {
      this.#stream.write(`\r\x1b[2K${text}`);
      this.#shown = true;
    } else {
      this.#stream.write(`${text}\n`);
    }
  }

  /** Ends the line on a TTY so what follows starts on its own. */
  done(): void {
    if (this.#tty && this.#shown) this.#stream.write('\n');
    this.#shown = false;
  }
}

/** The progress text of a task's state: `PROGRESS {"done":3,"total":10}`, or the state alone. */
export function progressText(id: string, state: string, result: unknown, elapsedMs: number): string {
  const meta = state !== 'PENDING' && state !== 'STARTED' && result !== null && result !== undefined;
  return `${id} ${state}${meta && state !== 'SUCCESS' && state !== 'FAILURE' ? ` ${formatValue(result)}` : ''} (${(elapsedMs / 1000).toFixed(1)} s)`;
}
