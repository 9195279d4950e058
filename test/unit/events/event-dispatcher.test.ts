import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImproperlyConfigured } from '../../../src/errors.js';
import type { CeleryEvent } from '../../../src/events/celery-event.js';
import { createEventDispatcher } from '../../../src/events/create-event-dispatcher.js';
import { EventDispatcher, utcoffset } from '../../../src/events/event-dispatcher.js';
import type { EventSink } from '../../../src/events/event-sink.js';
import { resolveEventsConfig } from '../../../src/events/events-config.js';
import { exceptionRepr } from '../../../src/events/exception-repr.js';
import { MemorySink } from '../../../src/events/memory-sink.js';
import { CELERIAC_VERSION, softwareInfo } from '../../../src/events/software-info.js';
import { StdoutSink } from '../../../src/events/stdout-sink.js';

const clock = { now: () => 1_700_000_000_250 };

describe('EventDispatcher', () => {
  it("stamps Celery's envelope: hostname, pid, utcoffset, a Lamport clock and a timestamp in seconds", () => {
    const sink = new MemorySink();
    const dispatcher = new EventDispatcher({
      sinks: [sink],
      clock,
      sender: { hostname: 'gen7@box', pid: 7 },
    });
    dispatcher.send('task-started', { uuid: 'a' });
    dispatcher.send('task-started', { uuid: 'b' }, { hostname: 'celeriac@box', pid: 8 });
    expect(sink.events).toEqual([
      {
        type: 'task-started',
        uuid: 'a',
        hostname: 'gen7@box',
        pid: 7,
        utcoffset: utcoffset(),
        clock: 1,
        timestamp: 1_700_000_000.25,
      },
      {
        type: 'task-started',
        uuid: 'b',
        hostname: 'celeriac@box',
        pid: 8,
        utcoffset: utcoffset(),
        clock: 2,
        timestamp: 1_700_000_000.25,
      },
    ]);
  });

  it.each([
    [
      'throws from flush',
      () => {
        throw new Error('sync flush bug');
      },
    ],
    ['returns no promise from flush', () => undefined],
    ['rejects its flush', async () => Promise.reject(new Error('async flush bug'))],
  ])('resolves flush when a sink %s, and still flushes the others', async (_what, flush) => {
    let flushed = 0;
    const broken = {
      name: 'broken',
      emit: () => undefined,
      flush,
      stats: () => ({ accepted: 0, delivered: 0, dropped: 0 }),
    } as unknown as EventSink;
    const good: EventSink = {
      name: 'good',
      emit: () => undefined,
      flush: async () => {
        flushed++;
      },
      stats: () => ({ accepted: 0, delivered: 0, dropped: 0 }),
    };
    const dispatcher = new EventDispatcher({ sinks: [broken, good], clock });
    await expect(dispatcher.flush({ timeoutMs: 100 })).resolves.toBeUndefined();
    expect(flushed).toBe(1);
  });

  it('keeps sending to the other sinks when one throws', () => {
    const broken: EventSink = {
      name: 'broken',
      emit: () => {
        throw new Error('sink bug');
      },
      flush: async () => undefined,
      stats: () => ({ accepted: 0, delivered: 0, dropped: 0 }),
    };
    const sink = new MemorySink();
    const dispatcher = new EventDispatcher({ sinks: [broken, sink], clock });
    expect(() => dispatcher.send('task-started', { uuid: 'a' })).not.toThrow();
    expect(sink.events).toHaveLength(1);
  });

  it('utcoffset is hours west of UTC, as Python time.timezone // 3600', () => {
    const at = new Date();
    expect(utcoffset(at)).toBe(Math.floor(at.getTimezoneOffset() / 60));
  });
});

describe('StdoutSink', () => {
  it('writes one JSON line per event', () => {
    const lines: string[] = [];
    const sink = new StdoutSink((line) => lines.push(line));
    const event = { type: 'task-started', uuid: 'a' } as unknown as CeleryEvent;
    sink.emit(event);
    expect(lines).toEqual(['{"type":"task-started","uuid":"a"}\n']);
    expect(sink.stats()).toEqual({ accepted: 1, delivered: 1, dropped: 0 });
  });
});

describe('the events setting', () => {
  it('is off by default: no sink, no dispatcher', () => {
    const config = resolveEventsConfig(undefined, {});
    expect(config).toMatchObject({
      sinks: [],
      taskSentEvent: false,
      eventBusName: 'default',
      heartbeatSeconds: 30,
    });
    expect(createEventDispatcher(config, { clock, sender: { hostname: 'h', pid: 1 } })).toBeUndefined();
  });

  it('reads CELERIAC_EVENTS, CELERIAC_EVENT_BUS and CELERIAC_TASK_SEND_SENT_EVENT; explicit options win', () => {
    const env = {
      CELERIAC_EVENTS: 'stdout, eventbridge',
      CELERIAC_EVENT_BUS: 'ops',
      CELERIAC_TASK_SEND_SENT_EVENT: 'true',
    };
    expect(resolveEventsConfig(undefined, env)).toMatchObject({
      sinks: ['stdout', 'eventbridge'],
      eventBusName: 'ops',
      taskSentEvent: true,
    });
    expect(resolveEventsConfig({ sinks: ['stdout'], taskSentEvent: false }, env)).toMatchObject({
      sinks: ['stdout'],
      taskSentEvent: false,
    });
  });

  it('refuses an unknown sink name, saying which names work', () => {
    expect(() => resolveEventsConfig(undefined, { CELERIAC_EVENTS: 'kafka' })).toThrow(
      /CELERIAC_EVENTS names an unknown event sink "kafka"; use stdout and\/or eventbridge/,
    );
    expect(() => resolveEventsConfig({ heartbeatSeconds: 0 }, {})).toThrow(ImproperlyConfigured);
  });

  it('refuses the eventbridge sink on a transport without a bus', () => {
    const config = resolveEventsConfig({ sinks: ['eventbridge'] }, {});
    expect(() => createEventDispatcher(config, { clock, sender: { hostname: 'h', pid: 1 } })).toThrow(
      /needs an event bus/,
    );
  });
});

describe('event field helpers', () => {
  it("writes an exception's repr as Python does", () => {
    expect(exceptionRepr({ exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' })).toBe(
      "ValueError('boom')",
    );
    expect(exceptionRepr({ exc_type: 'KeyError', exc_message: ['a', 2], exc_module: 'builtins' })).toBe(
      "KeyError('a', 2)",
    );
    expect(exceptionRepr({ exc_type: 'Ignore', exc_message: [], exc_module: null })).toBe('Ignore()');
    // kombu's safe_repr is repr(): a quote in the text switches to double quotes, unlike Celery's saferepr.
    expect(exceptionRepr({ exc_type: 'TypeError', exc_message: ["it's"], exc_module: 'builtins' })).toBe(
      'TypeError("it\'s")',
    );
    expect(exceptionRepr({ exc_type: 'E', exc_message: ['a\'b"c\n'], exc_module: null })).toBe(
      "E('a\\'b\"c\\n')",
    );
    // What str.isprintable() refuses is escaped, as Python 3.11 writes it (checked with repr() there); letters
    // and emoji stay.
    expect(
      exceptionRepr({
        exc_type: 'ValueError',
        exc_message: ['a\x85b\u2028c\u200bd\u{e0001}e\x7f\u00a0 \ud800 é😀'],
        exc_module: 'builtins',
      }),
    ).toBe("ValueError('a\\x85b\\u2028c\\u200bd\\U000e0001e\\x7f\\xa0 \\ud800 é😀')");
  });

  it("names the software as celeriac with package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(CELERIAC_VERSION).toBe(pkg.version);
    expect(softwareInfo()).toMatchObject({ sw_ident: 'celeriac', sw_ver: pkg.version });
  });
});
