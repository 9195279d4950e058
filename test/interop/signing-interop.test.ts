/**
 * Message signing against real Python Celery 5.6 (`setup_security()`, the `auth` serializer), both directions,
 * on the emulator, with throw-away keys and certificates made for this run:
 * - celeriac's client signs; a Python worker whose cert store trusts celeriac's certificate runs the tasks.
 * - Python's producer signs; a celeriac worker whose cert store trusts Python's certificate runs them.
 * - Unsigned, tampered, wrongly signed and expired-certificate messages are refused by the celeriac worker
 *   before anything runs, no result is stored under the id they claim, and they end in the dead-letter queue.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp, loadSecurityFiles } from '../../src/index.js';
import { createSqsHandler } from '../../src/lambda/create-sqs-handler.js';
import { uniqueName } from '../emulator/unique-name.js';
import { pollOnce } from '../helpers/event-source-mapping.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import { makeTestCertificate } from '../helpers/test-certificates.js';
import { type PythonWorker, runPython, startPythonWorker } from './helpers/python-celery.js';

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const resultTable = uniqueName('signing-results');
const GET = { timeoutMs: 30_000, intervalMs: 50, maxIntervalMs: 250 } as const;

const ts = makeTestCertificate({ commonName: 'celeriac-signer', serial: 7001 });
const py = makeTestCertificate({ commonName: 'python-signer', serial: 7002 });
const stranger = makeTestCertificate({ commonName: 'stranger', serial: 7003 });
const expired = makeTestCertificate({
  commonName: 'expired',
  serial: 7004,
  notBeforeDays: -30,
  notAfterDays: -1,
});

const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-signing-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}
const pythonStore = path.join(dir, 'python-store');
mkdirSync(pythonStore);
write('python-store/celeriac.pem', ts.certificatePem);
write('python-store/python.pem', py.certificatePem);
const tsStore = path.join(dir, 'ts-store');
mkdirSync(tsStore);
write('ts-store/python.pem', py.certificatePem);
write('ts-store/celeriac.pem', ts.certificatePem);
write('ts-store/expired.pem', expired.certificatePem);

const pythonSecurityEnv = {
  CELERIAC_TEST_SECURITY_KEY: write('python.key', py.keyPem),
  CELERIAC_TEST_SECURITY_CERTIFICATE: write('python.pem', py.certificatePem),
  CELERIAC_TEST_SECURITY_CERT_STORE: pythonStore,
};
const tsSecurity = loadSecurityFiles({
  key: write('celeriac.key', ts.keyPem),
  certificate: write('celeriac.pem', ts.certificatePem),
  certStore: tsStore,
});

beforeAll(async () => {
  await ensureResultTable(new DynamoDBClient({ endpoint }), resultTable);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('celeriac signs, a Python worker with setup_security() runs', () => {
  const queuePrefix = `${uniqueName('sign-ts2py')}-`;
  let worker: PythonWorker;

  beforeAll(async () => {
    await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`);
    worker = await startPythonWorker({ queuePrefix, resultTable, env: pythonSecurityEnv });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
  });

  it('runs signed JSON, signed msgpack and signed compressed messages', async () => {
    const app = createApp({
      queueNamePrefix: queuePrefix,
      resultTable,
      security: tsSecurity,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const plain = await app.sendTask<number>('tasks.add', [2, 3]);
    const zipped = await app.sendTask<number>('tasks.add', [4, 5], {}, { compression: 'zlib' });
    expect(await plain.get(GET), worker.logs()).toBe(5);
    expect(await zipped.get(GET), worker.logs()).toBe(9);
    expect(worker.logs()).not.toMatch(/SecurityError|ContentDisallowed/);
  });

  it('is refused by the Python worker when signed with a certificate it does not trust', async () => {
    const strangerSecurity = loadSecurityFiles({
      key: write('stranger.key', stranger.keyPem),
      certificate: write('stranger.pem', stranger.certificatePem),
    });
    const app = createApp({
      queueNamePrefix: queuePrefix,
      resultTable,
      security: strangerSecurity,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    await app.sendTask('tasks.add', [1, 1]);
    const deadline = Date.now() + 20_000;
    while (!/Unknown certificate|SecurityError/.test(worker.logs()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(worker.logs()).toMatch(/Unknown certificate|SecurityError/);
  });
});

describe('Python signs, a celeriac worker with a cert store runs', () => {
  const queuePrefix = `${uniqueName('sign-py2ts')}-`;
  let queueUrl: string;
  let deadLetterUrl: string;
  const runs: number[] = [];
  const lines: string[] = [];
  let handler: ReturnType<typeof createSqsHandler>;

  beforeAll(async () => {
    ({ queueUrl, deadLetterUrl } = await createQueueWithDeadLetter(sqs, `${queuePrefix}celery`, {
      maxReceiveCount: 1,
    }));
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      security: tsSecurity,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    app.task('interop.add', (a: number, b: number) => {
      runs.push(a + b);
      return a + b;
    });
    handler = createSqsHandler(app, { log: (line) => lines.push(line) });
  });

  const pythonSend = (code: string, env: Record<string, string> = pythonSecurityEnv) =>
    runPython<{ id: string; body?: string }>(
      'import json\nfrom celeriac_fixtures.app import app\n' +
        '@app.task(name="interop.add")\ndef add(a, b):\n    raise AssertionError("runs in TypeScript")\n' +
        code,
      { queuePrefix, resultTable, env },
    );

  it('runs what Python signed, and Python reads the result', async () => {
    const sent = await pythonSend('r = add.apply_async((20, 22))\nprint(json.dumps({"id": r.id}))');
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 5 });
    expect(poll.response?.batchItemFailures, lines.join('\n')).toEqual([]);
    const read = await runPython<{ result: number }>(
      `import json\nfrom celeriac_fixtures.app import app\nprint(json.dumps({"result": app.AsyncResult("${sent.id}").get(timeout=20)}))`,
      { queuePrefix, resultTable, env: pythonSecurityEnv },
    );
    expect(read.result).toBe(42);
  });

  async function refused(body: string, reason: RegExp): Promise<void> {
    const before = runs.length;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const poll = await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 5, visibilityTimeoutSeconds: 0 });
    expect(poll.records).toHaveLength(1);
    expect(poll.response?.batchItemFailures).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/INVALID/);
    expect(lines.at(-1)).toMatch(reason);
    // Past maxReceiveCount (1) the redrive policy moves it to the dead-letter queue.
    for (let i = 0; i < 3; i++)
      await pollOnce(sqs, queueUrl, handler, { waitTimeSeconds: 0, visibilityTimeoutSeconds: 0 });
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, WaitTimeSeconds: 2 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual([body]);
    expect(runs.length).toBe(before);
  }

  /** What Python's producer put on the queue, taken off it without running. */
  async function pythonMessage(
    code: string,
    env?: Record<string, string>,
  ): Promise<{ id: string; body: string }> {
    const { id } = await pythonSend(code, env);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5 }),
    );
    const message = Messages[0];
    if (!message?.Body || !message.ReceiptHandle) throw new Error('no message');
    const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    return { id, body: message.Body };
  }

  it('refuses an unsigned Python message, storing nothing under its id', async () => {
    const { id, body } = await pythonMessage(
      'r = add.apply_async((1, 2))\nprint(json.dumps({"id": r.id}))',
      {},
    );
    await refused(body, /SecurityError: Refusing an unsigned message/);
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    expect(await app.asyncResult(id).state()).toBe('PENDING');
  });

  it('refuses a Python-signed message whose body was tampered with', async () => {
    const { body } = await pythonMessage('r = add.apply_async((1, 2))\nprint(json.dumps({"id": r.id}))');
    const envelope = JSON.parse(Buffer.from(body, 'base64').toString()) as { body: string };
    const auth = Buffer.from(Buffer.from(envelope.body, 'base64').toString(), 'base64').toString('latin1');
    expect(auth).toContain('[[1, 2]');
    const forged = Buffer.from(auth.replace('[[1, 2]', '[[1, 9]'), 'latin1').toString('base64');
    envelope.body = Buffer.from(forged).toString('base64');
    await refused(Buffer.from(JSON.stringify(envelope)).toString('base64'), /does not match the body/);
  });

  it('refuses a message signed by a certificate outside the store', async () => {
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      security: loadSecurityFiles({
        key: write('s2.key', stranger.keyPem),
        certificate: write('s2.pem', stranger.certificatePem),
      }),
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const request = app.client.request({ name: 'interop.add', args: [1, 2] });
    const { Producer } = await import('../../src/producer.js');
    const prepared = await new Producer(app.runtime).prepare(request);
    await refused(prepared.outgoing.body, /not in the certificate store/);
  });

  it('refuses a message whose signer certificate has expired', async () => {
    const app = createApp({
      queueUrls: { celery: queueUrl },
      resultTable,
      security: loadSecurityFiles({
        key: write('old.key', expired.keyPem),
        certificate: write('old.pem', expired.certificatePem),
      }),
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    const request = app.client.request({ name: 'interop.add', args: [1, 2] });
    const { Producer } = await import('../../src/producer.js');
    const prepared = await new Producer(app.runtime).prepare(request);
    await refused(prepared.outgoing.body, /expired-certificate|valid from/);
  });
});
