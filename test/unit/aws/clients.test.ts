/**
 * The AWS clients against local servers on 127.0.0.1: request timeouts, long polls that outlast them, the SDK's
 * own retries, and region and endpoint resolution left to the SDK.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAwsClients, hasCustomEndpoint } from '../../../src/aws/clients.js';
import { DynamoDbResultStore } from '../../../src/aws/dynamodb-result-store.js';
import { S3PayloadStore } from '../../../src/aws/s3-payload-store.js';
import { SqsBroker } from '../../../src/aws/sqs-broker.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { BackendError } from '../../../src/errors.js';
import { stubAwsTestEnv } from './aws-test-env.js';
import { awsJson, type LocalServer, startHttpServer, startSilentServer } from './local-server.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/celery';
const servers: LocalServer[] = [];
const track = <T extends LocalServer>(server: T): T => {
  servers.push(server);
  return server;
};

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Answers SQS SendMessage (with the MD5 the SDK checks) and ReceiveMessage, after `delayMs`. */
function sqsResponder(delayMs = 0) {
  return async (request: { headers: Record<string, unknown>; body: string }, response: never) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const target = String(request.headers['x-amz-target'] ?? '');
    const input = JSON.parse(request.body || '{}') as { MessageBody?: string };
    if (target.endsWith('.SendMessage')) {
      awsJson(response, 200, { MessageId: 'm-1', MD5OfMessageBody: md5(input.MessageBody ?? '') });
    } else {
      awsJson(response, 200, { Messages: [] });
    }
  };
}

describe('createAwsClients: request timeouts', () => {
  it('fails a call to an endpoint that accepts and never answers with a retryable timeout', async () => {
    stubAwsTestEnv();
    const silent = track(await startSilentServer());
    const clients = createAwsClients({ endpoint: silent.endpoint, requestTimeoutMs: 200 });
    const store = new DynamoDbResultStore(clients.dynamodb, { tableName: 'results' });
    const started = Date.now();
    const failure = await store.get('t-1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendError);
    expect(failure).toMatchObject({ retryable: true });
    expect((failure as Error).message).toMatch(/TimeoutError/);
    // The SDK retried the timeout (three attempts by default), each cut off after 200 ms.
    expect(silent.connections()).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('gives a long poll its wait on top of the request timeout, and holds other calls to the timeout', async () => {
    stubAwsTestEnv();
    // Answers every request after 900 ms: longer than the 300 ms request timeout, shorter than a 1 s poll.
    const slow = track(await startHttpServer(sqsResponder(900) as never));
    const clients = createAwsClients({ endpoint: slow.endpoint, requestTimeoutMs: 300 });
    const broker = new SqsBroker(clients.sqs, { requestTimeoutMs: 300 });
    await expect(broker.receive(QUEUE_URL, { maxMessages: 10, waitTimeSeconds: 1 })).resolves.toEqual([]);
    await expect(broker.send(QUEUE_URL, [{ body: 'e30=' }])).rejects.toMatchObject({
      name: 'BackendError',
      retryable: true,
    });
  });

  it('rejects a timeout that is not a positive number of milliseconds', () => {
    expect(() => createAwsClients({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs.*got 0/);
    expect(() => createAwsClients({ connectionTimeoutMs: -1 })).toThrow(/connectionTimeoutMs.*got -1/);
  });
});

describe('createAwsClients: the SDK’s retries stay on', () => {
  it('uses the standard retry strategy with its default attempts', async () => {
    stubAwsTestEnv();
    const clients = createAwsClients();
    for (const client of [clients.sqs, clients.dynamodb, await clients.s3()]) {
      expect((await client.config.retryStrategy()) as unknown).toMatchObject({ mode: 'standard' });
      expect(await client.config.maxAttempts()).toBeGreaterThanOrEqual(3);
    }
  });

  it('retries a 500 in place, with backoff, before the adapter sees it', async () => {
    stubAwsTestEnv();
    let calls = 0;
    const flaky = track(
      await startHttpServer((_request, response) => {
        calls += 1;
        if (calls < 3) {
          awsJson(response, 500, {
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'boom',
          });
        } else {
          awsJson(response, 200, {});
        }
      }),
    );
    const clients = createAwsClients({ endpoint: flaky.endpoint });
    const store = new DynamoDbResultStore(clients.dynamodb, { tableName: 'results' });
    await expect(store.get('t-1')).resolves.toBeUndefined();
    const max = await clients.dynamodb.config.maxAttempts();
    expect(flaky.requests.map((r) => r.headers['amz-sdk-request'])).toEqual([
      `attempt=1; max=${max}`,
      `attempt=2; max=${max}`,
      `attempt=3; max=${max}`,
    ]);
  });

  it('gives up a permanent 4xx at once, as not retryable', async () => {
    stubAwsTestEnv();
    const refusing = track(
      await startHttpServer((_request, response) =>
        awsJson(response, 400, {
          __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException',
          message: 'not allowed',
        }),
      ),
    );
    const clients = createAwsClients({ endpoint: refusing.endpoint });
    const store = new DynamoDbResultStore(clients.dynamodb, { tableName: 'results' });
    await expect(store.get('t-1')).rejects.toMatchObject({ name: 'BackendError', retryable: false });
    expect(refusing.requests).toHaveLength(1);
  });
});

describe('createAwsClients: region and endpoints through the SDK', () => {
  it('takes the region from the profile when neither the options nor the environment name one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'celeriac-profile-'));
    const configFile = path.join(dir, 'config');
    writeFileSync(configFile, '[profile unit]\nregion = eu-west-3\n');
    stubAwsTestEnv({ AWS_REGION: undefined, AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'unit' });
    const config = resolveConfig({ env: {} });
    expect(config.region).toBeUndefined();
    const clients = createAwsClients(config);
    expect(await clients.sqs.config.region()).toBe('eu-west-3');
    expect(await clients.dynamodb.config.region()).toBe('eu-west-3');
    const explicit = createAwsClients(resolveConfig({ env: {}, region: 'ap-south-1' }));
    expect(await (await explicit.s3()).config.region()).toBe('ap-south-1');
  });

  it('sends each service to its AWS_ENDPOINT_URL_<SERVICE>, else to AWS_ENDPOINT_URL', async () => {
    const sqsServer = track(await startHttpServer(sqsResponder() as never));
    const s3Server = track(
      await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': '5', 'content-type': 'application/json' });
        response.end('hello');
      }),
    );
    const shared = track(await startHttpServer((_request, response) => awsJson(response, 200, {})));
    stubAwsTestEnv({
      AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
      AWS_ENDPOINT_URL_S3: s3Server.endpoint,
      AWS_ENDPOINT_URL: shared.endpoint,
    });
    const config = resolveConfig();
    expect(config.endpoint).toBeUndefined();
    const clients = createAwsClients(config);

    // The queue URL's AWS host is ignored: the configured endpoint takes the request.
    await new SqsBroker(clients.sqs).send(QUEUE_URL, [{ body: 'e30=' }]);
    expect(sqsServer.requests).toHaveLength(1);
    expect(sqsServer.requests[0]?.url).toBe('/');

    await new DynamoDbResultStore(clients.dynamodb, { tableName: 'results' }).get('t-1');
    expect(shared.requests).toHaveLength(1);
    expect(shared.requests[0]?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');

    // Path-style: the bucket is in the path, not in the host name.
    const payloads = new S3PayloadStore(clients.s3, { bucket: 'payloads', prefix: 'celeriac/' });
    const bytes = await payloads.get({ bucket: 'payloads', key: 'celeriac/t-1/message.json' });
    expect(Buffer.from(bytes).toString()).toBe('hello');
    expect(s3Server.requests[0]?.url).toMatch(/^\/payloads\/celeriac\/t-1\/message\.json/);
  });

  it('lets an explicit endpoint win over the environment', async () => {
    const explicit = track(await startHttpServer((_request, response) => awsJson(response, 200, {})));
    const fromEnv = track(await startHttpServer((_request, response) => awsJson(response, 200, {})));
    stubAwsTestEnv({ AWS_ENDPOINT_URL_DYNAMODB: fromEnv.endpoint });
    const clients = createAwsClients(resolveConfig({ endpoint: explicit.endpoint }));
    await new DynamoDbResultStore(clients.dynamodb, { tableName: 'results' }).get('t-1');
    expect(explicit.requests).toHaveLength(1);
    expect(fromEnv.requests).toHaveLength(0);
  });

  it('treats an endpoint as custom when it is explicit or configured, unless configured ones are ignored', () => {
    expect(hasCustomEndpoint('S3', { endpoint: 'http://127.0.0.1:1', env: {} })).toBe(true);
    expect(hasCustomEndpoint('S3', { env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' } })).toBe(true);
    expect(hasCustomEndpoint('SQS', { env: { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' } })).toBe(false);
    expect(hasCustomEndpoint('SQS', { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' } })).toBe(true);
    expect(
      hasCustomEndpoint('SQS', {
        env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' },
      }),
    ).toBe(false);
    expect(hasCustomEndpoint('DYNAMODB', { env: {} })).toBe(false);
  });
});
