/**
 * Reads the golden vectors (what Python Celery 5.6.3 / kombu 5.6.2 really sent, see `test/golden/README.md`)
 * and takes their SQS and DynamoDB calls apart with Node's own base64 and JSON, independently of the code under
 * test, so the tests can compare celeriac's decoders and encoders with them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One recorded AWS call. */
export interface GoldenCall {
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, unknown>;
}

/** One golden file. */
export interface GoldenVector {
  readonly vector: string;
  readonly description: string;
  readonly python: string;
  readonly produced_by: { readonly celery: string; readonly kombu: string; readonly python: string };
  /** Celery queue name (routing key), without the capture's `queue_name_prefix`. */
  readonly queue: string;
  /** `time.time()` just before the Python code ran. */
  readonly sent_at: number;
  readonly calls: readonly GoldenCall[];
  /** `messages/<name>.json` or `results/<name>.json`. */
  readonly file: string;
}

/** The kombu `queue_name_prefix` values the capture used (producer, worker, extra phases). */
export const CAPTURE_PREFIXES = ['golden-p-', 'golden-w-', 'golden-x-'] as const;

const goldenDir = path.resolve(import.meta.dirname, '..');

/** Every vector of one folder, by name. */
export function loadVectors(folder: 'messages' | 'results'): GoldenVector[] {
  const dir = path.join(goldenDir, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const parsed = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as Omit<GoldenVector, 'file'>;
      return { ...parsed, file: `${folder}/${name}` };
    });
}

/** One vector by name. */
export function loadVector(folder: 'messages' | 'results', name: string): GoldenVector {
  const found = loadVectors(folder).find((v) => v.vector === name);
  if (!found) throw new Error(`no golden vector ${folder}/${name}.json`);
  return found;
}

/** One message a vector sent: a `SendMessage` call or one `SendMessageBatch` entry. */
export interface GoldenSend {
  readonly operation: 'SendMessage' | 'SendMessageBatch';
  readonly queueUrl: string;
  /** The SQS `MessageBody` exactly as sent. */
  readonly messageBody: string;
  /** The other SQS parameters of this message (`DelaySeconds`, `MessageGroupId`, `MessageAttributes`, ...). */
  readonly sqsParams: Readonly<Record<string, unknown>>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string: ${JSON.stringify(value)}`);
  return value;
}

/** Every message a vector sent, in order. */
export function sentMessages(vector: GoldenVector): GoldenSend[] {
  const out: GoldenSend[] = [];
  for (const call of vector.calls) {
    if (call.service !== 'sqs') continue;
    if (call.operation === 'SendMessage') {
      const { QueueUrl, MessageBody, ...rest } = call.params;
      out.push({
        operation: 'SendMessage',
        queueUrl: text(QueueUrl, 'QueueUrl'),
        messageBody: text(MessageBody, 'MessageBody'),
        sqsParams: rest,
      });
    } else if (call.operation === 'SendMessageBatch') {
      const queueUrl = text(call.params.QueueUrl, 'QueueUrl');
      for (const entry of call.params.Entries as Record<string, unknown>[]) {
        const { MessageBody, Id: _id, ...rest } = entry;
        out.push({
          operation: 'SendMessageBatch',
          queueUrl,
          messageBody: text(MessageBody, 'MessageBody'),
          sqsParams: rest,
        });
      }
    }
  }
  return out;
}

/** The last path segment of a queue URL: the SQS queue name. */
export function queueNameOf(queueUrl: string): string {
  return queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
}

/** The kombu envelope's JSON text inside an SQS `MessageBody` (base64 unless the body is plain JSON). */
export function envelopeText(messageBody: string): string {
  if (messageBody.startsWith('{')) return messageBody;
  const decoded = Buffer.from(messageBody, 'base64');
  if (decoded.toString('base64') !== messageBody) throw new Error('MessageBody is neither JSON nor base64');
  return decoded.toString('utf8');
}

/** The envelope as plain parsed JSON (no type-tag decoding). */
export interface RawEnvelope {
  readonly body: string;
  readonly 'content-encoding': string;
  readonly 'content-type': string;
  readonly headers: Record<string, unknown>;
  readonly properties: Record<string, unknown>;
}

/** Parses the envelope of an SQS `MessageBody`. */
export function rawEnvelope(messageBody: string): RawEnvelope {
  return JSON.parse(envelopeText(messageBody)) as RawEnvelope;
}

/** The bytes of the serialized task body (base64-decoded, still compressed if the message is). */
export function rawBodyBytes(messageBody: string): Buffer {
  return Buffer.from(rawEnvelope(messageBody).body, 'base64');
}

/** The serialized task body as text (for uncompressed messages). */
export function rawBodyText(messageBody: string): string {
  return rawBodyBytes(messageBody).toString('utf8');
}

/** One DynamoDB write a vector made. */
export interface GoldenWrite {
  readonly operation: 'PutItem' | 'UpdateItem' | 'DeleteItem';
  readonly table: string;
  /** The `id` key (S). */
  readonly key: string;
  /** The item's attributes for PutItem (`id`, `result`, `timestamp`, ...). */
  readonly item: Readonly<Record<string, Record<string, unknown>>>;
  /** The `result` attribute (B) as text: Celery passes its JSON as a `str`. */
  readonly resultText: string | undefined;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A DynamoDB `B` value as the recorder wrote it: text, or `{"__bytes_base64__": ...}` for real bytes. */
export function binaryText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && '__bytes_base64__' in value) {
    const encoded = (value as { __bytes_base64__: unknown }).__bytes_base64__;
    return Buffer.from(text(encoded, '__bytes_base64__'), 'base64').toString('utf8');
  }
  throw new Error(`not a recorded binary value: ${JSON.stringify(value)}`);
}

/** Every DynamoDB write (PutItem, UpdateItem, DeleteItem) a vector made, in order. */
export function dynamoWrites(vector: GoldenVector): GoldenWrite[] {
  const out: GoldenWrite[] = [];
  for (const call of vector.calls) {
    if (call.service !== 'dynamodb') continue;
    const { operation, params } = call;
    if (operation !== 'PutItem' && operation !== 'UpdateItem' && operation !== 'DeleteItem') continue;
    const item = (params.Item ?? {}) as Record<string, Record<string, unknown>>;
    const keySource = (operation === 'PutItem' ? item : params.Key) as Record<
      string,
      Record<string, unknown>
    >;
    const result = item.result?.B;
    out.push({
      operation,
      table: text(params.TableName, 'TableName'),
      key: text(keySource.id?.S, 'id'),
      item,
      resultText: result === undefined ? undefined : binaryText(result),
      params,
    });
  }
  return out;
}

/** Every `GetItem` key a vector read, in order. */
export function dynamoReads(vector: GoldenVector): string[] {
  return vector.calls
    .filter((c) => c.service === 'dynamodb' && c.operation === 'GetItem')
    .map((c) => text((c.params.Key as Record<string, Record<string, unknown>>).id?.S, 'id'));
}

/**
 * Epoch seconds of an ISO-8601 time as Python writes it (`2026-11-21T07:25:06.351958+00:00`), to the
 * microsecond; naive values are read as UTC, as Celery reads them.
 */
export function epochSeconds(iso: string): number {
  const match = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d):(\d\d)|Z)?$/.exec(
    iso,
  );
  if (!match) throw new Error(`not a Python ISO time: ${iso}`);
  const [, y, mo, d, h, mi, s, frac = '', sign, oh = '0', om = '0'] = match;
  const whole = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  return whole + Number(`0.${frac.padEnd(6, '0')}`) - (sign ? offset : 0);
}

/** Python's `datetime.isoformat()` of an aware UTC time: six-digit microseconds (none when zero), `+00:00`. */
export const PYTHON_UTC_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;

/** A random UUID as Python's `uuid4()` writes it. */
export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Header names Celery 5.6 writes, in its order. */
export { CELERY_HEADER_ORDER } from '../../../src/protocol/celery-headers.js';
