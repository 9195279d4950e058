/** Events as JSON lines, one per event, written at once (stdout by default; CloudWatch Logs on Lambda). */
import type { CeleryEvent } from './celery-event.js';
import type { EventSink, SinkStats } from './event-sink.js';

/** Writes each event as one JSON line. */
export class StdoutSink implements EventSink {
  readonly name = 'stdout';
  readonly #write: (line: string) => void;
  #accepted = 0;
  #delivered = 0;
  #dropped = 0;

  /** @param write where lines go; default `process.stdout.write`. */
  constructor(write: (line: string) => void = (line) => process.stdout.write(line)) {
    this.#write = write;
  }

  emit(event: CeleryEvent): void {
    this.#accepted += 1;
    try {
      this.#write(`${JSON.stringify(event)}\n`);
      this.#delivered += 1;
    } catch {
      this.#dropped += 1;
    }
  }

  async flush(): Promise<void> {}

  stats(): SinkStats {
    return { accepted: this.#accepted, delivered: this.#delivered, dropped: this.#dropped };
  }
}
