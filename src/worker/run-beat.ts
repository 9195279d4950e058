/**
 * The local beat behind `celeriac beat`: fires an app's periodic tasks into their queues, for emulators that do
 * not fire EventBridge Scheduler schedules. Each firing sends exactly the message the deployed schedule sends
 * (the same template, with the slot's scheduled time where the scheduler would put it).
 *
 * How restarts stay exact:
 * - After each firing the slot's scheduled time is written to the state file (atomically: write, then rename).
 * - On start, every slot after the recorded one is due, unless it is older than `catchUpWindowMs`: slots missed
 *   while the beat was down are fired once, up to that window; older ones are skipped. While beat runs, every slot
 *   after its previous wake-up is due, however late the timer wakes.
 * - A crash between a send and its record makes the slot fire again after the restart, with the same task id,
 *   so the worker's claim recognises it and runs the task once.
 * - With no state for an entry, only its most recent slot within the catch-up window fires.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dueSlots, nextSlotAfter, slotId } from '../beat/due-slots.js';
import { Client } from '../client.js';
import { ImproperlyConfigured, InvalidOptionError } from '../errors.js';
import type { PeriodicTask } from '../periodic.js';
import { periodicMessageTemplate, periodicTaskId, renderFiring } from '../periodic.js';
import type { WorkerDeps } from './execution-context.js';

/** The longest catch-up window: finding the slots of a longer one costs too much for a frequent crontab. */
export const MAX_CATCH_UP_MS = 7 * 86_400_000;

/** Options for {@link runBeat}. */
export interface BeatOptions {
  /** Where fired slots are recorded. Default `.celeriac-beat.json` in the working directory. */
  readonly stateFile?: string;
  /**
   * How late a slot beat could not fire in time may still be fired: one missed while beat was down, or one
   * whose send failed (retried until it is this late at beat's previous wake-up). A slot that comes due while
   * beat runs fires however late its timer wakes. 0 never fires a missed slot, as Celery's beat; at most 7
   * days. Default 300 000 ms (5 minutes).
   */
  readonly catchUpWindowMs?: number;
  /** Where lines go. Default `console.log`. */
  readonly log?: (line: string) => void;
}

/** A running beat. */
export interface RunningBeat {
  /** Stops after the firing in progress, if any. */
  stop(): Promise<void>;
  /** Settles when the beat has stopped. */
  readonly stopped: Promise<void>;
  /** Firings sent so far. */
  readonly fired: number;
}

interface BeatState {
  /** Entry name → scheduled time (ISO) of the last slot fired. */
  lastFired: Record<string, string>;
}

async function readState(file: string): Promise<BeatState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lastFired: {} };
    throw new ImproperlyConfigured(`The beat state file ${file} cannot be read: ${String(error)}`, {
      setting: 'stateFile',
      cause: error,
    });
  }
  const broken = (detail: string, cause?: unknown): ImproperlyConfigured =>
    new ImproperlyConfigured(
      `The beat state file ${file} ${detail}; fix it, or delete it to start afresh (slots missed while beat was down are then not caught up)`,
      { setting: 'stateFile', cause },
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw broken('is not JSON', error);
  }
  const lastFired = (parsed as Partial<BeatState> | null)?.lastFired ?? {};
  for (const [name, value] of Object.entries(lastFired)) {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      throw broken(
        `records ${JSON.stringify(value)} as the last slot of ${JSON.stringify(name)}, which is not a time`,
      );
    }
  }
  return { lastFired: { ...lastFired } };
}

async function writeState(file: string, state: BeatState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, file);
}

/**
 * Starts firing `app`'s enabled periodic tasks.
 *
 * @example
 * const beat = runBeat(app, { stateFile: '.local/beat.json' }); // an App is { registry, runtime }
 * process.once('SIGTERM', () => void beat.stop());
 */
export function runBeat(deps: WorkerDeps, options: BeatOptions = {}): RunningBeat {
  const { registry, runtime } = deps;
  const client = new Client(registry, runtime);
  const sender = { request: client.request.bind(client), appName: runtime.settings.name };
  const stateFile = path.resolve(options.stateFile ?? '.celeriac-beat.json');
  const catchUpWindowMs = options.catchUpWindowMs ?? 300_000;
  if (typeof catchUpWindowMs !== 'number' || !(catchUpWindowMs >= 0 && catchUpWindowMs <= MAX_CATCH_UP_MS)) {
    throw InvalidOptionError.expected(
      'catchUpWindowMs',
      `a number of milliseconds from 0 to ${MAX_CATCH_UP_MS} (7 days)`,
      catchUpWindowMs,
    );
  }
  const log = options.log ?? ((line: string) => console.log(line));
  const entries = registry.periodicTasks.filter((entry) => entry.enabled);
  const templates = new Map(
    entries.map((entry) => [entry.name, periodicMessageTemplate(entry, sender)] as const),
  );
  const stopping = new AbortController();
  let fired = 0;

  const fire = async (entry: PeriodicTask, slot: Date, state: BeatState): Promise<void> => {
    const template = templates.get(entry.name);
    if (!template) return;
    const scheduled = slotId(slot);
    const queueUrl = await runtime.queues.urlFor(template.queue);
    await runtime.broker.send(queueUrl, [{ body: renderFiring(template.body, scheduled) }]);
    state.lastFired[entry.name] = slot.toISOString();
    await writeState(stateFile, state);
    fired++;
    log(
      `beat fired ${entry.name} (${entry.taskName}) for ${scheduled} as task ${periodicTaskId(entry.name, scheduled)}`,
    );
  };

  const loop = async (): Promise<void> => {
    const state = await readState(stateFile);
    log(
      `beat started: ${entries.length} periodic task(s), state in ${stateFile}, catch-up window ${catchUpWindowMs} ms`,
    );
    // The previous wake-up: a slot after it is due now however late this wake-up is; the window counts back
    // from it (from now, on the first), so timers that wake a few milliseconds late never skip a slot.
    let previousMs: number | undefined;
    while (!stopping.signal.aborted) {
      const now = new Date(runtime.clock.now());
      const windowMs = catchUpWindowMs + Math.max(0, now.getTime() - (previousMs ?? now.getTime()));
      previousMs = now.getTime();
      for (const entry of entries) {
        const recorded = state.lastFired[entry.name];
        const lastFired = recorded ? new Date(recorded) : undefined;
        const due = dueSlots({
          schedule: entry.schedule,
          timezone: entry.timezone,
          ...(lastFired ? { lastFired } : {}),
          now,
          catchUpWindowMs: windowMs,
        });
        for (const slot of due) {
          if (stopping.signal.aborted) return;
          try {
            await fire(entry, slot, state);
          } catch (error) {
            log(
              `beat could not fire ${entry.name} for ${slotId(slot)}: ${error instanceof Error ? error.message : String(error)}; will retry`,
            );
            break;
          }
        }
      }
      const next = entries
        .map((entry) => nextSlotAfter(entry.schedule, now, { timezone: entry.timezone })?.getTime())
        .filter((t): t is number => t !== undefined);
      const waitMs = Math.max(
        10,
        Math.min(60_000, (next.length ? Math.min(...next) : Infinity) - runtime.clock.now()),
      );
      await sleep(waitMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };

  const stopped = loop();
  return {
    stop: async () => {
      stopping.abort();
      await stopped;
    },
    stopped,
    get fired() {
      return fired;
    },
  };
}
