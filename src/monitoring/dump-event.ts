/**
 * `celeriac events` lines in the format of Celery's `celery events --dump` (`celery/events/dumper.py`):
 * `<hostname> [<UTC time>] <human type>: <task> <fields>`, where a task is `name(uuid) args=... kwargs=...` as
 * learnt from its `task-sent` or `task-received`, and the other fields follow sorted by name, written as Python's
 * `str()` writes them.
 */
import { valueRepr } from '../protocol/python-repr.js';

const HUMAN_TYPES: Readonly<Record<string, string>> = {
  'worker-offline': 'shutdown',
  'worker-online': 'started',
  'worker-heartbeat': 'heartbeat',
};

/** Celery's `humanize_type`: `task-succeeded` → `task succeeded`, `worker-online` → `started`. */
export function humanizeType(type: string): string {
  return HUMAN_TYPES[type.toLowerCase()] ?? type.toLowerCase().replace(/-/g, ' ');
}

/** Python's `str()` of a JSON value. */
function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return valueRepr(value);
}

/** The largest timestamp a `Date` holds, in seconds (year 275760). */
const MAX_TIMESTAMP_SECONDS = 8.64e12;

/** Python's `str(datetime.fromtimestamp(ts, timezone.utc))`: `2026-12-01 13:16:10.123456+00:00`. */
export function pythonUtcTime(timestampSeconds: number): string {
  // Rounded to the microsecond first, as Python does, so 1.9999996 is 00:00:02, not 00:00:01.
  const totalMicros = Math.round(timestampSeconds * 1e6);
  const date = new Date(Math.floor(totalMicros / 1000));
  const micros = ((totalMicros % 1e6) + 1e6) % 1e6;
  const base = date.toISOString().slice(0, 19).replace('T', ' ');
  return micros === 0 ? `${base}+00:00` : `${base}.${String(micros).padStart(6, '0')}+00:00`;
}

/** Formats events one by one, remembering task names by id as Celery's dumper does. */
export class EventDumper {
  readonly #names = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 4095) {
    this.#limit = limit;
  }

  /** The task name an id was sent or received with, when seen. */
  nameOf(uuid: string): string | undefined {
    return this.#names.get(uuid)?.split('(')[0];
  }

  /** The line for one event (a JSON object with Celery's fields). */
  line(event: Readonly<Record<string, unknown>>): string {
    const { timestamp, type, hostname, ...rest } = event;
    // An event from a sender that set no timestamp, or one no Date holds, is shown, not a crash of the tail.
    const seconds = typeof timestamp === 'number' ? timestamp : Number.NaN;
    const time =
      Math.abs(seconds) <= MAX_TIMESTAMP_SECONDS
        ? pythonUtcTime(seconds)
        : `(timestamp ${pythonStr(timestamp)})`;
    const kind = String(type).toLowerCase();
    let task: string | undefined;
    let fields: Record<string, unknown> = rest;
    if (kind.startsWith('task-')) {
      const { uuid, ...others } = rest;
      fields = others;
      const id = String(uuid);
      if (kind === 'task-received' || kind === 'task-sent') {
        const { name, args, kwargs, ...remaining } = others;
        fields = remaining;
        task = `${pythonStr(name)}(${id}) args=${pythonStr(args)} kwargs=${pythonStr(kwargs)}`;
        this.#remember(id, task);
      } else {
        task = this.#names.get(id) ?? '';
      }
    }
    const text = Object.keys(fields)
      .sort()
      .map((key) => `${key}=${pythonStr(fields[key])}`)
      .join(', ');
    const sep = text ? ':' : '';
    const head = `${pythonStr(hostname)} [${time}] ${humanizeType(kind)}${sep}`;
    return task === undefined ? `${head} ${text}` : `${head} ${task} ${text}`;
  }

  #remember(id: string, task: string): void {
    this.#names.delete(id);
    this.#names.set(id, task);
    if (this.#names.size > this.#limit) {
      const oldest = this.#names.keys().next().value;
      if (oldest !== undefined) this.#names.delete(oldest);
    }
  }
}
