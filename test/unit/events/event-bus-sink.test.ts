import { describe, expect, it } from 'vitest';
import type { CeleryEvent } from '../../../src/events/celery-event.js';
import { EventBusSink } from '../../../src/events/event-bus-sink.js';
import {
  EVENT_BUS_MAX_BATCH_BYTES,
  EVENT_BUS_MAX_ENTRIES,
  type EventBus,
  type EventBusEntry,
  eventBusEntryBytes,
} from '../../../src/ports/event-bus.js';

/** A bus that records each call's entries. */
class RecordingBus implements EventBus {
  readonly calls: EventBusEntry[][] = [];
  refuse = 0;
  async put(entries: readonly EventBusEntry[]) {
    this.calls.push([...entries]);
    const failedCount = Math.min(this.refuse, entries.length);
    return { failedCount };
  }
}

let clock = 0;
const event = (uuid: string, extra: Record<string, unknown> = {}): CeleryEvent =>
  ({
    type: 'task-started',
    uuid,
    hostname: 'celeriac@test',
    utcoffset: 0,
    pid: 1,
    clock: ++clock,
    timestamp: 1_700_000_000.5,
    ...extra,
  }) as CeleryEvent;

describe('EventBusSink', () => {
  it('sends buffered events in calls of at most 10 entries, in order, as Celery events in Detail', async () => {
    const bus = new RecordingBus();
    const sink = new EventBusSink({ bus });
    for (let i = 0; i < 23; i++) sink.emit(event(`t${i}`));
    await sink.flush();
    expect(bus.calls.map((call) => call.length)).toEqual([10, 10, 3]);
    const sent = bus.calls.flat();
    expect(sent.map((entry) => JSON.parse(entry.detail).uuid)).toEqual(
      Array.from({ length: 23 }, (_, i) => `t${i}`),
    );
    expect(sent[0]).toMatchObject({ source: 'celeriac', detailType: 'task-started' });
    expect(sent[0]?.time.getTime()).toBe(1_700_000_000_500);
    expect(sink.stats()).toEqual({ accepted: 23, delivered: 23, dropped: 0 });
  });

  it('starts a call on its own once 10 events wait, without a flush', async () => {
    const bus = new RecordingBus();
    const sink = new EventBusSink({ bus });
    for (let i = 0; i < EVENT_BUS_MAX_ENTRIES - 1; i++) sink.emit(event(`t${i}`));
    await Promise.resolve();
    expect(bus.calls).toHaveLength(0);
    sink.emit(event('t9'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(bus.calls.map((call) => call.length)).toEqual([10]);
  });

  it('keeps each call within 256 KiB of entries', async () => {
    const bus = new RecordingBus();
    const sink = new EventBusSink({ bus });
    const big = 'x'.repeat(60_000);
    for (let i = 0; i < 9; i++) sink.emit(event(`t${i}`, { traceback: big }));
    await sink.flush();
    expect(bus.calls.length).toBeGreaterThan(1);
    for (const call of bus.calls) {
      expect(call.length).toBeLessThanOrEqual(EVENT_BUS_MAX_ENTRIES);
      expect(call.reduce((sum, entry) => sum + eventBusEntryBytes(entry), 0)).toBeLessThanOrEqual(
        EVENT_BUS_MAX_BATCH_BYTES,
      );
    }
    expect(bus.calls.flat()).toHaveLength(9);
  });

  it('drops an event larger than a whole call, counting it', async () => {
    const bus = new RecordingBus();
    const drops: string[] = [];
    const sink = new EventBusSink({ bus, onDrop: (_count, reason) => drops.push(reason) });
    sink.emit(event('huge', { traceback: 'x'.repeat(EVENT_BUS_MAX_BATCH_BYTES) }));
    sink.emit(event('small'));
    await sink.flush();
    expect(bus.calls.flat().map((entry) => JSON.parse(entry.detail).uuid)).toEqual(['small']);
    expect(sink.stats()).toEqual({ accepted: 2, delivered: 1, dropped: 1 });
    expect(drops[0]).toMatch(/larger than 262144 bytes/);
  });

  it('bounds its buffer: past maxBuffered the oldest events are dropped and counted', async () => {
    const bus = new RecordingBus();
    const sink = new EventBusSink({ bus, maxBuffered: 5 });
    // Fewer than 10 at a time, so nothing goes out before the flush.
    for (let i = 0; i < 8; i++) sink.emit(event(`t${i}`));
    await sink.flush();
    expect(bus.calls.flat().map((entry) => JSON.parse(entry.detail).uuid)).toEqual([
      't3',
      't4',
      't5',
      't6',
      't7',
    ]);
    expect(sink.stats()).toEqual({ accepted: 8, delivered: 5, dropped: 3 });
  });

  it('counts entries the bus refused as dropped', async () => {
    const bus = new RecordingBus();
    bus.refuse = 2;
    const sink = new EventBusSink({ bus });
    for (let i = 0; i < 4; i++) sink.emit(event(`t${i}`));
    await sink.flush();
    expect(sink.stats()).toEqual({ accepted: 4, delivered: 2, dropped: 2 });
  });

  it('never throws at emit or flush when the bus is down; the lost events are counted and reported', async () => {
    const reasons: string[] = [];
    const sink = new EventBusSink({
      bus: { put: async () => Promise.reject(new Error('ThrottlingException: Rate exceeded')) },
      onDrop: (count, reason) => reasons.push(`${count}: ${reason}`),
    });
    for (let i = 0; i < 12; i++) expect(() => sink.emit(event(`t${i}`))).not.toThrow();
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink.stats()).toEqual({ accepted: 12, delivered: 0, dropped: 12 });
    expect(reasons).toEqual([
      '10: ThrottlingException: Rate exceeded',
      '2: ThrottlingException: Rate exceeded',
    ]);
  });

  it('gives up waiting for a bus that hangs after timeoutMs', async () => {
    const sink = new EventBusSink({ bus: { put: () => new Promise(() => undefined) } });
    sink.emit(event('t0'));
    const startedAt = Date.now();
    await sink.flush({ timeoutMs: 50 });
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(sink.stats().delivered).toBe(0);
  });

  it('sends events that arrive while a call is in flight in the same flush', async () => {
    let release: () => void = () => undefined;
    const calls: number[] = [];
    const sink = new EventBusSink({
      bus: {
        put: async (entries) => {
          calls.push(entries.length);
          if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
          return { failedCount: 0 };
        },
      },
    });
    sink.emit(event('first'));
    const flushed = sink.flush();
    await Promise.resolve();
    sink.emit(event('second'));
    release();
    await flushed;
    expect(calls).toEqual([1, 1]);
    expect(sink.stats().delivered).toBe(2);
  });
});
