/**
 * Holds `celeriac events` to Celery's own `celery events --dump`: real events from the execution core (a success,
 * a failure, a retry, an expiry) and a host's worker events are fed to Celery's `Dumper` in the venv's Python, and
 * its lines are compared with `EventDumper`'s, line for line.
 */
import { describe, expect, it } from 'vitest';
import { exceptionRepr } from '../../src/events/exception-repr.js';
import { MemorySink } from '../../src/events/memory-sink.js';
import { EventDumper } from '../../src/monitoring/dump-event.js';
import { executeMessage } from '../../src/worker/execute-message.js';
import { WorkerEvents } from '../../src/worker/worker-events.js';
import { memoryApp } from '../helpers/memory-app.js';
import { runPython } from './helpers/python-celery.js';

async function realEvents() {
  const sink = new MemorySink();
  const fx = memoryApp({ events: { sinks: [sink], taskSentEvent: true } });
  fx.app.task('tasks.add', (a: number, b: number) => a + b);
  fx.app.task('tasks.boom', () => {
    throw new TypeError("it's broken");
  });
  fx.app.task('tasks.flaky', function (this) {
    if (this.retries === 0) throw this.retry({ countdown: 0, exc: new RangeError('not yet') });
    return { done: true, items: [1, 2.5, 'x'] };
  });
  const events = fx.app.runtime.events;
  if (!events) throw new Error('no dispatcher');
  const host = new WorkerEvents(events, fx.identity, { active: () => 0, processed: () => 3 }, 30);
  host.beatIfDue(Date.now());
  await fx.app.sendTask('tasks.add', [2, 3], { flag: true });
  await fx.app.sendTask('tasks.boom', []);
  await fx.app.sendTask('tasks.flaky', []);
  await fx.app.sendTask('tasks.add', [1, 1], {}, { expires: new Date(Date.now() - 1000) });
  for (let round = 0; round < 2; round++) {
    for (const message of await fx.receiveAll()) await executeMessage(message, fx.context());
  }
  await host.stop(Date.now());
  return sink.events;
}

describe('celeriac events --dump lines', () => {
  it("are Celery's Dumper lines for the same events", async () => {
    const events = await realEvents();
    expect(new Set(events.map((event) => event.type)).size).toBeGreaterThanOrEqual(9);
    const encoded = Buffer.from(JSON.stringify(events)).toString('base64');
    const python = await runPython<string>(
      [
        'import base64, io, json',
        'from celery.events.dumper import Dumper',
        'out = io.StringIO()',
        'dumper = Dumper(out=out)',
        `for event in json.loads(base64.b64decode("${encoded}")):`,
        '    dumper.on_event(event)',
        'print(json.dumps(out.getvalue()))',
      ].join('\n'),
    );
    const dumper = new EventDumper();
    const lines = events.map((event) => dumper.line(event as unknown as Record<string, unknown>));
    expect(lines.map((line) => `${line}\n`).join('')).toEqual(python);
  });

  it("write exceptions as Python's repr() does, as kombu's safe_repr in Celery's task-failed", async () => {
    const cases: unknown[][] = [
      ['boom'],
      ["it's"],
      ['say "hi"'],
      ['both \' and "'],
      ['line\nbreak\ttab'],
      [1, 'two'],
      [],
    ];
    const encoded = Buffer.from(JSON.stringify(cases)).toString('base64');
    const python = await runPython<string[]>(
      [
        'import base64, json',
        `cases = json.loads(base64.b64decode("${encoded}"))`,
        'print(json.dumps([repr(ValueError(*args)) for args in cases]))',
      ].join('\n'),
    );
    expect(
      cases.map((args) =>
        exceptionRepr({ exc_type: 'ValueError', exc_message: args, exc_module: 'builtins' }),
      ),
    ).toEqual(python);
  });
});
