import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/errors.js';
import { DEFAULT_LONG_ETA_THRESHOLD_SECONDS, LongEtas } from '../../src/long-eta.js';
import { MemoryEtaScheduler } from '../../src/memory/memory-eta-scheduler.js';
import { ETA_SCHEDULE_MAX_BODY_BYTES, type EtaScheduler } from '../../src/ports/eta-scheduler.js';

const long = DEFAULT_LONG_ETA_THRESHOLD_SECONDS + 1;
const candidate = { queue: 'celery', fifo: false, waitSeconds: long, body: 'eyJ0YXNrIjogMX0=' };

function withLog(scheduler?: EtaScheduler): { etas: LongEtas; lines: string[] } {
  const lines: string[] = [];
  return { etas: new LongEtas({ scheduler, warn: (line) => lines.push(line) }), lines };
}

describe('LongEtas.plan', () => {
  it('schedules a wait past the threshold and hops at or under it, without a reason', () => {
    const { etas, lines } = withLog(new MemoryEtaScheduler());
    expect(etas.plan(candidate)).toEqual({ schedule: true });
    expect(etas.plan({ ...candidate, waitSeconds: DEFAULT_LONG_ETA_THRESHOLD_SECONDS })).toEqual({
      schedule: false,
    });
    expect(lines).toEqual([]);
  });

  it('keeps a FIFO message in its group, saying why', () => {
    const { etas } = withLog(new MemoryEtaScheduler());
    const plan = etas.plan({ ...candidate, fifo: true });
    expect(plan.schedule).toBe(false);
    expect(plan).toMatchObject({ reason: expect.stringContaining("keeping the group's order") });
  });

  it('hops an S3 payload pointer, whose attributes a schedule cannot deliver', () => {
    const { etas } = withLog(new MemoryEtaScheduler());
    const attributes = { ExtendedPayloadSize: { dataType: 'Number', stringValue: '300000' } } as const;
    const plan = etas.plan({ ...candidate, attributes });
    expect(plan).toMatchObject({ schedule: false, reason: expect.stringContaining('ExtendedPayloadSize') });
  });

  it("hops a body over the scheduler's input limit, naming its size", () => {
    const { etas } = withLog(new MemoryEtaScheduler());
    const body = 'x'.repeat(ETA_SCHEDULE_MAX_BODY_BYTES + 1);
    expect(etas.plan({ ...candidate, body })).toMatchObject({
      schedule: false,
      reason: expect.stringContaining(`${ETA_SCHEDULE_MAX_BODY_BYTES + 1} bytes`),
    });
    expect(etas.plan({ ...candidate, body: 'x'.repeat(ETA_SCHEDULE_MAX_BODY_BYTES) })).toEqual({
      schedule: true,
    });
  });

  it('hops without a scheduler, or for a queue it has no role for, and says how to configure one', () => {
    expect(withLog().etas.plan(candidate)).toMatchObject({
      schedule: false,
      reason: expect.stringContaining('CELERIAC_SCHEDULER_ROLE_ARN'),
    });
    const { etas } = withLog(new MemoryEtaScheduler(['other']));
    expect(etas.plan(candidate)).toMatchObject({
      schedule: false,
      reason: expect.stringContaining("queue 'celery'"),
    });
  });

  it('logs each kind of reason once per process, not once per message', () => {
    const { etas, lines } = withLog();
    for (let i = 0; i < 5; i++) etas.plan(candidate);
    etas.plan({ ...candidate, fifo: true });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(
      "long ETA on queue 'celery' waits on the queue, not in a schedule: no scheduler is configured",
    );
  });
});

describe('LongEtas.schedule', () => {
  const request = {
    taskId: 't1',
    retries: 0,
    queue: 'celery',
    queueUrl: 'memory://celery',
    body: 'b',
    deliverAt: new Date(Date.now() + 7_200_000),
  };

  it("resolves with the scheduler's result, and a repeat as already scheduled", async () => {
    const scheduler = new MemoryEtaScheduler();
    const { etas } = withLog(scheduler);
    expect(await etas.schedule(request)).toEqual({ scheduleName: 't1-r0', created: true });
    expect(await etas.schedule(request)).toEqual({ scheduleName: 't1-r0', created: false });
    expect([...scheduler.pending().keys()]).toEqual(['t1-r0']);
  });

  it('turns a scheduler failure into a reason to hop, logged once per error kind', async () => {
    const failing: EtaScheduler = {
      accepts: () => true,
      schedule: async () => {
        throw BackendError.failed('EventBridge Scheduler CreateSchedule(default/x)', 'Throttled', true);
      },
    };
    const { etas, lines } = withLog(failing);
    const first = await etas.schedule(request);
    await etas.schedule(request);
    expect(first).toEqual({ failed: expect.stringContaining('CreateSchedule(default/x) failed: Throttled') });
    expect(lines).toHaveLength(1);
  });
});
