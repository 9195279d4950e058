/**
 * Hostile SQS message bodies, one of every kind a worker must survive: each is built by hand in kombu's SQS
 * envelope format (base64 of the JSON envelope whose `body` is base64 of the serialized task), then broken in
 * one way.
 */
import { randomUUID } from 'node:crypto';
import { brotliCompressSync, constants, deflateSync } from 'node:zlib';

/** What the worker must do with a poison message. */
export const PoisonFate = {
  /** Refused on every delivery, until the redrive policy moves it to the dead-letter queue. */
  DeadLetter: 'dead-letter',
  /** Decoded: FAILURE `NotRegistered` stored and the message deleted. */
  NotRegistered: 'not-registered',
  /** Decoded and run, with its data intact (no prototype pollution): SUCCESS. */
  Runs: 'runs',
} as const;
export type PoisonFate = (typeof PoisonFate)[keyof typeof PoisonFate];

/** One hostile message. */
export interface PoisonMessage {
  readonly kind: string;
  readonly body: string;
  readonly attributes?: Record<string, { DataType: string; StringValue: string }>;
  readonly fate: PoisonFate;
  /** The task id its envelope names, when it names one. */
  readonly taskId?: string;
}

const EMBED = '{"callbacks": null, "errbacks": null, "chain": null, "chord": null}';

/** A kombu SQS envelope around `body` (the task body's bytes), with Celery v2 headers. */
function envelope(
  taskId: string,
  task: string,
  body: Buffer,
  options: { contentType?: string; contentEncoding?: string; eta?: string; compression?: string } = {},
): string {
  const headers = {
    lang: 'py',
    task,
    id: taskId,
    shadow: null,
    eta: options.eta ?? null,
    expires: null,
    group: null,
    group_index: null,
    retries: 0,
    timelimit: [null, null],
    root_id: taskId,
    parent_id: null,
    argsrepr: '()',
    kwargsrepr: '{}',
    origin: 'gen1@faults',
    ignore_result: false,
    replaced_task_nesting: 0,
    stamped_headers: null,
    stamps: {},
    ...(options.compression ? { compression: options.compression } : {}),
  };
  const json = JSON.stringify({
    body: body.toString('base64'),
    'content-encoding': options.contentEncoding ?? 'utf-8',
    'content-type': options.contentType ?? 'application/json',
    headers,
    properties: {
      correlation_id: taskId,
      reply_to: '',
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: 'celery' },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  });
  return Buffer.from(json, 'utf8').toString('base64');
}

const taskBody = (argsJson: string): Buffer => Buffer.from(`[${argsJson}, {}, ${EMBED}]`, 'utf8');

/** Every poison kind; `bucket` is the workers' payload bucket (the S3 pointer points into it, at nothing). */
export function poisonMessages(bucket: string): PoisonMessage[] {
  const id = (): string => randomUUID();
  const pickle = id();
  const undecodable = id();
  const missing = id();
  const badEta = id();
  const deep = id();
  const brotli = id();
  const zlib = id();
  const proto = id();
  const depth = 10_000;
  return [
    { kind: 'not base64, not JSON', body: 'not base64, not JSON {', fate: PoisonFate.DeadLetter },
    {
      kind: 'bad envelope',
      body: Buffer.from('{"body": 5, "headers": "nope"}').toString('base64'),
      fate: PoisonFate.DeadLetter,
    },
    {
      kind: 'pickle content type',
      body: envelope(pickle, 'faults.quick', Buffer.from([0x80, 0x04, 0x95, 0x00]), {
        contentType: 'application/x-python-serialize',
        contentEncoding: 'binary',
      }),
      fate: PoisonFate.DeadLetter,
      taskId: pickle,
    },
    {
      kind: 'undecodable body',
      body: envelope(undecodable, 'faults.quick', Buffer.from('{"oops": ', 'utf8')),
      fate: PoisonFate.DeadLetter,
      taskId: undecodable,
    },
    {
      kind: 'unknown task name',
      body: envelope(missing, 'faults.missing', taskBody('[1]')),
      fate: PoisonFate.NotRegistered,
      taskId: missing,
    },
    {
      kind: 'bad eta header',
      body: envelope(badEta, 'faults.quick', taskBody('[1]'), { eta: 'the day after tomorrow' }),
      fate: PoisonFate.DeadLetter,
      taskId: badEta,
    },
    {
      kind: 'S3 pointer to a missing object',
      body: JSON.stringify([
        'software.amazon.payloadoffloading.PayloadS3Pointer',
        { s3BucketName: bucket, s3Key: `celeriac/${randomUUID()}/message-r0.json` },
      ]),
      attributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '2048' } },
      fate: PoisonFate.DeadLetter,
    },
    {
      kind: `too deep (${depth} nested arrays)`,
      body: envelope(deep, 'faults.quick', taskBody(`[${'['.repeat(depth)}${']'.repeat(depth)}]`)),
      fate: PoisonFate.DeadLetter,
      taskId: deep,
    },
    {
      kind: 'brotli bomb (1 KiB to 1 GiB)',
      body: envelope(
        brotli,
        'faults.quick',
        brotliCompressSync(Buffer.alloc(1 << 30, 32), {
          params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_LGWIN]: 24 },
        }),
        { compression: 'application/x-brotli' },
      ),
      fate: PoisonFate.DeadLetter,
      taskId: brotli,
    },
    {
      kind: 'zlib bomb (96 KiB to 96 MiB)',
      body: envelope(zlib, 'faults.quick', deflateSync(Buffer.alloc(96 << 20, 32), { level: 9 }), {
        compression: 'application/x-gzip',
      }),
      fate: PoisonFate.DeadLetter,
      taskId: zlib,
    },
    {
      kind: '__proto__ payload',
      body: envelope(proto, 'faults.inspect', taskBody('[{"__proto__": {"isAdmin": true}}]')),
      fate: PoisonFate.Runs,
      taskId: proto,
    },
    { kind: '244 KiB of spaces, then !', body: `${' '.repeat(244 * 1024)}!`, fate: PoisonFate.DeadLetter },
  ];
}
