/**
 * A real Python Celery client sends tasks; celeriac runs them; Python reads the results.
 *
 * The Python side is the fixture app (`python/fixtures/celeriac_fixtures`) run through `runPython`: it sends to
 * the SQS queue `<prefix>celery` with kombu and reads results with Celery's DynamoDB backend
 * (`AsyncResult.get()`). The TypeScript side is `test/fixtures/interop-app.ts`, run by both hosts:
 * - the Lambda handler, fed in-process by a driver that behaves like the SQS event source mapping;
 * - `celeriac worker --app test/fixtures/interop-app.ts` as a real process, which finds the queue by the same
 *   kombu prefix (`CELERIAC_TEST_QUEUE_PREFIX`) Python uses.
 *
 * The test creates each host's queue (with a dead-letter queue) and the shared results table before either side
 * starts, so neither depends on the other's create-on-first-use: kombu finds an existing queue by name, Celery's
 * DynamoDB backend uses an existing table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { defineInteropTasks } from '../fixtures/interop-app.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { runPython } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const resultTable = uniqueName('py2ts-results');

/** A celeriac host consuming one queue in the background. */
interface Host {
  /** Every per-message line the host printed so far. */
  logs(): string;
  stop(): Promise<void>;
}

/** The Lambda handler behind an event-source-mapping driver that polls until stopped. */
function startLambdaHost(queueUrl: string): Host {
  const lines: string[] = [];
  const app = createApp({
    queueUrls: { celery: queueUrl },
    resultTable,
    env: { AWS_ENDPOINT_URL: endpoint },
  });
  defineInteropTasks(app);
  const handler = createSqsHandler(app, { log: (line) => lines.push(line) });
  let stopping = false;
  const loop = (async () => {
    while (!stopping) await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 1 });
  })();
  return {
    logs: () => lines.join('\n'),
    async stop() {
      stopping = true;
      await loop;
    },
  };
}

/** `celeriac worker` as a child process. */
async function startCliHost(queuePrefix: string): Promise<Host> {
  const worker: CliProcess = startCli(
    ['worker', '--app', 'test/fixtures/interop-app.ts', '--wait-time', '1', '--concurrency', '4'],
    { CELERIAC_TEST_QUEUE_PREFIX: queuePrefix, CELERIAC_RESULT_TABLE: resultTable },
  );
  await worker.waitFor(/consuming celery/);
  return {
    logs: () => worker.output(),
    async stop() {
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      if (exit.code !== 0)
        throw new Error(`celeriac worker exited with ${JSON.stringify(exit)}:\n${worker.output()}`);
    },
  };
}

/** Python source that sets up the client: the fixture app, and client-side stubs of the TypeScript tasks. */
const PRELUDE = `
import datetime as dt, decimal, json, time, uuid
from celeriac_fixtures.app import app
import celery.exceptions

@app.task(name="interop.add")
def add(a, b):
    raise AssertionError("runs in TypeScript")

@app.task(name="interop.echo")
def echo(*args, **kwargs):
    raise AssertionError("runs in TypeScript")

@app.task(name="interop.now")
def now():
    raise AssertionError("runs in TypeScript")

def describe_failure(r):
    exc = r.get(timeout=30, propagate=False)
    try:
        r.get(timeout=5)
        raised = None
    except Exception as error:
        raised = type(error).__name__
    return {
        "state": r.state,
        "type": type(exc).__name__,
        "module": type(exc).__module__,
        "args": [repr(a) for a in exc.args],
        "str": str(exc),
        "raised": raised,
        "traceback": r.traceback,
    }
`;

const hosts = [
  { name: 'the Lambda handler', start: (queueUrl: string, _prefix: string) => startLambdaHost(queueUrl) },
  { name: 'celeriac worker', start: (_queueUrl: string, prefix: string) => startCliHost(prefix) },
] as const;

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

describe.each(hosts)('a Python Celery client with tasks run by $name', ({ start }) => {
  const queuePrefix = `${uniqueName('py2ts')}-`;
  let host: Host;
  const python = <T>(code: string) =>
    runPython<T>(PRELUDE + code, { queuePrefix, resultTable, timeoutMs: 60_000 });

  beforeAll(async () => {
    const { queueUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    host = await start(queueUrl, queuePrefix);
  });

  afterAll(async () => {
    await host?.stop();
  });

  it('gets results of send_task, apply_async and delay', async () => {
    const out = await python<{ results: unknown[]; states: string[] }>(`
rs = [
    app.send_task("interop.add", args=(2, 3)),
    app.send_task("interop.add", args=(1,), kwargs={"b": 10}),
    add.apply_async((20, 22)),
    add.apply_async(kwargs={"a": 1, "b": 1}),
    add.delay(100, 1),
]
print(json.dumps({"results": [r.get(timeout=30) for r in rs], "states": [r.state for r in rs]}))
`);
    expect(out).toEqual({ results: [5, 11, 42, 2, 101], states: Array(5).fill('SUCCESS') });
  });

  it('runs a countdown task no earlier than its eta, re-delaying the message instead of holding it', async () => {
    const out = await python<{
      taskId: string;
      ranAfterEtaMs: number;
      secondsAfterSend: number;
      state: string;
    }>(`
sent_at = dt.datetime.now(dt.timezone.utc)
r = now.apply_async(countdown=3)
ran_at = r.get(timeout=40)
# Celery sets eta = now + countdown after sent_at; JavaScript dates hold milliseconds.
eta_floor = (sent_at + dt.timedelta(seconds=3)).replace(microsecond=(sent_at.microsecond // 1000) * 1000)
print(json.dumps({
    "taskId": r.id,
    "state": r.state,
    "ranAfterEtaMs": (ran_at - eta_floor) / dt.timedelta(milliseconds=1),
    "secondsAfterSend": (ran_at - sent_at).total_seconds(),
}))
`);
    expect(out.state).toBe('SUCCESS');
    expect(out.ranAfterEtaMs).toBeGreaterThanOrEqual(0);
    expect(out.secondsAfterSend).toBeLessThan(20);
    // The first delivery came before the eta: the host sent a delayed copy and let go of it within a second.
    const delayed = new RegExp(`^task ${out.taskId} interop\\.now DELAYED (\\d+)ms`, 'm').exec(host.logs());
    expect(delayed, host.logs()).not.toBeNull();
    expect(Number(delayed?.[1])).toBeLessThan(1000);
    expect(host.logs()).toMatch(new RegExp(`^task ${out.taskId} interop\\.now SUCCESS`, 'm'));
  });

  it('runs a task whose expires is in the future and revokes one whose expires has passed', async () => {
    const out = await python<{ future: [string, number]; past: Record<string, unknown> }>(`
future = add.apply_async((3, 4), expires=60)
past = add.apply_async((5, 6), expires=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30))
exc = past.get(timeout=30, propagate=False)
print(json.dumps({
    "future": [future.state, future.get(timeout=30)],
    "past": {
        "state": past.state,
        "type": type(exc).__name__,
        "is_revoked_error": isinstance(exc, celery.exceptions.TaskRevokedError),
        "args": list(exc.args),
    },
}))
`);
    expect(out.future).toEqual(['SUCCESS', 7]);
    expect(out.past).toEqual({
      state: 'REVOKED',
      type: 'TaskRevokedError',
      is_revoked_error: true,
      args: ['expired'],
    });
  });

  it('round-trips args and kwargs of every kombu type through a TypeScript task, as Python compares them', async () => {
    const out = await python<{ mismatches: string[]; checked: number; lossy: Record<string, string> }>(`
utc = dt.timezone.utc
plus2 = dt.timezone(dt.timedelta(hours=2))
args = [
    dt.datetime(2024, 2, 29, 23, 59, 58, 123000, tzinfo=utc),
    dt.date(2024, 2, 29),
    dt.time(12, 34, 56, 789012),
    dt.time(1, 2, 3, tzinfo=plus2),
    decimal.Decimal("1.10"),
    decimal.Decimal("-12345678901234567890.000000001"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    b"valid utf-8 bytes \\xc3\\xa9",
    b"\\xff\\xfe\\x00\\x80 not utf-8",
    b"",
    "non-ASCII: na\\u00efve caf\\u00e9 \\u2713 \\u65e5\\u672c\\u8a9e \\U0001d11e",
    [1, 2.5, None, True, False, "", [], {}, [[["deep"]]]],
    {"nested": {"list": [decimal.Decimal("0.5"), {"when": dt.date(2000, 1, 1)}], "bytes": b"\\x01"}},
    -(2 ** 53) + 1,
]
kwargs = {
    "instant": dt.datetime(1999, 12, 31, 23, 0, tzinfo=utc),
    "\\u00fcnicode-k\\u00e9y": "v\\u00e4rde",
    "raw": b"\\x00\\x01\\x80\\xff",
    "id": uuid.uuid4(),
    "amounts": [decimal.Decimal("0.01"), decimal.Decimal("1E+3")],
}
# Precision a JavaScript Date cannot hold: it comes back at millisecond precision, as the same instant in UTC.
lossy_in = dt.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=plus2)
lossy_expected = dt.datetime(2024, 1, 2, 1, 4, 5, 678000, tzinfo=utc)

got = echo.apply_async(args + [lossy_in], kwargs).get(timeout=30)
expected = [args + [lossy_expected], kwargs]

mismatches = []
def same(a, b, path):
    if type(a) is not type(b):
        mismatches.append(f"{path}: sent {a!r} ({type(a).__name__}), got {b!r} ({type(b).__name__})")
    elif isinstance(a, dict):
        if list(a) != list(b):
            mismatches.append(f"{path}: keys {list(a)!r} != {list(b)!r}")
        for k in a:
            if k in b:
                same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, list):
        if len(a) != len(b):
            mismatches.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dt.datetime) and (a != b or a.utcoffset() != b.utcoffset()):
        mismatches.append(f"{path}: sent {a!r}, got {b!r}")
    elif isinstance(a, decimal.Decimal) and str(a) != str(b):
        mismatches.append(f"{path}: sent {a!r}, got {b!r}")
    elif a != b:
        mismatches.append(f"{path}: sent {a!r}, got {b!r}")
same(expected, got, "$")
print(json.dumps({"mismatches": mismatches, "checked": len(args) + 1 + len(kwargs), "lossy": {"sent": lossy_in.isoformat(), "got": got[0][-1].isoformat()}}))
`);
    expect(out.mismatches).toEqual([]);
    expect(out.checked).toBe(20);
    expect(out.lossy).toEqual({
      sent: '2024-01-02T03:04:05.678901+02:00',
      got: '2024-01-02T01:04:05.678000+00:00',
    });
  });

  it('sees a task that throws in TypeScript as FAILURE with an exception Python rebuilds', async () => {
    const out = await python<Record<string, Record<string, unknown>>>(`
print(json.dumps({
    "type_error": describe_failure(app.send_task("interop.type_error", args=("seven",))),
    "declined": describe_failure(app.send_task("interop.declined", args=("4242",))),
    "value_error": describe_failure(app.send_task("interop.value_error")),
}))
`);
    expect(out.type_error).toMatchObject({
      state: 'FAILURE',
      type: 'TypeError',
      module: 'builtins',
      args: [`'expected a number, got "seven"'`],
      raised: 'TypeError',
    });
    // A JavaScript class Python does not know (module `celeriac`): Celery synthesizes an exception class of that
    // name in `celery.exceptions`.
    expect(out.declined).toMatchObject({
      state: 'FAILURE',
      type: 'PaymentDeclined',
      module: 'celery.exceptions',
      args: [`'card 4242 declined'`],
      str: 'card 4242 declined',
      raised: 'PaymentDeclined',
    });
    expect(out.value_error).toMatchObject({
      state: 'FAILURE',
      type: 'ValueError',
      module: 'builtins',
      args: [`'bad value'`, '42'],
      str: "('bad value', 42)",
      raised: 'ValueError',
    });
    // The traceback Python sees is the JavaScript stack: where the task threw.
    expect(out.type_error?.traceback).toMatch(/TypeError: expected a number[\s\S]*interop-app\.ts/);
    expect(out.declined?.traceback).toMatch(/PaymentDeclined: card 4242 declined/);
  });

  it('stores FAILURE NotRegistered for a task name no TypeScript task has, which Python reads', async () => {
    const out = await python<Record<string, unknown>>(`
r = app.send_task("interop.no_such_task", args=(1,))
info = describe_failure(r)
exc = r.get(timeout=5, propagate=False)
info["is_not_registered"] = isinstance(exc, celery.exceptions.NotRegistered)
print(json.dumps(info))
`);
    expect(out).toMatchObject({
      state: 'FAILURE',
      type: 'NotRegistered',
      module: 'celery.exceptions',
      args: [`'interop.no_such_task'`],
      raised: 'NotRegistered',
      is_not_registered: true,
    });
  });
});
