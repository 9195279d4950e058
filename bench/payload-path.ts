/**
 * What the S3 path costs against a plain message of the same size, to choose the offload thresholds from data.
 *
 * For each payload size, through celeriac's real client and worker core on one moto server:
 * - messages: send → receive → resolve → decode, inline (threshold above the size) and through S3 (threshold 1);
 * - results: store → read back, in the DynamoDB item and through S3.
 * It prints the time per operation measured here, the AWS requests each path makes (counted at the SDK), and
 * what those requests cost on AWS at list prices (us-east-1: SQS $0.40 per million 64 KiB request chunks, S3 PUT
 * $5 and GET $0.40 per million, DynamoDB on demand $0.625 per million write units of 1 KiB and $0.125 per million
 * read units of 4 KiB, eventually consistent reads at half). moto's latencies are not AWS's: compare the two paths
 * with each other, not with AWS.
 *
 * Run: npm run bench:payloads
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { createAwsClients } from '../src/aws/clients.js';
import { ensureResultTable } from '../src/aws/index.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import { App, createAwsTransport } from '../src/index.js';
import { buildResultMeta } from '../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../src/protocol/task-message.js';
import { startMotoServer } from '../test/emulator/moto-server.js';
import { useBenchEnv } from './fast-emulators.js';

const SIZES_KIB = [16, 64, 128, 256, 384, 512, 700, 896, 1000];
const ROUNDS = 8;

/** The slice of the SDK's middleware stack this bench uses (the full types live in a transitive package). */
type CountingMiddleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;
interface StackWithAdd {
  add(middleware: CountingMiddleware, options: { step: 'initialize'; name: string }): void;
}

interface Counted {
  readonly calls: Map<string, number>;
}

async function countCalls(clients: ReturnType<typeof createAwsClients>): Promise<Counted> {
  const calls = new Map<string, number>();
  const services = { sqs: clients.sqs, dynamodb: clients.dynamodb, s3: await clients.s3() };
  for (const [service, client] of Object.entries(services)) {
    const counting: CountingMiddleware = (next, context) => async (args) => {
      const key = `${service}:${context.commandName ?? '?'}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return next(args);
    };
    (client.middlewareStack as unknown as StackWithAdd).add(counting, {
      step: 'initialize',
      name: 'celeriacBenchCounter',
    });
  }
  return { calls };
}

const price = {
  sqsChunk: 0.4e-6,
  s3Put: 5e-6,
  s3Get: 0.4e-6,
  ddbWriteUnit: 0.625e-6,
  ddbReadUnit: 0.125e-6,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const moto = await startMotoServer();
  try {
    useBenchEnv();
    const clients = createAwsClients({ region: 'us-east-1', endpoint: moto.endpoint });
    const counter = await countCalls(clients);
    await (await clients.s3()).send(new CreateBucketCommand({ Bucket: 'bench-payloads' }));
    await ensureResultTable(clients.dynamodb, 'bench-results');
    const { QueueUrl = '' } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));

    const appWith = (thresholdBytes: number) => {
      const config = resolveConfig({
        env: {},
        endpoint: moto.endpoint,
        queueUrls: { celery: QueueUrl },
        resultTable: 'bench-results',
        payloadBucket: 'bench-payloads',
        payloadThresholdBytes: thresholdBytes,
        resultThresholdBytes: thresholdBytes,
      });
      return new App(config, createAwsTransport(config, clients));
    };
    const inline = appWith(64 * 1024 * 1024);
    const offloaded = appWith(1);

    console.log(
      'Messages: send, receive, resolve and decode one task message (median of %d rounds)\n',
      ROUNDS,
    );
    console.log(
      '  payload | MessageBody | inline ms | S3 ms | ratio | inline requests -> cost/M | S3 requests -> cost/M',
    );
    for (const kib of SIZES_KIB) {
      const text = 'x'.repeat(Math.floor((kib * 1024) / (16 / 9)));
      const measure = async (app: App) => {
        const times: number[] = [];
        let bodyBytes = 0;
        counter.calls.clear();
        for (let i = 0; i < ROUNDS; i++) {
          const start = performance.now();
          await app.sendTask('tasks.echo', [text]);
          const [message] = await app.runtime.broker.receive(QueueUrl, {
            maxMessages: 1,
            waitTimeSeconds: 1,
          });
          if (!message) throw new Error('no message received');
          bodyBytes = Buffer.byteLength(message.body);
          const body = await app.runtime.payloads.resolveMessage(message.body, message.attributes);
          decodeTaskMessage(body);
          await app.runtime.broker.delete(QueueUrl, [message.receiptHandle]);
          times.push(performance.now() - start);
        }
        const perRound = (key: string) => (counter.calls.get(key) ?? 0) / ROUNDS;
        return { ms: median(times), bodyBytes, perRound };
      };
      const a = await measure(inline);
      const b = await measure(offloaded);
      const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / 65_536));
      // Send and receive are billed per 64 KiB chunk of the message; delete is one request.
      const inlineRequests = 2 * chunks(a.bodyBytes) + 1;
      const s3Requests = 2 * chunks(b.bodyBytes) + 1;
      const inlineCost = inlineRequests * price.sqsChunk;
      const s3Cost =
        s3Requests * price.sqsChunk +
        b.perRound('s3:PutObjectCommand') * price.s3Put +
        b.perRound('s3:GetObjectCommand') * price.s3Get;
      console.log(
        `  ${String(kib).padStart(4)} KiB | ${String(Math.round(a.bodyBytes / 1024)).padStart(7)} KiB | ${a.ms.toFixed(1).padStart(9)} | ${b.ms.toFixed(1).padStart(5)} | ${(b.ms / a.ms).toFixed(2).padStart(5)} | ` +
          `${inlineRequests} SQS -> $${(inlineCost * 1e6).toFixed(2)} | ${s3Requests} SQS + ${b.perRound('s3:PutObjectCommand')} PUT + ${b.perRound('s3:GetObjectCommand')} GET -> $${(s3Cost * 1e6).toFixed(2)}`,
      );
    }

    console.log('\nResults: store a SUCCESS meta and read it back (median of %d rounds)\n', ROUNDS);
    console.log('  result  | item ms | S3 ms | ratio | item units -> cost/M | S3 claim -> cost/M');
    for (const kib of SIZES_KIB.filter((k) => k <= 384)) {
      const value = 'y'.repeat(kib * 1024 - 200);
      const measure = async (app: App) => {
        const times: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const id = globalThis.crypto.randomUUID();
          const meta = buildResultMeta({
            taskId: id,
            status: 'SUCCESS',
            result: value,
            dateDone: new Date(),
          });
          const start = performance.now();
          await app.runtime.results.put(id, await app.runtime.payloads.offloadMeta(meta), {
            nowMs: Date.now(),
          });
          await app.asyncResult(id).get({ timeoutMs: 5000 });
          times.push(performance.now() - start);
        }
        return median(times);
      };
      const itemMs = await measure(inline);
      const s3Ms = await measure(offloaded);
      const writeUnits = Math.ceil((kib * 1024) / 1024);
      const readUnits = Math.ceil((kib * 1024) / 4096) / 2;
      const itemCost = writeUnits * price.ddbWriteUnit + readUnits * price.ddbReadUnit;
      const claimCost = price.ddbWriteUnit + price.ddbReadUnit / 2 + price.s3Put + price.s3Get;
      console.log(
        `  ${String(kib).padStart(4)} KiB | ${itemMs.toFixed(1).padStart(7)} | ${s3Ms.toFixed(1).padStart(5)} | ${(s3Ms / itemMs).toFixed(2).padStart(5)} | ` +
          `${writeUnits} WCU + ${readUnits} RCU -> $${(itemCost * 1e6).toFixed(2)} | 1 WCU + PUT + GET -> $${(claimCost * 1e6).toFixed(2)}`,
      );
    }
  } finally {
    await moto.stop();
  }
}

await main();
